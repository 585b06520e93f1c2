package io.keycloaksentinel.core.detect;

import static io.keycloaksentinel.core.detect.SourceKeys.ipCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.networkCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.realmCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.unknownSourceCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.usernameCounter;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * What the {@link AttackDetector} writes: the counts of one login attempt or account activity,
 * added to this node's buffer of the {@link CounterStore} (never a cluster write on the request
 * thread; smart lockout reads a user's known networks only for a failure from a known name).
 */
final class AttemptCounting {

    /** The realm counters of the burst signal ({@link Window#TEN_SECONDS}), read by {@link RealmStates#signals}. */
    static final String BURST_FAIL = "fail10", BURST_SIGNATURE = "sig10", BURST_OK = "ok10", BURST_DISTINCT = "d10";
    /**
     * The low-and-slow signal: distinct accounts that failed from a network new to them, in the last
     * hour and day (two counters: a member's first sighting is marked per counter).
     */
    static final String NEW_NETWORK_ACCOUNTS_HOUR = "nna1h", NEW_NETWORK_ACCOUNTS_DAY = "nna24h";

    /** The successful sign-ins from a network in the realm ({@link Window#ONE_DAY}): its history. */
    static String successCounter(String realmId, String network) {
        return "o" + networkCounter(realmId, network);
    }

    private final CounterStore store;
    private final SourceKeys sources;
    private final RealmKeys keys;
    private final RealmStates states;
    private final KnownSources known;

    AttemptCounting(CounterStore store, SourceKeys sources, RealmKeys keys, RealmStates states, KnownSources known) {
        this.store = store;
        this.sources = sources;
        this.keys = keys;
        this.states = states;
        this.known = known;
    }

    /** Counts one login attempt at {@code now}, in a realm already {@link RealmStates#seen seen}. */
    void login(String realmId, LoginOutcome outcome, String ip, String username, String userId, long now) {
        if (!outcome.failed()) {
            store.add(Scope.REALM, realmCounter(realmId, "ok"), Window.ONE_MINUTE, now, 1);
            store.add(Scope.REALM, realmCounter(realmId, BURST_OK), Window.TEN_SECONDS, now, 1);
            SourceKeys.Source source = sources.sourceOf(ip);
            if (source.parsed()) {
                // the network's history in the realm: a source with none is one sign of a break-in (IncidentLedger)
                store.add(Scope.SUBJECT, successCounter(realmId, source.network()), Window.ONE_DAY, now, 1);
            }
            return;
        }
        store.add(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_MINUTE, now, 1);
        store.add(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_DAY, now, 1);
        if (outcome == LoginOutcome.FAILURE_UNKNOWN_USER) {
            store.add(Scope.REALM, realmCounter(realmId, "unknown"), Window.ONE_MINUTE, now, 1);
        }
        String typed = keys.typedSubject(realmId, username);
        countBurst(realmId, outcome, typed, now);
        SourceKeys.Source source = sources.sourceOf(ip);
        String ipCounter = ipCounter(realmId, source.address());
        String networkCounter = networkCounter(realmId, source.network());
        store.add(Scope.SUBJECT, ipCounter, Window.FIFTEEN_MINUTES, now, 1);
        store.add(Scope.SUBJECT, ipCounter, Window.ONE_DAY, now, 1);
        if (outcome == LoginOutcome.CAPTCHA_FAILED || outcome == LoginOutcome.REFUSED) {
            // nothing about the account was checked; counted for the realm and the address only: one
            // host hammering cheap refusals must not throttle its whole network (neighbours included)
            return;
        }
        store.add(Scope.SUBJECT, networkCounter, Window.FIFTEEN_MINUTES, now, 1);
        for (String wide : source.wide()) {
            store.add(Scope.SUBJECT, networkCounter(realmId, wide), Window.FIFTEEN_MINUTES, now, 1);
        }
        String account = keys.accountSubject(realmId, userId);
        if (typed != null) {
            store.add(Scope.SUBJECT, usernameCounter(realmId, typed), Window.FIFTEEN_MINUTES, now, 1);
            store.addDistinct(Scope.SUBJECT, "d" + ipCounter, typed, Window.FIFTEEN_MINUTES, now);
            store.addDistinct(Scope.SUBJECT, "d" + networkCounter, typed, Window.FIFTEEN_MINUTES, now);
            for (String wide : source.wide()) {
                store.addDistinct(Scope.SUBJECT, "d" + networkCounter(realmId, wide), typed, Window.FIFTEEN_MINUTES, now);
            }
        }
        if (states.thresholds(realmId).smartLockout()) {
            countUnknownSource(realmId, outcome, source, typed, account, now);
        }
    }

