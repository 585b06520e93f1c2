package io.keycloaksentinel.core.counters;

import io.keycloaksentinel.core.detect.Window;
import java.util.Optional;

/**
 * Where Sentinel's counters live: windowed counts and a few small shared values (a realm's attack
 * state, a per-realm hashing key). One implementation per deployment: the cluster's Infinispan,
 * or memory for unit tests. Writers and readers go through this interface only.
 */
public interface CounterStore {

    /** Which family a counter belongs to: subjects may be evicted under memory pressure, realm aggregates never. */
    enum Scope { SUBJECT, REALM }

    /** Adds {@code delta} to {@code counter}'s bucket of {@code nowMillis} in {@code window}. Never blocks on the cluster. */
    void add(Scope scope, String counter, Window window, long nowMillis, long delta);

    /** The count of {@code counter} over {@code window} ending at {@code nowMillis}, summed over the cluster. */
    long sum(Scope scope, String counter, Window window, long nowMillis);

    /** A shared value, e.g. a realm's encoded attack state. */
    Optional<String> get(String key);

    /** Sets {@code key} to {@code update} only if it is still {@code expected} (null: absent); true if it did. */
    boolean compareAndSet(String key, String expected, String update);

    /** Pushes pending local counts to the cluster now (the store also does it every flush interval). */
    void flush();

    /** Entries held for subjects (IPs, networks, usernames) on this node, for the metrics. */
    long subjectEntries();
}
