package io.keycloaksentinel.core.counters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Counters in one JVM's memory, without expiry: for unit tests of the logic above the store (open, so a test can make it fail). */
public class InMemoryCounterStore implements CounterStore {

    private final Map<String, Long> counts = new ConcurrentHashMap<>();
    private final Map<String, String> values = new ConcurrentHashMap<>();
    private final Map<String, Long> distinctSeen = new ConcurrentHashMap<>();
    private final Map<String, List<String>> lists = new ConcurrentHashMap<>();

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

    private final java.util.Map<String, Long> claims = new java.util.concurrent.ConcurrentHashMap<>();
    private java.util.function.LongSupplier claimClock = System::currentTimeMillis;

    /** For tests: the clock that expires claims. */
    public void claimClock(java.util.function.LongSupplier clock) {
        this.claimClock = clock;
    }

    @Override
    public boolean claimOnce(String key, java.time.Duration ttl) {
        long now = claimClock.getAsLong();
        claims.values().removeIf(until -> until < now);
        return claims.putIfAbsent(key, now + ttl.toMillis()) == null;
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
    public void addDistinct(Scope scope, String counter, String member, Window window, long nowMillis) {
        String marker = counter + '|' + member;
        Long seen = distinctSeen.get(marker);
        if (seen == null || nowMillis - seen >= window.length().toMillis()) {
            distinctSeen.put(marker, nowMillis);
            add(scope, counter, window, nowMillis, 1);
        }
    }

    @Override
    public Map<String, Long> sumByPrefix(Scope scope, String prefix, Window window, long nowMillis) {
        Map<String, Long> sums = new HashMap<>();
        Set<String> counters = new java.util.HashSet<>();
        for (String key : counts.keySet()) {
            String counter = key.substring(0, key.lastIndexOf('#', key.lastIndexOf('#') - 1));
            if (counter.startsWith(prefix)) {
                counters.add(counter);
            }
        }
        for (String counter : counters) {
            long sum = sum(scope, counter, window, nowMillis);
            if (sum > 0) {
                sums.put(counter, sum);
            }
        }
        return sums;
    }

    @Override
    public void clear(Scope scope, String counter, Window window, long nowMillis) {
        for (long bucket : window.bucketsAt(nowMillis)) {
            counts.remove(CounterKeys.bucketKey(counter, window, bucket));
        }
    }

    @Override
    public List<String> recent(String key) {
        return List.copyOf(lists.getOrDefault(key, List.of()));
    }

    @Override
    public synchronized void remember(String key, String member, int max, Duration ttl) {
        List<String> updated = new ArrayList<>();
        updated.add(member);
        for (String m : lists.getOrDefault(key, List.of())) {
            if (!m.equals(member) && updated.size() < max) {
                updated.add(m);
            }
        }
        lists.put(key, updated);
    }

    @Override
    public synchronized void forget(String key, String member, Duration ttl) {
        List<String> kept = lists.getOrDefault(key, List.of()).stream().filter(m -> !m.equals(member)).toList();
        if (kept.isEmpty()) {
            lists.remove(key);
        } else {
            lists.put(key, new ArrayList<>(kept));
        }
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
