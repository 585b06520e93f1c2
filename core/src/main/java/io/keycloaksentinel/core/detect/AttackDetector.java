package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.RiskDecider;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.keycloaksentinel.core.risk.ThrottleDecision;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import java.util.function.Supplier;
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
 * <p>Its pieces, built here: {@link AttemptCounting} (what is counted) and {@link CounterReads}
 * (what is read for a decision or a view), behind this class's methods; {@link #states()} (the
 * realms seen, their thresholds, signals and attack state), {@link #known()} (each user's known
 * networks), {@link #keys()} (the realm's key, counted subjects, single-use claims),
 * {@link #incidents()} (flagged sources, suspect logins), {@link #admin()} (offenders, lifting);
 * {@link SourceKeys} says how an address is counted and names the counters.
 */
public final class AttackDetector {

    private static final Logger LOG = Logger.getLogger(AttackDetector.class);

    private final CounterStore store;
    private final DetectionObserver observer;
    private final LongSupplier clock;
    private final RealmKeys keys;
    private final IncidentLedger incidents;
    private final SourceAdmin admin;
    private final KnownSources known;
    private final RealmStates states;
    private final AttemptCounting counting;
    private final CounterReads reads;
    private final BurstTrigger burst;
    private final PasswordSprays sprays;
    private volatile HashBulkhead bulkhead = HashBulkhead.OFF;
    /** Sprayed fingerprints this node flagged or saw claimed (realm|fingerprint -> until): no claim round trip per attempt. */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> flagged = new java.util.concurrent.ConcurrentHashMap<>();

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, DetectionObserver.NONE);
    }

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, DetectionObserver observer) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, SourceKeys.DEFAULT_IPV6_WIDE_PREFIXES, observer);
    }

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, List<Integer> ipv6WidePrefixes, DetectionObserver observer) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, ipv6WidePrefixes, observer, (BurstTrigger.Scheduler) null);
    }

    /**
     * With {@code burstScheduler} (the detector's own background thread; null for none), an attempt
     * with the botnet's signature has its realm flushed and evaluated there within
     * {@value BurstTrigger#MIN_INTERVAL_MILLIS} ms ({@link BurstTrigger}), not at the next periodic evaluation.
     */
    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, List<Integer> ipv6WidePrefixes, DetectionObserver observer,
                          ScheduledExecutorService burstScheduler) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, ipv6WidePrefixes, observer, burstScheduler == null ? null
                : (run, delayMillis) -> burstScheduler.schedule(run, delayMillis, TimeUnit.MILLISECONDS));
    }

    AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                   int ipv6Prefix, List<Integer> ipv6WidePrefixes, DetectionObserver observer,
                   BurstTrigger.Scheduler burstScheduler) {
        this.store = store;
        this.observer = observer;
        this.clock = clock;
        SourceKeys sources = new SourceKeys(ipv4Prefix, ipv6Prefix, ipv6WidePrefixes);
        this.keys = new RealmKeys(store, clock);
        this.states = new RealmStates(store, clock, thresholds, observer);
        this.incidents = new IncidentLedger(store, clock, sources, states::thresholds);
        this.admin = new SourceAdmin(store, clock, sources, keys, states::thresholds);
        this.known = new KnownSources(store, sources, keys);
        this.counting = new AttemptCounting(store, sources, keys, states, known);
        this.reads = new CounterReads(store, clock, sources, keys, states, known);
        this.sprays = new PasswordSprays(store, keys, clock, sources);
        this.burst = burstScheduler == null ? BurstTrigger.OFF : new BurstTrigger(burstScheduler, clock, (id, name) -> {
            store.flush();
            states.evaluate(id, name);
        });
    }

    /** Password spraying: fingerprints and the distinct accounts each was tried on. */
    public PasswordSprays sprays() {
        return sprays;
    }

    /**
     * A password check found its fingerprint sprayed: the first time in the cluster (per password
     * and window) it is flagged: recorded in the incident ledger with the sign-ins it made, logged
     * (never the password) and handed to the incident response.
     */
    public void sprayed(String realmId, String realmName, String fingerprint, long accounts) {
        long now = clock.getAsLong();
        String key = realmId + "|" + fingerprint;
        if (sprayedHere(realmId, fingerprint)) {
            return;
        }
        PasswordSprays.Flag flag = sprays.claimFlag(realmId, fingerprint, accounts);
        if (flagged.size() >= 10_000) {
            flagged.clear();
        }
        flagged.put(key, now + PasswordSprays.WINDOW.length().toMillis()); // after the claim: a failed claim is tried again
        if (flag == null) {
            return; // flagged by another node
        }
        incidents.rememberSpray(realmId, flag);
        sprays.entered(realmId, flag).forEach(e -> incidents.rememberSprayedSignIn(realmId, e));
        LOG.warnf("Sentinel: password spraying in realm '%s': one password was tried on %d accounts from networks new to"
                + " them within an hour; it is refused from such networks from now on", realmName, accounts);
        observer.sprayFlagged(realmId, realmName, flag);
    }

    /** This node's hash bulkhead ({@link HashBulkhead#OFF} until the factory sets the server's). */
    public HashBulkhead bulkhead() {
        return bulkhead;
    }

    /** Sets this node's hash bulkhead, before the detector serves requests. */
    public void useBulkhead(HashBulkhead b) {
        bulkhead = b == null ? HashBulkhead.OFF : b;
    }

    /** Whether this node flagged or saw flagged the fingerprint within the hour. */
    public boolean sprayedHere(String realmId, String fingerprint) {
        Long until = flagged.get(realmId + "|" + fingerprint);
        return until != null && until > clock.getAsLong();
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
        if (realmId != null) {
            counted(realmId, realmName, (name, now) -> {
                observer.recorded(realmId, name, outcome);
                counting.login(realmId, outcome, ip, username, userId, now);
                if (outcome.burstSignature() && states.thresholds(realmId).burstRule()) {
                    burst.signal(realmId, name);
                }
            });
        }
    }

    /**
     * Counts a sign-up or password-reset event: per realm (1 min, 24 h), and for registration
     * and reset requests per address and network (15 min). Never throws for bad input.
     */
    public void recordActivity(String realmId, String realmName, AccountActivity activity, String ip) {
        if (realmId != null && activity != null) {
            counted(realmId, realmName, (name, now) -> {
                observer.activity(realmId, name, activity);
                counting.activity(realmId, activity, ip, now);
            });
        }
    }

    /** Runs one count (given the realm's name and the time), timed as a {@code record}, in a realm noted as seen. */
    private void counted(String realmId, String realmName, ObjLongConsumer<String> count) {
        long started = System.nanoTime();
        try {
            long now = clock.getAsLong();
            String name = realmName == null ? realmId : realmName;
            states.seen(realmId, name);
            count.accept(name, now);
        } finally {
            observer.timed(DetectionObserver.Operation.RECORD, System.nanoTime() - started);
        }
    }

    /** Each account activity in the realm: last minute and last day, over the cluster. */
    public Map<AccountActivity, long[]> activity(String realmId) {
        return reads.activity(realmId);
    }

    /**
     * Drops what this node holds for a deleted realm (its entry, hashing key, metrics). Its
     * cluster counters expire by themselves.
     */
    public void forget(String realmId) {
        states.forget(realmId);
        burst.forget(realmId);
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
        return reads.source(realmId, ip);
    }

    /**
     * Requests of one family (sign-ups or resets) from the address and from its network in the
     * last 15 minutes, over the cluster: {@code [address, network]}; zeros for an unparsable address.
     */
    public long[] accountRequests15m(String realmId, String ip, AccountActivity.Kind kind) {
        return reads.accountRequests15m(realmId, ip, kind);
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
    public <T> T timedCheck(Supplier<T> decision) {
        long started = System.nanoTime();
        try {
            return decision.get();
        } finally {
            observer.timed(DetectionObserver.Operation.CHECK, System.nanoTime() - started);
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
        return RiskDecider.decide(t, inputs, reads.knownHere(realmId, ip, subject, alsoKnownUnder), resolveKnown);
    }

    /** Whether {@code subject} (or one of {@code alsoKnownUnder}) signed in from the network of {@code ip} recently. */
    public boolean knownNetwork(String realmId, String ip, String subject, List<String> alsoKnownUnder) {
        return reads.knownHere(realmId, ip, subject, alsoKnownUnder).getAsBoolean();
    }

    /** What the decision needs about a source and (optionally) a subject: one batched counter read and the realm's state. */
    public RiskDecider.Inputs readInputs(String realmId, String ip, String subject) {
        return reads.inputs(realmId, ip, subject);
    }

    /** The same source's inputs for another subject: one read of that subject's counter. */
    public RiskDecider.Inputs withSubject(String realmId, RiskDecider.Inputs source, String subject) {
        return reads.withSubject(realmId, source, subject);
    }

    /** Tells the observer (metrics) that a login post was throttled (or, monitoring only, would have been). */
    public void throttled(String realmId, String realmName, boolean monitorOnly) {
        observer.throttled(realmId, realmName, monitorOnly);
    }

    /** Failed logins for one username in the last 15 minutes (counted under its keyed hash). */
    public long usernameFailures15m(String realmId, String username) {
        return reads.usernameFailures15m(realmId, username);
    }

    /** Failed logins for one account (whatever name it was typed as) from networks it never signed in from, 15 minutes. */
    public long accountUnknownSourceFailures15m(String realmId, String userId) {
        return reads.unknownSourceFailures15m(realmId, keys.accountSubject(realmId, userId));
    }

    /** Failed logins for one username from networks its user never signed in from, last 15 minutes. */
    public long unknownSourceFailures15m(String realmId, String username) {
        return reads.unknownSourceFailures15m(realmId, keys.typedSubject(realmId, username));
    }

    public void flush() {
        store.flush();
    }

}
