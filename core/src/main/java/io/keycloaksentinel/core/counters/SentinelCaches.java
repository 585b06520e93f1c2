package io.keycloaksentinel.core.counters;

import java.util.concurrent.TimeUnit;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.manager.EmbeddedCacheManager;

/**
 * Sentinel's own caches in the Infinispan that Keycloak runs, defined by Sentinel at start-up on
 * every node (an admin configures nothing): distributed with 2 owners when clustered, local
 * otherwise, bounded where a flood could grow them.
 * <ul>
 *   <li>{@value #SUBJECT_CACHE}: counts per IP, network and username; bounded (least recently used
 *       evicted first) so a million-IP botnet cannot exhaust the heap;</li>
 *   <li>{@value #REALM_CACHE}: per-realm aggregates, attack state and hashing key; never evicted
 *       (a few dozen entries per realm), so the flood of subjects cannot push out the aggregates
 *       that detect it;</li>
 *   <li>{@value #KNOWN_CACHE}: each user's recently used networks; only successful logins write
 *       to it, so an attacker without passwords cannot grow or flush it;</li>
 *   <li>{@value #REPLAY_CACHE}: used one-time tokens (solved CAPTCHA challenges), bounded, each
 *       entry expiring with its challenge.</li>
 * </ul>
 */
public final class SentinelCaches {

    public static final String SUBJECT_CACHE = "sentinel-subject-counters";
    public static final String REALM_CACHE = "sentinel-realm-state";
    public static final String KNOWN_CACHE = "sentinel-known-sources";
    public static final String REPLAY_CACHE = "sentinel-replay";
    public static final long DEFAULT_MAX_REPLAY_ENTRIES = 100_000;

    private SentinelCaches() {
    }

    /** Defines cache {@code name} on this node (if not yet defined) with {@link #config}. */
    public static void define(EmbeddedCacheManager manager, String name, long maxCount) {
        if (manager.getCacheConfiguration(name) == null) {
            manager.defineConfiguration(name, config(manager.getCacheManagerConfiguration().isClustered(), maxCount));
        }
    }

    /** A Sentinel cache: distributed with 2 owners when clustered, local otherwise; at most {@code maxCount} entries (if above 0). */
    public static Configuration config(boolean clustered, long maxCount) {
        ConfigurationBuilder b = new ConfigurationBuilder();
        if (clustered) {
            b.clustering().cacheMode(CacheMode.DIST_SYNC).hash().numOwners(2);
        } else {
            b.clustering().cacheMode(CacheMode.LOCAL);
        }
        if (maxCount > 0) {
            b.memory().maxCount(maxCount);
        }
        b.expiration().wakeUpInterval(30, TimeUnit.SECONDS);
        b.statistics().enable();
        return b.build();
    }
}
