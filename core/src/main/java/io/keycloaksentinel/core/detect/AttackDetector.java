package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.net.IpAddresses;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * The one place that counts login attempts and decides how risky things are: every capability
 * asks it, none counts on its own. It writes and reads through a {@link CounterStore}, so what it
 * decides is the same on every node of a cluster.
 *
 * <p>Counted per failed login: the realm (last minute, last day; and how many were for unknown
 * usernames), the source IP (15 min, 24 h), its network (15 min) and the username (15 min;
 * as a keyed hash, never the name). Successes are counted per realm.
 */
public final class AttackDetector {

    private static final Logger LOG = Logger.getLogger(AttackDetector.class);
    /** Usernames are hashed, so any length is safe; beyond this only the length adds to the hash. */
    static final int MAX_USERNAME_CHARS_HASHED = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

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

        Observer NONE = (id, name, outcome) -> { };
    }

    private final CounterStore store;
    private final Observer observer;
    private final DetectionThresholds defaults;
    private final LongSupplier clock;
    private final int ipv4Prefix;
    private final int ipv6Prefix;
    private record RealmEntry(String name, DetectionThresholds thresholds) {
    }

    /** The realms this node has seen, with their thresholds; realms are few and admin-made. */
    private final Map<String, RealmEntry> activeRealms = new ConcurrentHashMap<>();
    private final Map<String, SecretKeySpec> hashKeys = new ConcurrentHashMap<>();

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix) {
        this(store, thresholds, clock, ipv4Prefix, ipv6Prefix, Observer.NONE);
    }

    public AttackDetector(CounterStore store, DetectionThresholds thresholds, LongSupplier clock, int ipv4Prefix,
                          int ipv6Prefix, Observer observer) {
        this.store = store;
        this.observer = observer;
        this.defaults = thresholds;
        this.clock = clock;
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
    }

    /** Counts one login attempt. Never throws for bad input: an unparseable IP is counted for the realm only. */
    public void record(String realmId, String realmName, LoginOutcome outcome, String ip, String username) {
        if (realmId == null) {
            return;
        }
        long started = System.nanoTime();
        try {
            count(realmId, realmName, outcome, ip, username);
        } finally {
            observer.timed(Operation.RECORD, System.nanoTime() - started);
        }
    }

    private void count(String realmId, String realmName, LoginOutcome outcome, String ip, String username) {
        long now = clock.getAsLong();
        String name = realmName == null ? realmId : realmName;
        activeRealms.compute(realmId, (id, e) -> e != null && e.name().equals(name) ? e : new RealmEntry(name,
                e == null ? defaults : e.thresholds()));
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
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isPresent()) {
            String ipCounter = ipCounter(realmId, address.get());
            store.add(Scope.SUBJECT, ipCounter, Window.FIFTEEN_MINUTES, now, 1);
            store.add(Scope.SUBJECT, ipCounter, Window.ONE_DAY, now, 1);
            store.add(Scope.SUBJECT, networkCounter(realmId, address.get()), Window.FIFTEEN_MINUTES, now, 1);
        }
        if (username != null && !username.isEmpty()) {
            store.add(Scope.SUBJECT, "u|" + realmId + "|" + usernameHash(realmId, username), Window.FIFTEEN_MINUTES, now, 1);
        }
    }

    /** Sets the thresholds this node applies to a realm (read from its attributes on each event, or set by an admin). */
    public void configure(String realmId, String realmName, DetectionThresholds thresholds) {
        activeRealms.put(realmId, new RealmEntry(realmName == null ? realmId : realmName, thresholds));
    }

    /** The thresholds this node applies to the realm. */
    public DetectionThresholds thresholds(String realmId) {
        RealmEntry e = activeRealms.get(realmId);
        return e == null ? defaults : e.thresholds();
    }

    /** The realm's signals now, summed over the cluster. */
    public RealmSignals signals(String realmId) {
        long now = clock.getAsLong();
        return new RealmSignals(
                store.sum(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_MINUTE, now),
                store.sum(Scope.REALM, realmCounter(realmId, "unknown"), Window.ONE_MINUTE, now),
                store.sum(Scope.REALM, realmCounter(realmId, "fail"), Window.ONE_DAY, now),
                store.sum(Scope.REALM, realmCounter(realmId, "ok"), Window.ONE_MINUTE, now));
    }

    /** The realm's attack state as the cluster holds it (NORMAL if never evaluated). */
    public RealmAttackStatus status(String realmId) {
        return store.get(stateKey(realmId)).flatMap(RealmAttackStatus::decode).orElse(RealmAttackStatus.INITIAL);
    }

    /**
     * Moves the realm's attack state on from its current signals. Every node may call this; the
     * cluster-wide compare-and-set lets exactly one of them record (and log) a transition.
     */
    public RealmAttackStatus evaluate(String realmId, String realmName) {
        String key = stateKey(realmId);
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<String> stored = store.get(key);
            RealmAttackStatus current = stored.flatMap(RealmAttackStatus::decode).orElse(RealmAttackStatus.INITIAL);
            RealmAttackStatus next = new AttackStateMachine(thresholds(realmId)).next(current, signals(realmId),
                    clock.getAsLong());
            if (next.equals(current)) {
                return current;
            }
            if (store.compareAndSet(key, stored.orElse(null), next.encode())) {
                if (next.state() != current.state()) {
                    LOG.warnf("Sentinel: realm '%s' attack state %s -> %s: %s", realmName, current.state(), next.state(),
                            next.reason());
                }
                return next;
            }
        }
        return status(realmId);
    }

    /**
     * Drops what this node holds for a deleted realm (its entry, hashing key, metrics). Its
     * cluster counters expire by themselves.
     */
    public void forget(String realmId) {
        activeRealms.remove(realmId);
        hashKeys.remove(realmId);
        observer.forgotten(realmId);
    }

    /** Evaluates every realm this node has seen; run periodically by the provider factory. */
    public void evaluateActiveRealms() {
        activeRealms.forEach((id, entry) -> {
            String name = entry.name();
            try {
                evaluate(id, name);
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: cannot evaluate the attack state of realm '%s': %s", name, e.toString());
            }
        });
    }

    /** Failed logins from one source address: last 15 minutes and last day, and from its network in 15 minutes. */
    public record SourceCounts(String ip, String network, long ipFailures15m, long ipFailures24h, long networkFailures15m) {
    }

    public Optional<SourceCounts> source(String realmId, String ip) {
        return IpAddresses.parse(ip).map(a -> {
            long now = clock.getAsLong();
            String ipCounter = ipCounter(realmId, a);
            return new SourceCounts(IpAddresses.canonical(a), IpAddresses.network(a, ipv4Prefix, ipv6Prefix),
                    store.sum(Scope.SUBJECT, ipCounter, Window.FIFTEEN_MINUTES, now),
                    store.sum(Scope.SUBJECT, ipCounter, Window.ONE_DAY, now),
                    store.sum(Scope.SUBJECT, networkCounter(realmId, a), Window.FIFTEEN_MINUTES, now));
        });
    }

    /** Whether a login post from {@code ip} must be refused before any password is checked, and for how long. */
    public record ThrottleDecision(boolean throttled, long retryAfterSeconds, String reason) {
        static final ThrottleDecision ALLOW = new ThrottleDecision(false, 0, "");
    }

    /**
     * Throttles a source that crossed its realm's per-IP (24 h) or per-network (15 min) failure
     * threshold. Reads two counters (one cluster round trip); an unparseable address is never
     * throttled (it cannot be attributed), and a store failure lets the login through.
     */
    public ThrottleDecision throttle(String realmId, String ip) {
        long started = System.nanoTime();
        try {
            return decide(realmId, ip);
        } finally {
            observer.timed(Operation.CHECK, System.nanoTime() - started);
        }
    }

    private ThrottleDecision decide(String realmId, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isEmpty()) {
            return ThrottleDecision.ALLOW;
        }
        DetectionThresholds t = thresholds(realmId);
        long now = clock.getAsLong();
        long perIp = store.sum(Scope.SUBJECT, ipCounter(realmId, address.get()), Window.ONE_DAY, now);
        if (perIp >= t.ipFailuresPerDay()) {
            return new ThrottleDecision(true, Window.ONE_DAY.bucket().toSeconds(),
                    perIp + " failed logins from this address in 24 h");
        }
        long perNetwork = store.sum(Scope.SUBJECT, networkCounter(realmId, address.get()), Window.FIFTEEN_MINUTES, now);
        if (perNetwork >= t.networkFailuresPer15m()) {
            return new ThrottleDecision(true, Window.FIFTEEN_MINUTES.bucket().toSeconds() * 5,
                    perNetwork + " failed logins from this network in 15 min");
        }
        return ThrottleDecision.ALLOW;
    }

    /** Tells the observer (metrics) that a login post was throttled (or, monitoring only, would have been). */
    public void throttled(String realmId, String realmName, boolean monitorOnly) {
        observer.throttled(realmId, realmName, monitorOnly);
    }

    /** Failed logins for one username in the last 15 minutes (counted under its keyed hash). */
    public long usernameFailures15m(String realmId, String username) {
        return store.sum(Scope.SUBJECT, "u|" + realmId + "|" + usernameHash(realmId, username), Window.FIFTEEN_MINUTES,
                clock.getAsLong());
    }

    public void flush() {
        store.flush();
    }

    private String ipCounter(String realmId, InetAddress a) {
        return "i|" + realmId + "|" + IpAddresses.canonical(a);
    }

    private String networkCounter(String realmId, InetAddress a) {
        return "n|" + realmId + "|" + IpAddresses.network(a, ipv4Prefix, ipv6Prefix);
    }

    private static String realmCounter(String realmId, String what) {
        return "r|" + realmId + "|" + what;
    }

    private static String stateKey(String realmId) {
        return "state|" + realmId;
    }

    /**
     * HMAC-SHA256 of the lower-cased username under a random per-realm key that lives in the
     * cluster cache: counts per username without storing or logging the name, and without a
     * hash anyone could recompute from a list of names.
     */
    String usernameHash(String realmId, String username) {
        String normalized = username.length() > MAX_USERNAME_CHARS_HASHED
                ? username.substring(0, MAX_USERNAME_CHARS_HASHED) + "#" + username.length()
                : username;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(hashKeys.computeIfAbsent(realmId, this::loadOrCreateHashKey));
            byte[] digest = mac.doFinal(normalized.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 16));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private SecretKeySpec loadOrCreateHashKey(String realmId) {
        String key = "hash-key|" + realmId;
        Optional<String> existing = store.get(key);
        if (existing.isEmpty()) {
            byte[] fresh = new byte[32];
            RANDOM.nextBytes(fresh);
            store.compareAndSet(key, null, Base64.getEncoder().encodeToString(fresh));
            existing = store.get(key);
        }
        return new SecretKeySpec(Base64.getDecoder().decode(existing.orElseThrow()), "HmacSHA256");
    }
}
