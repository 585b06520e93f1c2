package io.keycloaksentinel.core.counters;

import java.util.ArrayList;
import java.util.List;

/** The cache key of one bucket of one counter: {@code counter#window#bucketId}, and back. */
final class CounterKeys {

    private CounterKeys() {
    }

    static String bucketKey(String counter, Window window, long bucket) {
        return counter + '#' + window.name() + '#' + bucket;
    }

    /** The keys of the buckets that make up {@code counter}'s window ending at {@code nowMillis}, oldest first. */
    static List<String> bucketKeys(String counter, Window window, long nowMillis) {
        long[] buckets = window.bucketsAt(nowMillis);
        List<String> keys = new ArrayList<>(buckets.length);
        for (long b : buckets) {
            keys.add(bucketKey(counter, window, b));
        }
        return keys;
    }

    /**
     * The counter whose bucket {@code key} is, when it is a bucket of {@code window} between
     * {@code first} and {@code last} (bucket ids); null for any other key.
     */
    static String counterOf(String key, Window window, long first, long last) {
        int bucketAt = key.lastIndexOf('#');
        int windowAt = bucketAt > 0 ? key.lastIndexOf('#', bucketAt - 1) : -1;
        if (windowAt < 0 || !key.substring(windowAt + 1, bucketAt).equals(window.name())) {
            return null;
        }
        long bucket;
        try {
            bucket = Long.parseLong(key.substring(bucketAt + 1));
        } catch (NumberFormatException notABucket) {
            return null;
        }
        return bucket >= first && bucket <= last ? key.substring(0, windowAt) : null;
    }
}
