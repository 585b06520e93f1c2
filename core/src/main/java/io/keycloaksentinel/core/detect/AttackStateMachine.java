package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.Locale;

/**
 * Decides a realm's attack state from its signals, with hysteresis: a state is entered when its
 * entry level is crossed and left only after the signals have stayed below half that level for
 * the cool-down. Pure: the same inputs give the same answer on every node.
 *
 * <p>Entry levels, from the realm-wide failure rate of the last minute ({@code r}) and the realm's
 * baseline ({@code b}, failures per minute over the last day, frozen while not NORMAL):
 * <ul>
 *   <li>UNDER_ATTACK: {@code r >= attackFailuresPerMinute}; or {@code r >= minFailuresPerMinute}
 *       and {@code r >= baselineMultiplier * b} and at least half of the minute's attempts failed
 *       (busy realms with ordinary typos, or a realm without history yet, are not attacks); or
 *       {@code r >= minFailuresPerMinute} and most failures (unknownUserShare) named usernames
 *       that do not exist.</li>
 *   <li>ELEVATED: the same with every rate halved.</li>
 * </ul>
 */
public final class AttackStateMachine {

    /** The baseline rule needs a minute in which at least this share of attempts failed. */
    static final double MOSTLY_FAILING = 0.5;

    private final DetectionThresholds t;

    public AttackStateMachine(DetectionThresholds thresholds) {
        this.t = thresholds;
    }

    /** The level the signals alone point at, ignoring history; {@code scale} 1.0 for entry, 0.5 to stay. */
    AttackState levelOf(RealmSignals s, double baseline, double scale) {
        if (meets(s, baseline, scale)) {
            return AttackState.UNDER_ATTACK;
        }
        if (meets(s, baseline, scale / 2)) {
            return AttackState.ELEVATED;
        }
        return AttackState.NORMAL;
    }

    private boolean meets(RealmSignals s, double baseline, double scale) {
        double r = s.failuresLastMinute();
        double min = t.minFailuresPerMinute() * scale;
        return r >= t.attackFailuresPerMinute() * scale
                || (r >= min && r >= t.baselineMultiplier() * baseline * scale && s.failureShare() >= MOSTLY_FAILING)
                || (r >= min && s.unknownUserShare() >= t.unknownUserShare());
    }

    public RealmAttackStatus next(RealmAttackStatus current, RealmSignals s, long now) {
        double baseline = current.state() == AttackState.NORMAL || current.frozenBaselinePerMinute() < 0
                ? s.baselinePerMinute() : current.frozenBaselinePerMinute();
        AttackState entered = levelOf(s, baseline, 1.0);
        if (entered.compareTo(current.state()) > 0) {
            double frozen = current.state() == AttackState.NORMAL ? s.baselinePerMinute() : current.frozenBaselinePerMinute();
            return new RealmAttackStatus(entered, now, 0, frozen, describe(s, baseline));
        }
        if (current.state() == AttackState.NORMAL) {
            return current;
        }
        // at or above the current state's "stay" level (half of its entry level): not calm
        boolean stillHot = levelOf(s, baseline, 0.5).compareTo(current.state()) >= 0;
        if (stillHot) {
            return current.calmSinceMillis() == 0 ? current
                    : new RealmAttackStatus(current.state(), current.sinceMillis(), 0, current.frozenBaselinePerMinute(),
                            current.reason());
        }
        if (current.calmSinceMillis() == 0) {
            return new RealmAttackStatus(current.state(), current.sinceMillis(), now, current.frozenBaselinePerMinute(),
                    current.reason());
        }
        if (now - current.calmSinceMillis() < t.cooldown().toMillis()) {
            return current;
        }
        AttackState lower = AttackState.values()[current.state().ordinal() - 1];
        return new RealmAttackStatus(lower, now, 0,
                lower == AttackState.NORMAL ? -1 : current.frozenBaselinePerMinute(),
                lower == AttackState.NORMAL ? "calm for " + t.cooldown().toSeconds() + " s" : describe(s, baseline));
    }

    private static String describe(RealmSignals s, double baseline) {
        return String.format(Locale.ROOT, "%d failed logins in the last minute (baseline %.1f/min), %.0f%% for unknown usernames",
                s.failuresLastMinute(), baseline, s.unknownUserShare() * 100);
    }
}
