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
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.RiskDecider;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.keycloaksentinel.core.risk.ThrottleDecision;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The one place that counts login attempts and decides how risky things are: every capability
 * asks it, none counts on its own. It writes and reads through a {@link CounterStore}, so what it
 * decides is the same on every node of a cluster.
 *
 * <p>Counted per failed login: the realm (last minute, last day; and how many were for unknown
 * usernames), the source IP (15 min, 24 h), its network (15 min), the distinct usernames tried
 * from the IP and from the network (15 min), and the username (15 min; as a keyed hash, never
 * the name), the latter also apart for failures from networks where that user never signed in
 * (smart lockout). Successes are counted per realm, and remember the user's network as known.
 *
 * <p>Its pieces, built here: {@link #states()} (the realms seen, their thresholds, signals and
 * attack state), {@link #known()} (each user's known networks), {@link #keys()} (the realm's
 * key, counted subjects, single-use claims), {@link #incidents()} (flagged sources, suspect
 * logins), {@link #admin()} (offenders, lifting); {@link SourceKeys} says how an address is
 * counted and names the counters.
 */
public final class AttackDetector {

    private static final Logger LOG = Logger.getLogger(AttackDetector.class);

    /** The two things Sentinel does on a request thread, timed for the metrics. */
    public enum Operation { RECORD, CHECK }

    /** Told of every counted attempt (metrics). */
    public interface Observer {
        void recorded(String realmId, String realmName, LoginOutcome outcome);

        default void throttled(String realmId, String realmName, boolean monitorOnly) {
        }

        default void forgotten(String realmId) {
        }

        default void timed(Operation operation, long nanos) {
        }

        default void activity(String realmId, String realmName, AccountActivity activity) {
        }

        /** The realm's attack state changed; called on exactly one node of the cluster per change. */
        default void stateChanged(String realmId, String realmName, RealmAttackStatus from, RealmAttackStatus to) {
        }

        Observer NONE = (id, name, outcome) -> { };
    }

    private final CounterStore store;
    private final Observer observer;
    private final LongSupplier clock;
    private final SourceKeys sources;
    private final RealmKeys keys;
    private final IncidentLedger incidents;
    private final SourceAdmin admin;
    private final KnownSources known;
    private final RealmStates states;

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, Observer.NONE);
    }

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, Observer observer) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, SourceKeys.DEFAULT_IPV6_WIDE_PREFIXES, observer);
    }

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, List<Integer> ipv6WidePrefixes, Observer observer) {
        this.store = store;
        this.observer = observer;
        this.clock = clock;
        this.sources = new SourceKeys(ipv4Prefix, ipv6Prefix, ipv6WidePrefixes);
        this.keys = new RealmKeys(store, clock);
        this.states = new RealmStates(store, clock, thresholds, observer);
        this.incidents = new IncidentLedger(store, clock, sources, states::thresholds);
        this.admin = new SourceAdmin(store, clock, sources, keys, states::thresholds);
        this.known = new KnownSources(store, sources, keys);
    }

    /** The realm's keys: counted subjects, derived keys, single-use claims. */
    public RealmKeys keys() {
        return keys;
    }

    /** The incident ledger: flagged sources and suspect logins. */
    public IncidentLedger incidents() {
        return incidents;
    }

    /** The admin's view and actions on sources: offenders, lifting a throttle or a smart lockout. */
    public SourceAdmin admin() {
        return admin;
    }

    /** Each subject's recently known networks (smart lockout): remembering and asking. */
    public KnownSources known() {
        return known;
    }

    /** The realms this node has seen: their thresholds, signals and attack state. */
    public RealmStates states() {
        return states;
    }

    /** Counts one login attempt. Never throws for bad input: an unparseable IP is counted for the realm only. */
    public void record(String realmId, String realmName, LoginOutcome outcome, String ip, String username) {
        record(realmId, realmName, outcome, ip, username, null);
    }

    /**
     * Counts one login attempt; {@code userId} (null when the name matched no account) counts the
     * failure for the account too, whatever name it was typed as. Never throws for bad input: an
     * unparseable IP is counted in one shared bucket.
     */
    public void record(String realmId, String realmName, LoginOutcome outcome, String ip, String username, String userId) {
        if (realmId == null) {
            return;
        }
        long started = System.nanoTime();
        try {
            count(realmId, realmName, outcome, ip, username, userId);
        } finally {
            observer.timed(Operation.RECORD, System.nanoTime() - started);
        }
    }

    private void count(String realmId, String realmName, LoginOutcome outcome, String ip, String username,
                       String userId) {
        long now = clock.getAsLong();
        String name = realmName == null ? realmId : realmName;
        states.seen(realmId, name);
        observer.recorded(realmId, name, outcome);
        if (!outcome.failed()) {
            store.add(Scope.REALM, realmCounter(realmId, "ok"), Window.ONE_MINUTE, now, 1);
            return;
        }
        store.add(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_MINUTE, now, 1);
        store.add(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_DAY, now, 1);
        if (outcome == LoginOutcome.FAILURE_UNKNOWN_USER) {
            store.add(Scope.REALM, realmCounter(realmId, "unknown"), Window.ONE_MINUTE, now, 1);
        }
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
        String typed = keys.typedSubject(realmId, username);
        String account = keys.accountSubject(realmId, userId);
        if (typed != null) {
            store.add(Scope.SUBJECT, usernameCounter(realmId, typed), Window.FIFTEEN_MINUTES, now, 1);
            store.addDistinct(Scope.SUBJECT, "d" + ipCounter, typed, Window.FIFTEEN_MINUTES, now);
            store.addDistinct(Scope.SUBJECT, "d" + networkCounter, typed, Window.FIFTEEN_MINUTES, now);
            for (String wide : source.wide()) {
                store.addDistinct(Scope.SUBJECT, "d" + networkCounter(realmId, wide), typed, Window.FIFTEEN_MINUTES, now);
            }
        }
        if (!states.thresholds(realmId).smartLockout()) {
            return;
        }
        // smart lockout: under the typed name (checked before the lookup, the same for every name) and
        // under the account (checked at the password, whatever name it was typed as); a username that
        // does not exist has no known network: no cluster read for it (the botnet's case)
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
        }
    }

    /**
     * Counts a sign-up or password-reset event: per realm (1 min, 24 h), and for registration
     * and reset requests per address and network (15 min). Never throws for bad input.
     */
    public void recordActivity(String realmId, String realmName, AccountActivity activity, String ip) {
        if (realmId == null || activity == null) {
            return;
        }
        long started = System.nanoTime();
        try {
            long now = clock.getAsLong();
            String name = realmName == null ? realmId : realmName;
            states.seen(realmId, name);
            observer.activity(realmId, name, activity);
            store.add(Scope.REALM, realmCounter(realmId, "a-" + activity.key()), Window.ONE_MINUTE, now, 1);
            store.add(Scope.REALM, realmCounter(realmId, "a-" + activity.key()), Window.ONE_DAY, now, 1);
            Optional<InetAddress> address = IpAddresses.parse(ip);
            if (activity.kind() != null && address.isPresent()) {
                String kind = activity.kind().name().toLowerCase(Locale.ROOT);
                store.add(Scope.SUBJECT, "a" + sources.ipCounter(realmId, address.get()) + "|" + kind, Window.FIFTEEN_MINUTES, now, 1);
                store.add(Scope.SUBJECT, "a" + sources.networkCounter(realmId, address.get()) + "|" + kind, Window.FIFTEEN_MINUTES,
                        now, 1);
            }
        } finally {
            observer.timed(Operation.RECORD, System.nanoTime() - started);
        }
    }

    /** Each account activity in the realm: last minute and last day, over the cluster. */
    public Map<AccountActivity, long[]> activity(String realmId) {
        AccountActivity[] all = AccountActivity.values();
        List<String> counters = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        for (AccountActivity a : all) {
            counters.add(realmCounter(realmId, "a-" + a.key()));
            windows.add(Window.ONE_MINUTE);
            counters.add(realmCounter(realmId, "a-" + a.key()));
            windows.add(Window.ONE_DAY);
        }
        long[] sums = store.sumAll(Scope.REALM, counters, windows, clock.getAsLong());
        Map<AccountActivity, long[]> result = new java.util.EnumMap<>(AccountActivity.class);
        for (int i = 0; i < all.length; i++) {
            result.put(all[i], new long[] {sums[2 * i], sums[2 * i + 1]});
        }
        return result;
    }

    /**
     * Drops what this node holds for a deleted realm (its entry, hashing key, metrics). Its
     * cluster counters expire by themselves.
     */
    public void forget(String realmId) {
        states.forget(realmId);
        keys.forget(realmId);
        observer.forgotten(realmId);
    }

    /** Failed logins from one source address: last 15 minutes and last day, and from its network in 15 minutes. */
    public record SourceCounts(String ip, String network, long ipFailures15m, long ipFailures24h, long networkFailures15m,
                               long ipUsernames15m, long networkUsernames15m, long ipRegistrations15m,
                               long ipResetRequests15m) {

        /** Sign-ups and reset requests from the address in 15 minutes. */
        public long ipAccountRequests15m() {
            return ipRegistrations15m + ipResetRequests15m;
        }
    }

    public Optional<SourceCounts> source(String realmId, String ip) {
        return IpAddresses.parse(ip).map(a -> {
            long now = clock.getAsLong();
            String ipCounter = sources.ipCounter(realmId, a);
            String networkCounter = sources.networkCounter(realmId, a);
            Window w15 = Window.FIFTEEN_MINUTES;
            long[] sums = store.sumAll(Scope.SUBJECT,
                    List.of(ipCounter, ipCounter, networkCounter, "d" + ipCounter, "d" + networkCounter,
                            "a" + ipCounter + "|registration", "a" + ipCounter + "|reset"),
                    List.of(w15, Window.ONE_DAY, w15, w15, w15, w15, w15), now);
            return new SourceCounts(IpAddresses.canonical(a), sources.network(a), sums[0], sums[1], sums[2], sums[3], sums[4],
                    sums[5], sums[6]);
        });
    }

    /**
     * Requests of one family (sign-ups or resets) from the address and from its network in the
     * last 15 minutes, over the cluster: {@code [address, network]}; zeros for an unparsable address.
     */
    public long[] accountRequests15m(String realmId, String ip, AccountActivity.Kind kind) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isEmpty() || kind == null) {
            return new long[2];
        }
        String suffix = "|" + kind.name().toLowerCase(Locale.ROOT);
        return store.sumAll(Scope.SUBJECT,
                List.of("a" + sources.ipCounter(realmId, address.get()) + suffix, "a" + sources.networkCounter(realmId, address.get()) + suffix),
                List.of(Window.FIFTEEN_MINUTES, Window.FIFTEEN_MINUTES), clock.getAsLong());
    }

    /** {@link #check} for a source address alone (no username: smart lockout not consulted), failing open. */
    public ThrottleDecision throttle(String realmId, String ip) {
        return check(realmId, ip, null, false);
    }

    /**
     * The throttle part of {@link #decide} for a typed username, with this node's thresholds for
     * the realm (admin views, benchmarks). When the store fails, the login goes on, unless
     * {@code failClosed}.
     */
    public ThrottleDecision check(String realmId, String ip, String username, boolean failClosed) {
        try {
            return decide(realmId, ip, keys.typedSubject(realmId, username), states.thresholds(realmId), false).throttle();
        } catch (RuntimeException e) {
            if (failClosed) {
                LOG.warnf("Sentinel: cannot decide on a login post (%s); refusing it (fail-closed)", e.toString());
                return ThrottleDecision.refuse(RefusalReason.UNAVAILABLE, Duration.ofSeconds(30), "detector unavailable");
            }
            LOG.warnf("Sentinel: cannot decide on a login post (%s); letting it through", e.toString());
            return ThrottleDecision.ALLOW;
        }
    }

    /**
     * @param level       HIGH: the realm is under attack or the request would be refused; MEDIUM: the
     *                    realm is elevated, or a subject reached half of a threshold; LOW otherwise
     * @param reasons     what raised the level, for logs and the admin API (no usernames, no secrets)
     * @param knownSource whether the username was typed from a network its user signed in from recently
     */
    public record RiskAssessment(RiskLevel level, List<String> reasons, boolean knownSource) {
    }

    /** The risk of a login request from {@code ip} for {@code username} (either may be null), for the admin view. */
    public RiskAssessment assess(String realmId, String ip, String username) {
        Risk risk = decide(realmId, ip, keys.typedSubject(realmId, username), states.thresholds(realmId), true);
        return new RiskAssessment(risk.level(), risk.reasons(), risk.knownSource());
    }

    /**
     * The risk of a request from {@code ip} for a subject ({@link RealmKeys#typedSubject} or
     * {@link RealmKeys#accountSubject}; null for none) under the thresholds {@code t}: one batched read of
     * the counters and the realm's state, then the known networks of the subject only when the
     * answer depends on them (or always with {@code resolveKnown}). Throws when the store fails.
     */
    public Risk decide(String realmId, String ip, String subject, DetectionThresholds t, boolean resolveKnown) {
        return timedCheck(() -> decide(realmId, ip, readInputs(realmId, ip, subject), subject, t, resolveKnown));
    }

    /**
     * Runs one decision (its reads and the decider) as one {@code check} on the timer: the metric
     * counts decisions, whatever pieces they are made of.
     */
    public <T> T timedCheck(java.util.function.Supplier<T> decision) {
        long started = System.nanoTime();
        try {
            return decision.get();
        } finally {
            observer.timed(Operation.CHECK, System.nanoTime() - started);
        }
    }

    /** The decision from inputs already read ({@link #readInputs}, {@link #withSubject}); reads only known networks, if needed. */
    public Risk decide(String realmId, String ip, RiskDecider.Inputs inputs, String subject, DetectionThresholds t,
                       boolean resolveKnown) {
        return decide(realmId, ip, inputs, subject, List.of(), t, resolveKnown);
    }

    /**
     * The same, where the subject's network also counts as known when it is known under one of
     * {@code alsoKnownUnder} (an account's username and email, under which its networks were
     * remembered before accounts were counted apart).
     */
    public Risk decide(String realmId, String ip, RiskDecider.Inputs inputs, String subject, List<String> alsoKnownUnder,
                       DetectionThresholds t, boolean resolveKnown) {
        SourceKeys.Source source = sources.sourceOf(ip);
        java.util.function.BooleanSupplier knownHere = () -> {
            if (subject == null || !source.parsed()) {
                return false;
            }
            if (known.knownNetworks(realmId, subject).contains(source.network())) {
                return true;
            }
            for (String alias : alsoKnownUnder) {
                if (alias != null && known.knownNetworks(realmId, alias).contains(source.network())) {
                    return true;
                }
            }
            return false;
        };
        return RiskDecider.decide(t, inputs, knownHere, resolveKnown);
    }

    /** What the decision needs about a source and (optionally) a subject: one batched counter read and the realm's state. */
    public RiskDecider.Inputs readInputs(String realmId, String ip, String subject) {
        return read(realmId, sources.sourceOf(ip), subject);
    }

    /** The same source's inputs for another subject: one read of that subject's counter. */
    public RiskDecider.Inputs withSubject(String realmId, RiskDecider.Inputs source, String subject) {
        if (subject == null) {
            return source.withSubject(false, 0);
        }
        return source.withSubject(true, store.sum(Scope.SUBJECT, unknownSourceCounter(realmId, subject),
                Window.FIFTEEN_MINUTES, clock.getAsLong()));
    }

    private RiskDecider.Inputs read(String realmId, SourceKeys.Source source, String subject) {
        String ipCounter = ipCounter(realmId, source.address());
        String networkCounter = networkCounter(realmId, source.network());
        Window w15 = Window.FIFTEEN_MINUTES;
        List<String> counters = new ArrayList<>(List.of(ipCounter, networkCounter, "d" + networkCounter,
                "a" + ipCounter + "|registration", "a" + ipCounter + "|reset",
                subject == null ? ipCounter : unknownSourceCounter(realmId, subject)));
        List<Window> windows = new ArrayList<>(List.of(Window.ONE_DAY, w15, w15, w15, w15, w15));
        for (String wide : source.wide()) {
            counters.add(networkCounter(realmId, wide));
            counters.add("d" + networkCounter(realmId, wide));
            windows.add(w15);
            windows.add(w15);
        }
        long[] sums = store.sumAll(Scope.SUBJECT, counters, windows, clock.getAsLong());
        long networkFailures = sums[1];
        long networkUsernames = sums[2];
        for (int i = 6, w = 0; i + 1 < sums.length; i += 2, w++) {
            // a wider network counts at a multiple of the thresholds; whichever network crosses first counts
            long scale = sources.wideScale(w);
            networkFailures = Math.max(networkFailures, sums[i] / scale);
            networkUsernames = Math.max(networkUsernames, sums[i + 1] / scale);
        }
        AttackState state = states.recentState(realmId);
        return new RiskDecider.Inputs(state, sums[0], networkFailures, networkUsernames, sums[3] + sums[4], subject != null,
                subject == null ? 0 : sums[5]);
    }

    /** Tells the observer (metrics) that a login post was throttled (or, monitoring only, would have been). */
    public void throttled(String realmId, String realmName, boolean monitorOnly) {
        observer.throttled(realmId, realmName, monitorOnly);
    }

    /** Failed logins for one username in the last 15 minutes (counted under its keyed hash). */
    public long usernameFailures15m(String realmId, String username) {
        return store.sum(Scope.SUBJECT, usernameCounter(realmId, keys.typedSubject(realmId, username)), Window.FIFTEEN_MINUTES,
                clock.getAsLong());
    }

    /** Failed logins for one account (whatever name it was typed as) from networks it never signed in from, 15 minutes. */
    public long accountUnknownSourceFailures15m(String realmId, String userId) {
        return store.sum(Scope.SUBJECT, unknownSourceCounter(realmId, keys.accountSubject(realmId, userId)),
                Window.FIFTEEN_MINUTES, clock.getAsLong());
    }

    /** Failed logins for one username from networks its user never signed in from, last 15 minutes. */
    public long unknownSourceFailures15m(String realmId, String username) {
        return store.sum(Scope.SUBJECT, unknownSourceCounter(realmId, keys.typedSubject(realmId, username)),
                Window.FIFTEEN_MINUTES, clock.getAsLong());
    }

    public void flush() {
        store.flush();
    }

}
