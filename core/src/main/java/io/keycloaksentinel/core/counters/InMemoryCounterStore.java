package io.keycloaksentinel.core.counters;

import io.keycloaksentinel.core.detect.Window;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Counters in one JVM's memory, without expiry: for unit tests of the logic above the store. */
public final class InMemoryCounterStore implements CounterStore {

    private final Map<String, Long> counts = new ConcurrentHashMap<>();
    private final Map<String, String> values = new ConcurrentHashMap<>();

    @Override
    public void add(Scope scope, String counter, Window window, long nowMillis, long delta) {
        counts.merge(CounterKeys.bucketKey(counter, window, window.bucketOf(nowMillis)), delta, Long::sum);
    }

    @Override
    public long sum(Scope scope, String counter, Window window, long nowMillis) {
        long total = 0;
        for (long bucket : window.bucketsAt(nowMillis)) {
            total += counts.getOrDefault(CounterKeys.bucketKey(counter, window, bucket), 0L);
        }
        return total;
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @Override
    public synchronized boolean compareAndSet(String key, String expected, String update) {
        if (!Objects.equals(values.get(key), expected)) {
            return false;
        }
        values.put(key, update);
        return true;
    }

    @Override
    public void flush() {
        // nothing pending
    }

    @Override
    public long subjectEntries() {
        return counts.size();
    }
}
