package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.net.IpAddresses;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Each subject's recently known networks: where a user signed in successfully, remembered under
 * each name they may type and under the account, in the cluster store. Smart lockout counts and
 * refuses only failures from networks that are not known.
 */
public final class KnownSources {

    /** The most networks remembered per user (most recent first). */
    public static final int MAX_KNOWN_NETWORKS = 10;

    private final CounterStore store;
    private final SourceKeys sources;
    private final RealmKeys keys;
    private volatile Duration knownSourceTtl = Duration.ofDays(90);

    KnownSources(CounterStore store, SourceKeys sources, RealmKeys keys) {
        this.store = store;
        this.sources = sources;
        this.keys = keys;
    }

    /** How long a network stays known for a user after their last successful login from it. */
    public void knownSourceTtl(Duration ttl) {
        this.knownSourceTtl = ttl;
    }

    /**
     * Remembers the network of a successful login as known for the user, under each name they
     * may type (username, email). Applied to the cluster with the next flush.
     */
    public void rememberSource(String realmId, Collection<String> usernames, String ip) {
        rememberSource(realmId, usernames, null, ip);
    }

    /** {@link #rememberSource(String, Collection, String)}, and under the account itself ({@link RealmKeys#accountSubject}). */
    public void rememberSource(String realmId, Collection<String> usernames, String userId, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (realmId == null || address.isEmpty() || usernames == null) {
            return;
        }
        String network = sources.network(address.get());
        for (String hash : subjects(realmId, usernames, userId)) {
            store.remember(knownKey(realmId, hash), network, MAX_KNOWN_NETWORKS, knownSourceTtl);
        }
    }

    /**
     * Forgets that the account (and each of {@code usernames} it may be typed as) signed in from
     * {@code network} (a likely break-in's: containment), on the whole cluster. Throws when the
     * store fails.
     */
    public void forgetNetwork(String realmId, Collection<String> usernames, String userId, String network) {
        if (realmId == null || network == null || network.isEmpty()) {
            return;
        }
        for (String hash : subjects(realmId, usernames, userId)) {
            store.forget(knownKey(realmId, hash), network, knownSourceTtl);
        }
    }

    /** The keyed names a user's networks are known under: each name it may be typed as, and the account (null: none). */
    private Set<String> subjects(String realmId, Collection<String> usernames, String userId) {
        Set<String> hashes = new LinkedHashSet<>();
        for (String u : usernames) {
            String typed = u == null ? null : keys.typedSubject(realmId, u);
            if (typed != null) {
                hashes.add(typed);
            }
        }
        String account = keys.accountSubject(realmId, userId);
        if (account != null) {
            hashes.add(account);
        }
        return hashes;
    }

    /** Whether the user typed as {@code username} has signed in from the network of {@code ip} recently. */
    public boolean knownSource(String realmId, String username, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isEmpty() || username == null || username.isBlank()) {
            return false;
        }
        return knownNetworks(realmId, keys.typedSubject(realmId, username)).contains(sources.network(address.get()));
    }

    /** The networks a subject ({@link RealmKeys#typedSubject} or {@link RealmKeys#accountSubject}) signed in from recently. */
    List<String> knownNetworks(String realmId, String hash) {
        return store.recent(knownKey(realmId, hash));
    }

    private static String knownKey(String realmId, String hash) {
        return "k|" + realmId + "|" + hash;
    }
}