    /**
     * The burst signal (the realm's last ten seconds): every failure, those with the botnet's
     * signature (an unknown username, and the posts refused before any lookup: a bot ignoring the
     * CAPTCHA keeps the signature instead of diluting it), and the distinct typed names (the first
     * sighting's marker lives in the bounded subject cache for the window).
     */
    private void countBurst(String realmId, LoginOutcome outcome, String typed, long now) {
        store.add(Scope.REALM, realmCounter(realmId, BURST_FAIL), Window.TEN_SECONDS, now, 1);
        if (outcome.burstSignature()) {
            store.add(Scope.REALM, realmCounter(realmId, BURST_SIGNATURE), Window.TEN_SECONDS, now, 1);
        }
        if (typed != null) {
            store.addDistinct(Scope.REALM, realmCounter(realmId, BURST_DISTINCT), typed, Window.TEN_SECONDS, now);
        }
    }

    /**
     * Smart lockout: under the typed name (checked before the lookup, the same for every name) and
     * under the account (checked at the password, whatever name it was typed as); a username that
     * does not exist has no known network: no cluster read for it (the botnet's case).
     */
    private void countUnknownSource(String realmId, LoginOutcome outcome, SourceKeys.Source source, String typed,
                                    String account, long now) {
        if (typed != null && (outcome == LoginOutcome.FAILURE_UNKNOWN_USER || !source.parsed()
                || !known.knownNetworks(realmId, typed).contains(source.network()))) {
            store.add(Scope.SUBJECT, unknownSourceCounter(realmId, typed), Window.FIFTEEN_MINUTES, now, 1);
        }
        // the account's networks are also those its typed names were seen signing in from (remembered
        // under the names before accounts were counted apart): the owner's home never counts as unknown
        if (account != null && !account.equals(typed) && (!source.parsed()
                || !(known.knownNetworks(realmId, account).contains(source.network())
                || typed != null && outcome != LoginOutcome.FAILURE_UNKNOWN_USER
                        && known.knownNetworks(realmId, typed).contains(source.network())))) {
            store.add(Scope.SUBJECT, unknownSourceCounter(realmId, account), Window.FIFTEEN_MINUTES, now, 1);
            // the realm's low-and-slow signal: one account tried once from somewhere new, many accounts
            store.addDistinct(Scope.REALM, realmCounter(realmId, NEW_NETWORK_ACCOUNTS_HOUR), account, Window.ONE_HOUR, now);
            store.addDistinct(Scope.REALM, realmCounter(realmId, NEW_NETWORK_ACCOUNTS_DAY), account, Window.ONE_DAY, now);
        }
    }

    /**
     * Counts a sign-up or password-reset event at {@code now}: per realm (1 min, 24 h), and for
     * registration and reset requests per address and network (15 min).
     */
    void activity(String realmId, AccountActivity activity, String ip, long now) {
        store.add(Scope.REALM, realmCounter(realmId, "a-" + activity.key()), Window.ONE_MINUTE, now, 1);
        store.add(Scope.REALM, realmCounter(realmId, "a-" + activity.key()), Window.ONE_DAY, now, 1);
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (activity.kind() != null && address.isPresent()) {
            String kind = activity.kind().name().toLowerCase(Locale.ROOT);
            store.add(Scope.SUBJECT, "a" + sources.ipCounter(realmId, address.get()) + "|" + kind, Window.FIFTEEN_MINUTES, now, 1);
            store.add(Scope.SUBJECT, "a" + sources.networkCounter(realmId, address.get()) + "|" + kind, Window.FIFTEEN_MINUTES,
                    now, 1);
        }
    }
}
