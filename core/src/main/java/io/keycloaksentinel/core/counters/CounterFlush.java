package io.keycloaksentinel.core.counters;

import io.keycloaksentinel.core.counters.CounterBuffer.Batch;
import io.keycloaksentinel.core.counters.CounterBuffer.Pending;
import io.keycloaksentinel.core.counters.CounterBuffer.PendingDistinct;
import io.keycloaksentinel.core.counters.CounterBuffer.PendingList;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.infinispan.Cache;
import org.jboss.logging.Logger;

/**
 * Adds a node's buffered {@link Batch} into the cluster's caches with atomic compare-and-set, so
 * counts from every node add up: the counts, the first sightings (whichever node puts a member's
 * marker first counts it) and the list updates (merged with what the cache holds).
 */
final class CounterFlush {

    /** The store's log category, which admins may already filter on. */
    private static final Logger LOG = Logger.getLogger(InfinispanCounterStore.class);

    private final Cache<String, Long> subjects;
    private final Cache<String, Object> realm;
    private final Cache<String, String> known;

    CounterFlush(Cache<String, Long> subjects, Cache<String, Object> realm, Cache<String, String> known) {
        this.subjects = subjects;
        this.realm = realm;
        this.known = known;
    }

    void apply(Batch batch) {
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
}
