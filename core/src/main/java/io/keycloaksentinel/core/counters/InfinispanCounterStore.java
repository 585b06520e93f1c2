package io.keycloaksentinel.core.counters;

import io.keycloaksentinel.core.detect.Window;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.infinispan.Cache;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.manager.EmbeddedCacheManager;
import org.jboss.logging.Logger;

/**
 * Counters in the Infinispan that Keycloak runs. Two caches, defined by Sentinel at start-up on
 * every node (an admin configures nothing):
 * <ul>
 *   <li>{@value #SUBJECT_CACHE}: per IP, network and username; distributed with 2 owners when
 *       clustered; bounded ({@code maxSubjectEntries}, least recently used evicted first) so a
 *       million-IP botnet cannot exhaust the heap;</li>
 *   <li>{@value #REALM_CACHE}: per-realm aggregates, attack state and hashing key; same
 *       distribution, never evicted (a few dozen entries per realm), so the flood of subjects
 *       cannot push out the aggregates that detect it.</li>
 * </ul>
 * Every count expires by itself (lifespan = its window plus one bucket).
 *
 * <p>Writes never wait for the cluster: a login adds to a local pending count, and a background
 * flush (every {@code flushMillis}) adds the pending deltas into the cache with atomic
 * compare-and-set, so counts from every node add up. A node that crashes loses at most its last
 * unflushed interval; everything flushed has 2 owners. Reads sum the cluster's buckets plus this
 * node's pending deltas.
 */
public final class InfinispanCounterStore implements CounterStore {

    public static final String SUBJECT_CACHE = "sentinel-subject-counters";
    public static final String REALM_CACHE = "sentinel-realm-state";

    private static final Logger LOG = Logger.getLogger(InfinispanCounterStore.class);

    private record Pending(Scope scope, String key, long lifespanMillis) {
    }

    private final Cache<String, Long> subjects;
    private final Cache<String, Object> realm;
    private final int maxPending;
    private final ReadWriteLock swap = new ReentrantReadWriteLock();
    private volatile ConcurrentHashMap<Pending, LongAdder> pending = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    private InfinispanCounterStore(Cache<String, Long> subjects, Cache<String, Object> realm, int maxPending) {
        this.subjects = subjects;
        this.realm = realm;
        this.maxPending = maxPending;
    }

    /** Defines Sentinel's two caches on this node (if not yet defined) and opens them. */
    public static InfinispanCounterStore open(EmbeddedCacheManager manager, long maxSubjectEntries, int maxPending) {
        boolean clustered = manager.getCacheManagerConfiguration().isClustered();
        define(manager, SUBJECT_CACHE, config(clustered, maxSubjectEntries));
        define(manager, REALM_CACHE, config(clustered, -1));
        LOG.infof("Sentinel counters: caches %s (max %d entries) and %s, %s", SUBJECT_CACHE, maxSubjectEntries,
                REALM_CACHE, clustered ? "distributed, 2 owners" : "local");
        return new InfinispanCounterStore(manager.getCache(SUBJECT_CACHE), manager.getCache(REALM_CACHE), maxPending);
    }

    private static void define(EmbeddedCacheManager manager, String name, Configuration config) {
        if (manager.getCacheConfiguration(name) == null) {
            manager.defineConfiguration(name, config);
        }
    }

    static Configuration config(boolean clustered, long maxCount) {
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

    @Override
    public void add(Scope scope, String counter, Window window, long nowMillis, long delta) {
        Pending p = new Pending(scope, CounterKeys.bucketKey(counter, window, window.bucketOf(nowMillis)),
                window.retention().toMillis());
        swap.readLock().lock();
        try {
            ConcurrentHashMap<Pending, LongAdder> map = pending;
            LongAdder adder = map.get(p);
            if (adder == null) {
                if (map.size() >= maxPending) {
                    // a flood of new subjects between two flushes: keep memory bounded, count the loss
                    if (dropped.getAndIncrement() % 10_000 == 0) {
                        LOG.warnf("Sentinel counters: more than %d new counters between two flushes; dropping some"
                                + " (raise max-pending if this is not an attack)", maxPending);
                    }
                    return;
                }
                adder = map.computeIfAbsent(p, k -> new LongAdder());
            }
            adder.add(delta);
        } finally {
            swap.readLock().unlock();
        }
    }

    @Override
    public long sum(Scope scope, String counter, Window window, long nowMillis) {
        long[] buckets = window.bucketsAt(nowMillis);
        List<String> keys = new ArrayList<>(buckets.length);
        for (long b : buckets) {
            keys.add(CounterKeys.bucketKey(counter, window, b));
        }
        long total = 0;
        Map<String, ?> found = scope == Scope.SUBJECT ? subjects.getAdvancedCache().getAll(Set.copyOf(keys))
                : realm.getAdvancedCache().getAll(Set.copyOf(keys));
        for (Object v : found.values()) {
            if (v instanceof Long l) {
                total += l;
            }
        }
        long lifespan = window.retention().toMillis();
        ConcurrentHashMap<Pending, LongAdder> map = pending;
        for (String k : keys) {
            LongAdder local = map.get(new Pending(scope, k, lifespan));
            if (local != null) {
                total += local.sum();
            }
        }
        return total;
    }

    @Override
    public Optional<String> get(String key) {
        Object v = realm.get(key);
        return v instanceof String s ? Optional.of(s) : Optional.empty();
    }

    @Override
    public boolean compareAndSet(String key, String expected, String update) {
        if (expected == null) {
            return realm.putIfAbsent(key, update) == null;
        }
        return realm.replace(key, expected, update);
    }

    @Override
    public void flush() {
        ConcurrentHashMap<Pending, LongAdder> batch;
        swap.writeLock().lock();
        try {
            batch = pending;
            pending = new ConcurrentHashMap<>();
        } finally {
            swap.writeLock().unlock();
        }
        Map<Pending, Long> deltas = new HashMap<>();
        batch.forEach((k, v) -> deltas.put(k, v.sum()));
        for (Map.Entry<Pending, Long> e : deltas.entrySet()) {
            Pending p = e.getKey();
            if (p.scope() == Scope.SUBJECT) {
                addAtomically(subjects, p.key(), e.getValue(), p.lifespanMillis());
            } else {
                addAtomically(realm, p.key(), e.getValue(), p.lifespanMillis());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> void addAtomically(Cache<String, V> cache, String key, long delta, long lifespanMillis) {
        for (int attempt = 0; attempt < 50; attempt++) {
            V current = cache.get(key);
            if (current == null) {
                if (cache.putIfAbsent(key, (V) Long.valueOf(delta), lifespanMillis, TimeUnit.MILLISECONDS) == null) {
                    return;
                }
            } else if (current instanceof Long l) {
                if (cache.replace(key, current, (V) Long.valueOf(l + delta), lifespanMillis, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } else {
                return; // not a counter: leave it alone
            }
        }
        LOG.debugf("Sentinel counters: gave up adding %d to a contended counter", delta);
    }

    @Override
    public long subjectEntries() {
        return subjects.getAdvancedCache().getDataContainer().sizeIncludingExpired();
    }

    /** Counts this node dropped because too many new subjects arrived between two flushes. */
    public long dropped() {
        return dropped.get();
    }
}
