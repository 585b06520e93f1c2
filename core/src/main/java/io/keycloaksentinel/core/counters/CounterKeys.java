package io.keycloaksentinel.core.counters;

/** The cache key of one bucket of one counter: {@code counter#window#bucketId}. */
final class CounterKeys {

    private CounterKeys() {
    }

    static String bucketKey(String counter, Window window, long bucket) {
        return counter + '#' + window.name() + '#' + bucket;
    }
}
