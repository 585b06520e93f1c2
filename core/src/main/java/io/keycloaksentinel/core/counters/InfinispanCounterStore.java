package io.keycloaksentinel.core.counters;

import static io.keycloaksentinel.core.counters.SentinelCaches.KNOWN_CACHE;
import static io.keycloaksentinel.core.counters.SentinelCaches.REALM_CACHE;
import static io.keycloaksentinel.core.counters.SentinelCaches.REPLAY_CACHE;
import static io.keycloaksentinel.core.counters.SentinelCaches.SUBJECT_CACHE;

import io.keycloaksentinel.core.counters.CounterBuffer.Batch;
import io.keycloaksentinel.core.counters.CounterBuffer.Pending;
import io.keycloaksentinel.core.counters.CounterBuffer.PendingDistinct;
import io.keycloaksentinel.core.counters.CounterBuffer.PendingList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.infinispan.Cache;
import org.infinispan.manager.EmbeddedCacheManager;
import org.jboss.logging.Logger;

/**
 * Counters in the Infinispan that Keycloak runs, in {@link SentinelCaches Sentinel's caches}.
 * Every count expires by itself (lifespan = its window plus one bucket).
 *
 * <p>Writes never wait for the cluster: a login adds to a local pending count
 * ({@link CounterBuffer}), and a background flush (every {@code flushMillis}) adds the pending
 * deltas into the cache with atomic compare-and-set ({@link CounterFlush}), so counts from every
 * node add up. A node that crashes loses at most its last unflushed interval; everything flushed
 * has 2 owners. Reads sum the cluster's buckets plus this node's pending deltas, in one round trip.
 */
public final class InfinispanCounterStore implements CounterStore {

    private static final Logger LOG = Logger.getLogger(InfinispanCounterStore.class);

    private final Cache<String, Long> subjects;
    private final Cache<String, Object> realm;
    private final Cache<String, String> known;
    private volatile Cache<String, Boolean> replay;
    private final CounterBuffer buffer;
    private final CounterFlush flush;
    /** Cluster round trips made on request threads (reads and single-use claims), for the metric and the benchmark. */
    private final LongAdder requestReads = new LongAdder();
    private final LongAdder requestClaims = new LongAdder();

    private InfinispanCounterStore(Cache<String, Long> subjects, Cache<String, Object> realm, Cache<String, String> known,
                                   int maxPending) {
        this.subjects = subjects;
        this.realm = realm;
        this.known = known;
        this.buffer = new CounterBuffer(maxPending);
        this.flush = new CounterFlush(subjects, realm, known);
    }

    /** Defines Sentinel's caches on this node (if not yet defined) and opens them. */
    public static InfinispanCounterStore open(EmbeddedCacheManager manager, long maxSubjectEntries, int maxPending) {
        return open(manager, maxSubjectEntries, maxPending, maxSubjectEntries / 2);
    }

    /** Defines Sentinel's three counting caches on this node (if not yet defined) and opens them. */
    public static InfinispanCounterStore open(EmbeddedCacheManager manager, long maxSubjectEntries, int maxPending,
                                              long maxKnownEntries) {
        SentinelCaches.define(manager, SUBJECT_CACHE, maxSubjectEntries);
        SentinelCaches.define(manager, REALM_CACHE, -1);
        SentinelCaches.define(manager, KNOWN_CACHE, maxKnownEntries);
        LOG.infof("Sentinel counters: caches %s (max %d entries), %s (max %d entries) and %s, %s", SUBJECT_CACHE,
                maxSubjectEntries, KNOWN_CACHE, maxKnownEntries, REALM_CACHE,
                manager.getCacheManagerConfiguration().isClustered() ? "distributed, 2 owners" : "local");
        return new InfinispanCounterStore(manager.getCache(SUBJECT_CACHE), manager.getCache(REALM_CACHE),
                manager.getCache(KNOWN_CACHE), maxPending);
    }

    /** Defines and opens the replay register ({@value SentinelCaches#REPLAY_CACHE}, at most {@code maxEntries}). */
    public InfinispanCounterStore withReplayRegister(EmbeddedCacheManager manager, long maxEntries) {
        SentinelCaches.define(manager, REPLAY_CACHE, maxEntries);
        replay = manager.getCache(REPLAY_CACHE);
        return this;
    }

    @Override
    public boolean claimOnce(String key, Duration ttl) {
        Cache<String, Boolean> r = replay;
        if (r == null) {
            throw new IllegalStateException("the replay register is not open");
        }
        onRequestThread(requestClaims);
        // putIfAbsent on a DIST_SYNC cache is atomic at the key's primary owner
        return r.putIfAbsent(key, Boolean.TRUE, ttl.toMillis(), TimeUnit.MILLISECONDS) == null;
    }

    @Override
    public void add(Scope scope, String counter, Window window, long nowMillis, long delta) {
        buffer.add(bucket(scope, counter, window, nowMillis), delta);
    }

