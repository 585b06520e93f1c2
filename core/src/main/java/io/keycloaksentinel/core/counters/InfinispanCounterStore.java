package io.keycloaksentinel.core.counters;

import java.time.Duration;
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
    public static final String KNOWN_CACHE = "sentinel-known-sources";
    /** Used one-time tokens (solved CAPTCHA challenges), bounded, each entry expiring with its challenge. */
    public static final String REPLAY_CACHE = "sentinel-replay";
    public static final long DEFAULT_MAX_REPLAY_ENTRIES = 100_000;

    private static final Logger LOG = Logger.getLogger(InfinispanCounterStore.class);

    private record Pending(Scope scope, String key, long lifespanMillis) {
    }

    /** A first sighting to check cluster-wide at the next flush: marker absent, then count one. */
    private record PendingDistinct(Pending bucket, String marker, long markerLifespanMillis) {
    }

    /** A list update to apply at the next flush: these members first (newest first). */
    private record PendingList(List<String> members, int max, long lifespanMillis) {
        PendingList merge(PendingList older) {
            List<String> merged = new ArrayList<>(members);
            for (String m : older.members()) {
                if (!merged.contains(m) && merged.size() < max) {
                    merged.add(m);
                }
            }
            return new PendingList(merged, max, lifespanMillis);
        }
    }

    /** Everything buffered between two flushes; swapped out whole by the flush. */
    private static final class Batch {
        final ConcurrentHashMap<Pending, LongAdder> counts = new ConcurrentHashMap<>();
        final Set<PendingDistinct> distinct = ConcurrentHashMap.newKeySet();
        final ConcurrentHashMap<String, PendingList> lists = new ConcurrentHashMap<>();

        int size() {
            return counts.size() + distinct.size() + lists.size();
        }
    }

    private final Cache<String, Long> subjects;
    private final Cache<String, Object> realm;
    private final Cache<String, String> known;
    private volatile Cache<String, Boolean> replay;
    private final int maxPending;
    private final ReadWriteLock swap = new ReentrantReadWriteLock();
    private volatile Batch pending = new Batch();
    private final AtomicLong dropped = new AtomicLong();
    /** Cluster round trips made on request threads (reads and single-use claims), for the metric and the benchmark. */
    private final LongAdder requestReads = new LongAdder();
    private final LongAdder requestClaims = new LongAdder();

    private InfinispanCounterStore(Cache<String, Long> subjects, Cache<String, Object> realm, Cache<String, String> known,
                                   int maxPending) {
        this.subjects = subjects;
        this.realm = realm;
        this.known = known;
        this.maxPending = maxPending;
    }

    /** Defines Sentinel's caches on this node (if not yet defined) and opens them. */
    public static InfinispanCounterStore open(EmbeddedCacheManager manager, long maxSubjectEntries, int maxPending) {
        return open(manager, maxSubjectEntries, maxPending, maxSubjectEntries / 2);
    }

    /**
     * Defines Sentinel's three caches on this node (if not yet defined) and opens them. The third,
     * {@value #KNOWN_CACHE}, holds each user's recently used networks; only successful logins
     * write to it, so an attacker without passwords cannot grow or flush it.
     */
    public static InfinispanCounterStore open(EmbeddedCacheManager manager, long maxSubjectEntries, int maxPending,
                                              long maxKnownEntries) {
        boolean clustered = manager.getCacheManagerConfiguration().isClustered();
        define(manager, SUBJECT_CACHE, config(clustered, maxSubjectEntries));
        define(manager, REALM_CACHE, config(clustered, -1));
        define(manager, KNOWN_CACHE, config(clustered, maxKnownEntries));
        LOG.infof("Sentinel counters: caches %s (max %d entries), %s (max %d entries) and %s, %s", SUBJECT_CACHE,
                maxSubjectEntries, KNOWN_CACHE, maxKnownEntries, REALM_CACHE,
                clustered ? "distributed, 2 owners" : "local");
        return new InfinispanCounterStore(manager.getCache(SUBJECT_CACHE), manager.getCache(REALM_CACHE),
                manager.getCache(KNOWN_CACHE), maxPending);
    }

    /** Defines and opens the replay register ({@value #REPLAY_CACHE}, at most {@code maxEntries}). */
    public InfinispanCounterStore withReplayRegister(EmbeddedCacheManager manager, long maxEntries) {
        define(manager, REPLAY_CACHE, config(manager.getCacheManagerConfiguration().isClustered(), maxEntries));
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

    private static void define(EmbeddedCacheManager manager, String name, Configuration config) {
        if (manager.getCacheConfiguration(name) == null) {
            manager.defineConfiguration(name, config);
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

    @Override
    public void add(Scope scope, String counter, Window window, long nowMillis, long delta) {
        Pending p = new Pending(scope, CounterKeys.bucketKey(counter, window, window.bucketOf(nowMillis)),
                window.retention().toMillis());
        swap.readLock().lock();
        try {
            Batch batch = pending;
            LongAdder adder = batch.counts.get(p);
            if (adder == null) {
                if (full(batch)) {
                    return;
                }
                adder = batch.counts.computeIfAbsent(p, k -> new LongAdder());
            }
            adder.add(delta);
        } finally {
            swap.readLock().unlock();
        }
    }

    /** True (and the loss counted) when a flood of new subjects filled the buffer: memory stays bounded. */
    private boolean full(Batch batch) {
        if (batch.size() < maxPending) {
            return false;
        }
        if (dropped.getAndIncrement() % 10_000 == 0) {
            LOG.warnf("Sentinel counters: more than %d new counters between two flushes; dropping some"
                    + " (raise max-pending if this is not an attack)", maxPending);
        }
        return true;
    }

    @Override
    public void addDistinct(Scope scope, String counter, String member, Window window, long nowMillis) {
        Pending bucket = new Pending(scope, CounterKeys.bucketKey(counter, window, window.bucketOf(nowMillis)),
                window.retention().toMillis());
        PendingDistinct d = new PendingDistinct(bucket, "seen|" + counter + "|" + member, window.length().toMillis());
        swap.readLock().lock();
        try {
            Batch batch = pending;
            if (!batch.distinct.contains(d) && !full(batch)) {
                batch.distinct.add(d);
            }
        } finally {
            swap.readLock().unlock();
        }
    }

    @Override
    public Map<String, Long> sumByPrefix(Scope scope, String prefix, Window window, long nowMillis) {
        flush();
        long[] buckets = window.bucketsAt(nowMillis);
        long first = buckets[0];
        long last = buckets[buckets.length - 1];
        Map<String, Long> sums = new HashMap<>();
        Cache<String, ?> cache = scope == Scope.SUBJECT ? subjects : realm;
        // iterates every segment of the distributed cache (entries travel to this node): admin use only
        for (Map.Entry<String, ?> e : cache.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(prefix) || !(e.getValue() instanceof Long count)) {
                continue;
            }
            int bucketAt = key.lastIndexOf('#');
            int windowAt = bucketAt > 0 ? key.lastIndexOf('#', bucketAt - 1) : -1;
            if (windowAt < 0 || !key.substring(windowAt + 1, bucketAt).equals(window.name())) {
                continue;
            }
            long bucket;
            try {
                bucket = Long.parseLong(key.substring(bucketAt + 1));
            } catch (NumberFormatException notABucket) {
                continue;
            }
            if (bucket >= first && bucket <= last) {
                sums.merge(key.substring(0, windowAt), count, Long::sum);
            }
        }
        return sums;
    }

    @Override
    public void clear(Scope scope, String counter, Window window, long nowMillis) {
        flush();
        Cache<String, ?> cache = scope == Scope.SUBJECT ? subjects : realm;
        for (long b : window.bucketsAt(nowMillis)) {
            cache.remove(CounterKeys.bucketKey(counter, window, b));
        }
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
    public void remember(String key, String member, int max, Duration ttl) {
        if (member.indexOf(',') >= 0) {
            throw new IllegalArgumentException("list members must not contain ','");
        }
        PendingList update = new PendingList(List.of(member), max, ttl.toMillis());
        swap.readLock().lock();
        try {
            Batch batch = pending;
            if (batch.lists.containsKey(key) || !full(batch)) {
                batch.lists.merge(key, update, (older, newer) -> newer.merge(older));
            }
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
        onRequestThread(requestReads);
        Map<String, ?> found = scope == Scope.SUBJECT ? subjects.getAdvancedCache().getAll(Set.copyOf(keys))
                : realm.getAdvancedCache().getAll(Set.copyOf(keys));
        for (Object v : found.values()) {
            if (v instanceof Long l) {
                total += l;
            }
        }
        long lifespan = window.retention().toMillis();
        ConcurrentHashMap<Pending, LongAdder> map = pending.counts;
        for (String k : keys) {
            LongAdder local = map.get(new Pending(scope, k, lifespan));
            if (local != null) {
                total += local.sum();
            }
        }
        return total;
    }

    @Override
    public long[] sumAll(Scope scope, List<String> counters, List<Window> windows, long nowMillis) {
        List<List<String>> keysPerCounter = new ArrayList<>(counters.size());
        Set<String> all = new java.util.HashSet<>();
        for (int i = 0; i < counters.size(); i++) {
            Window window = windows.get(i);
            List<String> keys = new ArrayList<>();
            for (long b : window.bucketsAt(nowMillis)) {
                keys.add(CounterKeys.bucketKey(counters.get(i), window, b));
            }
            keysPerCounter.add(keys);
            all.addAll(keys);
        }
        onRequestThread(requestReads);
        Map<String, ?> found = scope == Scope.SUBJECT ? subjects.getAdvancedCache().getAll(all)
                : realm.getAdvancedCache().getAll(all);
        ConcurrentHashMap<Pending, LongAdder> local = pending.counts;
        long[] sums = new long[counters.size()];
        for (int i = 0; i < sums.length; i++) {
            long lifespan = windows.get(i).retention().toMillis();
            for (String k : keysPerCounter.get(i)) {
                if (found.get(k) instanceof Long l) {
                    sums[i] += l;
                }
                LongAdder mine = local.get(new Pending(scope, k, lifespan));
                if (mine != null) {
                    sums[i] += mine.sum();
                }
            }
        }
        return sums;
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
    public void flush() {
        Batch batch;
        swap.writeLock().lock();
        try {
            batch = pending;
            pending = new Batch();
        } finally {
            swap.writeLock().unlock();
        }
        Map<Pending, Long> deltas = new HashMap<>();
        batch.counts.forEach((k, v) -> deltas.put(k, v.sum()));
        for (Map.Entry<Pending, Long> e : deltas.entrySet()) {
            addAtomically(e.getKey(), e.getValue());
        }
        for (PendingDistinct d : batch.distinct) {
            // the marker lives in the bounded subject cache; whichever node puts it first counts the member
            if (subjects.putIfAbsent(d.marker(), 1L, d.markerLifespanMillis(), TimeUnit.MILLISECONDS) == null) {
                addAtomically(d.bucket(), 1);
            }
        }
        batch.lists.forEach(this::applyList);
    }

    private void addAtomically(Pending p, long delta) {
        if (p.scope() == Scope.SUBJECT) {
            addAtomically(subjects, p.key(), delta, p.lifespanMillis());
        } else {
            addAtomically(realm, p.key(), delta, p.lifespanMillis());
        }
    }

    private void applyList(String key, PendingList update) {
        for (int attempt = 0; attempt < 20; attempt++) {
            String current = known.get(key);
            List<String> older = current == null || current.isEmpty() ? List.of() : List.of(current.split(","));
            String merged = String.join(",", update.merge(new PendingList(older, update.max(), 0)).members());
            boolean done = current == null
                    ? known.putIfAbsent(key, merged, update.lifespanMillis(), TimeUnit.MILLISECONDS) == null
                    : known.replace(key, current, merged, update.lifespanMillis(), TimeUnit.MILLISECONDS);
            if (done) {
                return;
            }
        }
        LOG.debugf("Sentinel counters: gave up updating a contended list");
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
        return dropped.get();
    }
}
