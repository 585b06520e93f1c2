package io.keycloaksentinel.core.detect;

import static io.keycloaksentinel.core.detect.SourceKeys.realmCounter;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The realms this node has seen, the thresholds it applies to each, their signals summed over the
 * cluster, and their attack state: evaluated on every node, moved on by exactly one (a
 * cluster-wide compare-and-set), and reused for {@value #STATE_REUSE_MILLIS} ms by the decisions.
 */
public final class RealmStates {

    /** AttackDetector's log category, which the state-change warnings have always been logged under. */
    private static final Logger LOG = Logger.getLogger(AttackDetector.class);

    private final CounterStore store;
    private final LongSupplier clock;
    private final DetectionThresholds defaults;
    private final DetectionObserver observer;

    private record RealmEntry(String name, DetectionThresholds thresholds) {
    }

    /** The realms this node has seen, with their thresholds; realms are few and admin-made. */
    private final Map<String, RealmEntry> activeRealms = new ConcurrentHashMap<>();

    RealmStates(CounterStore store, LongSupplier clock, DetectionThresholds defaults, DetectionObserver observer) {
        this.store = store;
        this.clock = clock;
        this.defaults = defaults;
        this.observer = observer;
    }

    /** Notes that this node counted for the realm (under {@code name}), keeping its thresholds. */
    void seen(String realmId, String name) {
        activeRealms.compute(realmId, (id, e) -> e != null && e.name().equals(name) ? e : new RealmEntry(name,
                e == null ? defaults : e.thresholds()));
    }

    /** The realms this node has counted for (those the scheduler evaluates). */
    public Set<String> activeRealmIds() {
        return Set.copyOf(activeRealms.keySet());
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

    /** The realm's signals now, summed over the cluster: one batched read. */
    public RealmSignals signals(String realmId) {
        long now = clock.getAsLong();
        long[] c = store.sumAll(Scope.REALM, List.of(
                        realmCounter(realmId, "fail"), realmCounter(realmId, "unknown"), realmCounter(realmId, "fail"),
                        realmCounter(realmId, "ok"),
                        realmCounter(realmId, AttemptCounting.BURST_FAIL), realmCounter(realmId, AttemptCounting.BURST_SIGNATURE),
                        realmCounter(realmId, AttemptCounting.BURST_OK), realmCounter(realmId, AttemptCounting.BURST_DISTINCT),
                        realmCounter(realmId, AttemptCounting.NEW_NETWORK_ACCOUNTS_HOUR),
                        realmCounter(realmId, AttemptCounting.NEW_NETWORK_ACCOUNTS_DAY)),
                List.of(Window.ONE_MINUTE, Window.ONE_MINUTE, Window.ONE_DAY, Window.ONE_MINUTE,
                        Window.TEN_SECONDS, Window.TEN_SECONDS, Window.TEN_SECONDS, Window.TEN_SECONDS,
                        Window.ONE_HOUR, Window.ONE_DAY), now);
        return new RealmSignals(c[0], c[1], c[2], c[3], new RealmSignals.Burst(c[4], c[5], c[6], c[7]), c[8], c[9]);
    }

    /**
     * How long a node reuses a realm's attack state it read for the decisions (the state is
     * evaluated every second, and within about 100 ms of a burst's attempts by {@link BurstTrigger}).
     */
    static final long STATE_REUSE_MILLIS = 100;

    private record SeenState(AttackState state, long readAt) {
    }

    /** The states this node read recently, per realm (realms are few and admin-made). */
    private final Map<String, SeenState> states = new ConcurrentHashMap<>();

    /**
     * The realm's attack state for a decision: read from the cluster at most every
     * {@value #STATE_REUSE_MILLIS} ms per node, so a request's decision is one batched counter read.
     */
    AttackState recentState(String realmId) {
        long now = clock.getAsLong();
        SeenState seen = states.get(realmId);
        if (seen != null && now - seen.readAt() >= 0 && now - seen.readAt() < STATE_REUSE_MILLIS) {
            return seen.state();
        }
        AttackState state = status(realmId).state();
        states.put(realmId, new SeenState(state, now));
        return state;
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
                states.put(realmId, new SeenState(next.state(), clock.getAsLong()));
                if (next.state() != current.state()) {
                    LOG.warnf("Sentinel: realm '%s' attack state %s -> %s: %s", realmName, current.state(), next.state(),
                            next.reason());
                    try {
                        observer.stateChanged(realmId, realmName, current, next);
                    } catch (RuntimeException e) {
                        LOG.warnf("Sentinel: could not report the attack state change of realm '%s': %s", realmName,
                                e.toString());
                    }
                }
                return next;
            }
        }
        return status(realmId);
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

    /** Drops this node's entry and recently read state for a deleted realm ({@link AttackDetector#forget}). */
    void forget(String realmId) {
        activeRealms.remove(realmId);
        states.remove(realmId);
    }

    private static String stateKey(String realmId) {
        return "state|" + realmId;
    }
}
