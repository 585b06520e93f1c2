package io.keycloaksentinel.core.counters;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    /**
     * Several window sums in one cluster round trip: element {@code i} is {@code counters[i]}
     * over {@code windows[i]}.
     */
    default long[] sumAll(Scope scope, List<String> counters, List<Window> windows, long nowMillis) {
        long[] sums = new long[counters.size()];
        for (int i = 0; i < sums.length; i++) {
            sums[i] = sum(scope, counters.get(i), windows.get(i), nowMillis);
        }
        return sums;
    }

    /**
     * Claims a one-time token (a used CAPTCHA answer) for {@code ttl}: true the first time on the
     * whole cluster, false for every later claim while it is remembered. Synchronous (a replay
     * must be refused on any node at once); the register is bounded and every entry expires.
     */
    boolean claimOnce(String key, Duration ttl);

    /** A shared value, e.g. a realm's encoded attack state. */
    Optional<String> get(String key);

    /** Sets {@code key} to {@code update} only if it is still {@code expected} (null: absent); true if it did. */
    boolean compareAndSet(String key, String expected, String update);

    /**
     * Counts {@code member} at most once per {@code window} length into {@code counter} (e.g.
     * distinct usernames tried from one network): the first sighting anywhere in the cluster adds
     * one to the current bucket; later ones within the window add nothing.
     */
    void addDistinct(Scope scope, String counter, String member, Window window, long nowMillis);

    /**
     * The window sums of every counter whose name starts with {@code prefix}, over the whole
     * cluster. Scans the cache: for admin requests, never on the login path.
     */
    Map<String, Long> sumByPrefix(Scope scope, String prefix, Window window, long nowMillis);

    /** Deletes every bucket of {@code counter} in {@code window} on the whole cluster (an admin lifting a throttle). */
    void clear(Scope scope, String counter, Window window, long nowMillis);

    /** The members of a short most-recent-first list (a user's known networks); empty if none. */
    List<String> recent(String key);

    /**
     * Puts {@code member} first in the list at {@code key}, keeps at most {@code max} members, and
     * lets the whole list expire {@code ttl} after this call. May be applied asynchronously.
     */
    void remember(String key, String member, int max, Duration ttl);

    /**
     * Removes {@code member} from the list at {@code key} on the whole cluster, after this node's
     * pending writes (so none of them brings it back); the rest of the list expires {@code ttl}
     * after this call, an emptied list at once. Not for the login path: for incident response.
     */
    void forget(String key, String member, Duration ttl);

    /** Pushes pending local counts to the cluster now (the store also does it every flush interval). */
    void flush();

    /** Entries held for subjects (IPs, networks, usernames) on this node, for the metrics. */
    long subjectEntries();
}
