package io.keycloaksentinel.core.detect;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Evaluates a realm's attack state soon after an attempt with the botnet's signature, instead of
 * at the next periodic evaluation (up to a second later): the first attempts of a burst are the
 * ones that take accounts. Per node and realm, at most one run every
 * {@value #MIN_INTERVAL_MILLIS} ms, on the detector's own scheduler (never the request thread);
 * a signal within that interval is not lost but folded into the next run, due when the interval
 * ends. The request thread only compares and sets a flag and, at most once per interval, hands
 * the run over.
 */
final class BurstTrigger {

    private static final Logger LOG = Logger.getLogger(BurstTrigger.class);

    /** The shortest time between two runs for one realm on one node. */
    static final long MIN_INTERVAL_MILLIS = 100;
    /** Most realms tracked; beyond it, realms quiet for a minute are forgotten. */
    static final int MAX_REALMS = 1_000;
    private static final long STALE_MILLIS = 60_000;

    /** Where the runs go: the detector's scheduler ({@code delayMillis} from now). */
    interface Scheduler {
        void schedule(Runnable run, long delayMillis);
    }

    /** A trigger that never runs anything (no scheduler: unit tests, benchmarks). */
    static final BurstTrigger OFF = new BurstTrigger(null, System::currentTimeMillis, (id, name) -> { });

    private static final class Slot {
        /** When the last run started (ms), or far in the past. */
        final AtomicLong lastRun = new AtomicLong(Long.MIN_VALUE / 2);
        /** Whether a run is handed over and has not started yet. */
        final AtomicBoolean due = new AtomicBoolean();
    }

    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final BiConsumer<String, String> evaluation;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    /**
     * @param scheduler  where the runs go; null for none
     * @param evaluation what a run does with (realm id, realm name): flush this node's counts, evaluate the realm
     */
    BurstTrigger(Scheduler scheduler, LongSupplier clock, BiConsumer<String, String> evaluation) {
        this.scheduler = scheduler;
        this.clock = clock;
        this.evaluation = evaluation;
    }

    /** An attempt with the signature was counted for the realm: have it evaluated within the interval. */
    void signal(String realmId, String realmName) {
        if (scheduler == null) {
            return;
        }
        Slot slot = slots.get(realmId);
        if (slot == null) {
            if (slots.size() >= MAX_REALMS) {
                evictStale();
                if (slots.size() >= MAX_REALMS) {
                    return; // bounded: the periodic evaluation still sees this realm
                }
            }
            slot = slots.computeIfAbsent(realmId, id -> new Slot());
        }
        if (!slot.due.compareAndSet(false, true)) {
            return; // a run is already due: it will see this attempt's counts
        }
        long delay = Math.max(0, slot.lastRun.get() + MIN_INTERVAL_MILLIS - clock.getAsLong());
        Slot s = slot;
        try {
            scheduler.schedule(() -> run(s, realmId, realmName), delay);
        } catch (RejectedExecutionException closing) {
            s.due.set(false);
        }
    }

    private void run(Slot slot, String realmId, String realmName) {
        slot.lastRun.set(clock.getAsLong());
        // cleared before the evaluation: an attempt counted meanwhile may have missed its flush, so it gets a run of its own
        slot.due.set(false);
        try {
            evaluation.accept(realmId, realmName);
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: cannot evaluate the attack state of realm '%s' after a burst: %s", realmName, e.toString());
        }
    }

    /** Drops a deleted realm's slot. */
    void forget(String realmId) {
        slots.remove(realmId);
    }

    /** How many realms are tracked (for tests). */
    int tracked() {
        return slots.size();
    }

    private void evictStale() {
        long now = clock.getAsLong();
        slots.entrySet().removeIf(e -> !e.getValue().due.get() && now - e.getValue().lastRun.get() > STALE_MILLIS);
    }
}