    @Override
    public void addDistinct(Scope scope, String counter, String member, Window window, long nowMillis) {
        buffer.addDistinct(new PendingDistinct(bucket(scope, counter, window, nowMillis), "seen|" + counter + "|" + member,
                window.length().toMillis()));
    }

    private static Pending bucket(Scope scope, String counter, Window window, long nowMillis) {
        return new Pending(scope, CounterKeys.bucketKey(counter, window, window.bucketOf(nowMillis)),
                window.retention().toMillis());
    }

    @Override
    public void remember(String key, String member, int max, Duration ttl) {
        if (member.indexOf(',') >= 0) {
            throw new IllegalArgumentException("list members must not contain ','");
        }
        buffer.remember(key, new PendingList(List.of(member), max, ttl.toMillis()));
    }

    @Override
    public long sum(Scope scope, String counter, Window window, long nowMillis) {
        return sumAll(scope, List.of(counter), List.of(window), nowMillis)[0];
    }

    @Override
    public long[] sumAll(Scope scope, List<String> counters, List<Window> windows, long nowMillis) {
        List<List<String>> keysPerCounter = new ArrayList<>(counters.size());
        Set<String> all = new HashSet<>();
        for (int i = 0; i < counters.size(); i++) {
            List<String> keys = CounterKeys.bucketKeys(counters.get(i), windows.get(i), nowMillis);
            keysPerCounter.add(keys);
            all.addAll(keys);
        }
        onRequestThread(requestReads);
        Map<String, ?> found = cache(scope).getAdvancedCache().getAll(all);
        Batch local = buffer.current();
        long[] sums = new long[counters.size()];
        for (int i = 0; i < sums.length; i++) {
            long lifespan = windows.get(i).retention().toMillis();
            for (String k : keysPerCounter.get(i)) {
                if (found.get(k) instanceof Long l) {
                    sums[i] += l;
                }
                sums[i] += local.count(new Pending(scope, k, lifespan));
            }
        }
        return sums;
    }

    @Override
    public Map<String, Long> sumByPrefix(Scope scope, String prefix, Window window, long nowMillis) {
        flush();
        long[] buckets = window.bucketsAt(nowMillis);
        Map<String, Long> sums = new HashMap<>();
        // iterates every segment of the distributed cache (entries travel to this node): admin use only
        for (Map.Entry<String, ?> e : cache(scope).entrySet()) {
            String key = e.getKey();
            if (key.startsWith(prefix) && e.getValue() instanceof Long count) {
                String counter = CounterKeys.counterOf(key, window, buckets[0], buckets[buckets.length - 1]);
                if (counter != null) {
                    sums.merge(counter, count, Long::sum);
                }
            }
        }
        return sums;
    }

    @Override
    public void clear(Scope scope, String counter, Window window, long nowMillis) {
        flush();
        Cache<String, ?> cache = cache(scope);
        for (String key : CounterKeys.bucketKeys(counter, window, nowMillis)) {
            cache.remove(key);
        }
    }

    private Cache<String, ?> cache(Scope scope) {
        return scope == Scope.SUBJECT ? subjects : realm;
    }

    @Override
    public List<String> recent(String key) {
        onRequestThread(requestReads);
        String stored = known.get(key);
        if (stored == null || stored.isEmpty()) {
            return List.of();
        }
        return List.of(stored.split(","));
    }

    @Override
    public Optional<String> get(String key) {
        onRequestThread(requestReads);
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
    public void forget(String key, String member, Duration ttl) {
        flush(); // a pending remember of the member must not bring it back later
        for (int attempt = 0; attempt < 20; attempt++) {
            String current = known.get(key);
            if (current == null || current.isEmpty()) {
                return;
            }
            List<String> kept = java.util.Arrays.stream(current.split(",")).filter(m -> !m.equals(member)).toList();
            if (kept.size() == current.split(",").length) {
                return; // not there
            }
            boolean done = kept.isEmpty() ? known.remove(key, current)
                    : known.replace(key, current, String.join(",", kept), ttl.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            if (done) {
                return;
            }
        }
        throw new IllegalStateException("a contended list could not be updated");
    }

    @Override
    public void flush() {
        flush.apply(buffer.drain());
    }

    @Override
    public long subjectEntries() {
        return subjects.getAdvancedCache().getDataContainer().sizeIncludingExpired();
    }

    /** Counts a round trip unless it is made by Sentinel's own background threads (flush, evaluation). */
    private static void onRequestThread(LongAdder adder) {
        if (!Thread.currentThread().getName().startsWith("sentinel-")) {
            adder.increment();
        }
    }

    /** Cluster reads made on request threads since the start (a batched read counts once). */
    public long requestReads() {
        return requestReads.sum();
    }

    /** Synchronous single-use claims made on request threads since the start. */
    public long requestClaims() {
        return requestClaims.sum();
    }

    /** Counts this node dropped because too many new subjects arrived between two flushes. */
    public long dropped() {
        return buffer.dropped();
    }
}
