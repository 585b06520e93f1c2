package io.keycloaksentinel.authenticators.breach.source;

import io.keycloaksentinel.core.counters.SentinelCaches;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.infinispan.Cache;
import org.infinispan.manager.EmbeddedCacheManager;
import org.jboss.logging.Logger;

/**
 * HIBP ranges shared by every node ({@value #CACHE}: distributed with 2 owners when clustered,
 * local otherwise), keyed by the service (a digest of its URL) and the range's five hex digits, bounded in count (least recently used
 * evicted first) and expiring after a TTL, so a corpus update reaches the server within it. A
 * cached range is ~16 bytes an entry (about 13-16 KB a range).
 */
public final class InfinispanRangeCache implements HibpRangeClient.RangeCache {

    public static final String CACHE = "sentinel-hibp-ranges";
    private static final Logger LOG = Logger.getLogger(InfinispanRangeCache.class);

    private final Cache<String, byte[]> cache;
    private final long ttlMillis;

    private InfinispanRangeCache(Cache<String, byte[]> cache, Duration ttl) {
        this.cache = cache;
        this.ttlMillis = ttl.toMillis();
    }

    /** Defines the cache on the cache manager Keycloak runs (if not yet defined) and opens it. */
    public static InfinispanRangeCache openOnServer(org.keycloak.models.KeycloakSession session, long maxEntries, Duration ttl) {
        EmbeddedCacheManager manager = session.getProvider(org.keycloak.connections.infinispan.InfinispanConnectionProvider.class)
                .getCache(org.keycloak.connections.infinispan.InfinispanConnectionProvider.WORK_CACHE_NAME).getCacheManager();
        return open(manager, maxEntries, ttl);
    }

    /** Defines the cache on this node (if not yet defined) and opens it. */
    public static InfinispanRangeCache open(EmbeddedCacheManager manager, long maxEntries, Duration ttl) {
        boolean clustered = manager.getCacheManagerConfiguration().isClustered();
        SentinelCaches.define(manager, CACHE, maxEntries);
        LOG.infof("Sentinel breached passwords: HIBP range cache %s (max %d ranges, %d s), %s", CACHE, maxEntries,
                ttl.toSeconds(), clustered ? "distributed, 2 owners" : "local");
        return new InfinispanRangeCache(manager.getCache(CACHE), ttl);
    }

    @Override
    public byte[] get(String key) {
        try {
            return cache.get(key);
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: HIBP range cache read failed: %s", e.toString());
            return null; // the API answers instead
        }
    }

    @Override
    public void put(String key, byte[] range) {
        try {
            cache.putAsync(key, range, ttlMillis, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: HIBP range cache write failed: %s", e.toString());
        }
    }
}
