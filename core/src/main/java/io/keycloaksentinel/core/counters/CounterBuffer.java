package io.keycloaksentinel.core.counters;

import io.keycloaksentinel.core.counters.CounterStore.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jboss.logging.Logger;

/**
 * What a node has counted since its last flush: a login adds here and never waits for the
 * cluster; the flush takes the whole {@link Batch} at once ({@link #drain}) and
 * {@link CounterFlush} adds it into the caches. At most {@code maxPending} distinct entries
 * between two flushes: a flood of new subjects is dropped and counted, so memory stays bounded.
 */
final class CounterBuffer {

    /** The store's log category, which admins may already filter on. */
    private static final Logger LOG = Logger.getLogger(InfinispanCounterStore.class);

    /** A count of one bucket key, kept for {@code lifespanMillis} once in the cache. */
    record Pending(Scope scope, String key, long lifespanMillis) {
    }

    /** A first sighting to check cluster-wide at the next flush: marker absent, then count one. */
    record PendingDistinct(Pending bucket, String marker, long markerLifespanMillis) {
    }

    /** A list update to apply at the next flush: these members first (newest first). */
    record PendingList(List<String> members, int max, long lifespanMillis) {
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
    static final class Batch {
        final ConcurrentHashMap<Pending, LongAdder> counts = new ConcurrentHashMap<>();
        final Set<PendingDistinct> distinct = ConcurrentHashMap.newKeySet();
        final ConcurrentHashMap<String, PendingList> lists = new ConcurrentHashMap<>();

        int size() {
            return counts.size() + distinct.size() + lists.size();
        }

        /** This batch's count for one bucket key (0 if none). */
        long count(Pending p) {
            LongAdder adder = counts.get(p);
            return adder == null ? 0 : adder.sum();
        }
    }

    private final int maxPending;
    private final ReadWriteLock swap = new ReentrantReadWriteLock();
    private volatile Batch pending = new Batch();
    private final AtomicLong dropped = new AtomicLong();

    CounterBuffer(int maxPending) {
        this.maxPending = maxPending;
    }

    void add(Pending p, long delta) {
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

    void addDistinct(PendingDistinct d) {
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

    void remember(String key, PendingList update) {
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

    /** The batch being filled now, for reads that add this node's unflushed counts. */
    Batch current() {
        return pending;
    }

    /** Takes everything buffered so far, leaving an empty batch for the next writes. */
    Batch drain() {
        swap.writeLock().lock();
        try {
            Batch batch = pending;
            pending = new Batch();
            return batch;
        } finally {
            swap.writeLock().unlock();
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

    long dropped() {
        return dropped.get();
    }
}
