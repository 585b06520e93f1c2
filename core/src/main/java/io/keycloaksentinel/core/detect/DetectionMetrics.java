package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sentinel's detection meters on Keycloak's Micrometer registry (the management {@code /metrics}
 * when Keycloak runs with {@code --metrics-enabled=true}). Labels are realm names and fixed
 * outcomes only: never an IP or username, so an attacker cannot grow the number of series.
 *
 * <ul>
 *   <li>{@code sentinel_login_attempts_total{realm,outcome}}: success, failure, failure_unknown_user</li>
 *   <li>{@code sentinel_attack_state{realm}}: 0 NORMAL, 1 ELEVATED, 2 UNDER_ATTACK</li>
 *   <li>{@code sentinel_counter_entries}: per-subject counter entries held on this node</li>
 *   <li>{@code sentinel_throttled_requests_total{realm,mode}}: login posts answered 429 (or, mode=monitor, that would have been)</li>
 *   <li>{@code sentinel_account_events_total{realm,type}}: sign-ups and password events, by {@link AccountActivity}</li>
 *   <li>{@code sentinel_counts_dropped_total}: counts dropped because {@code max-pending} was reached</li>
 *   <li>{@code sentinel_detection_seconds{operation}}: time Sentinel adds on the request thread,
 *       {@code record} (counting a login event) and {@code check} (the decision before the
 *       password), with p50 / p99 over a sliding two minutes on this node</li>
 * </ul>
 */
final class DetectionMetrics implements DetectionObserver {

    private final MeterRegistry registry;
    private final Map<String, Gauge> realmGauges = new ConcurrentHashMap<>();
    private final Timer recordTimer;
    private final Timer checkTimer;
    private AttackDetector detector;

    DetectionMetrics(MeterRegistry registry, InfinispanCounterStore store) {
        this.registry = registry;
        Gauge.builder("sentinel.counter.entries", store, InfinispanCounterStore::subjectEntries)
                .description("Per-subject (IP, network, username) counter entries held on this node")
                .strongReference(true).register(registry);
        FunctionCounter.builder("sentinel.counts.dropped", store, InfinispanCounterStore::dropped)
                .description("Counts dropped because too many new counters arrived between two flushes")
                .register(registry);
        FunctionCounter.builder("sentinel.cache.roundtrips", store, InfinispanCounterStore::requestReads)
                .description("Cluster cache round trips Sentinel made on request threads (a batched read counts once)")
                .tag("kind", "read").register(registry);
        FunctionCounter.builder("sentinel.cache.roundtrips", store, InfinispanCounterStore::requestClaims)
                .description("Cluster cache round trips Sentinel made on request threads (a batched read counts once)")
                .tag("kind", "claim").register(registry);
        recordTimer = timer(registry, "record");
        checkTimer = timer(registry, "check");
    }

    private static Timer timer(MeterRegistry registry, String operation) {
        return Timer.builder("sentinel.detection")
                .description("Time Sentinel's detection adds on the request thread (record: counting a login event;"
                        + " check: the decision before the password is checked)")
                .tag("operation", operation)
                .publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(2))
                .distributionStatisticBufferLength(2)
                .register(registry);
    }

    @Override
    public void timed(DetectionObserver.Operation operation, long nanos) {
        (operation == DetectionObserver.Operation.RECORD ? recordTimer : checkTimer).record(nanos, TimeUnit.NANOSECONDS);
    }

    void bind(AttackDetector detector) {
        this.detector = detector;
        HashBulkhead b = detector.bulkhead();
        io.micrometer.core.instrument.Gauge.builder("sentinel.hash.bulkhead.in.use", b, HashBulkhead::inUse)
                .description("Password hashes running now for requests not known to be safe (at most the bulkhead's permits)")
                .strongReference(true).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("sentinel.hash.bulkhead.checks", b, HashBulkhead::entered)
                .description("Password checks of requests not known to be safe, by what the bulkhead did")
                .tag("outcome", "entered").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("sentinel.hash.bulkhead.checks", b, HashBulkhead::waited)
                .description("Password checks of requests not known to be safe, by what the bulkhead did")
                .tag("outcome", "waited").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("sentinel.hash.bulkhead.checks", b, HashBulkhead::refused)
                .description("Password checks of requests not known to be safe, by what the bulkhead did")
                .tag("outcome", "refused").register(registry);
    }

    @Override
    public void throttled(String realmId, String realmName, boolean monitorOnly) {
        Counter.builder("sentinel.throttled.requests")
                .description("Login posts refused with 429 before any password check (mode=monitor: would have been)")
                .tag("realm", realmName).tag("mode", monitorOnly ? "monitor" : "enforce").register(registry).increment();
    }

    /** A password flagged as sprayed (once per password and hour in the cluster). */
    public void sprayFlagged(String realmId, String realmName) {
        Counter.builder("sentinel.password.sprays")
                .description("Passwords flagged as sprayed across many accounts (one per password and hour)")
                .tag("realm", realmName).register(registry).increment();
    }

    @Override
    public void activity(String realmId, String realmName, AccountActivity activity) {
        Counter.builder("sentinel.account.events")
                .description("Sign-up and password events seen by Sentinel, by type")
                .tag("realm", realmName).tag("type", activity.key()).register(registry).increment();
    }

    @Override
    public void recorded(String realmId, String realmName, LoginOutcome outcome) {
        Counter.builder("sentinel.login.attempts")
                .description("Login attempts seen by Sentinel, by outcome")
                .tag("realm", realmName).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
        realmGauges.computeIfAbsent(realmId, id -> Gauge.builder("sentinel.attack.state",
                        () -> detector == null ? 0 : detector.states().status(id).state().ordinal())
                .description("Realm attack state: 0 NORMAL, 1 ELEVATED, 2 UNDER_ATTACK")
                .tag("realm", realmName).strongReference(true).register(registry));
    }

    @Override
    public void forgotten(String realmId) {
        Gauge gauge = realmGauges.remove(realmId);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }
}
