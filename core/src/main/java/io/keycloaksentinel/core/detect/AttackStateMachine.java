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
 *   <li>UNDER_ATTACK, the burst rule (the last ten seconds, so that the one-attempt-per-account
 *       botnet is seen within its first few dozen attempts): at least {@code burstFailures}
 *       failures, at least {@code burstSignatureShare} of them with the botnet's signature (an
 *       unknown username, a failed CAPTCHA, a refused post), mostly failing attempts, and at least
 *       {@value #BURST_DISTINCT_SHARE} distinct usernames per failure (one user retrying one name
 *       is not a botnet).</li>
 *   <li>ELEVATED: the same with every rate (and the burst's failures) halved.</li>
 *   <li>ELEVATED, the low-and-slow rule (a spray or stuffing too slow for the minute): at least
 *       {@code newNetworkAccountsPerHour} distinct existing accounts failed from networks new to them
 *       within the hour, and at least {@code baselineMultiplier} times the realm's own hourly baseline
 *       of the same. Never UNDER_ATTACK: an hour's count cannot tell when an attack began.</li>
 * </ul>
 * Leaving a state goes by the same rules at half their level, then the cool-down.
 */
public final class AttackStateMachine {

    /** The baseline rule needs a minute in which at least this share of attempts failed. */
    static final double MOSTLY_FAILING = 0.5;
    /** The burst rule needs at least this many distinct usernames per failure in its ten seconds. */
    static final double BURST_DISTINCT_SHARE = 0.8;

    private final DetectionThresholds t;

    public AttackStateMachine(DetectionThresholds thresholds) {
        this.t = thresholds;
    }

    /** The level the signals alone point at, ignoring history; {@code scale} 1.0 for entry, 0.5 to stay. */
    AttackState levelOf(RealmSignals s, double baseline, double scale) {
        if (meets(s, baseline, scale)) {
            return AttackState.UNDER_ATTACK;
        }
        if (meets(s, baseline, scale / 2) || slow(s, scale)) {
            return AttackState.ELEVATED;
        }
        return AttackState.NORMAL;
    }

    private boolean meets(RealmSignals s, double baseline, double scale) {
        double r = s.failuresLastMinute();
        double min = t.minFailuresPerMinute() * scale;
        return r >= t.attackFailuresPerMinute() * scale
                || (r >= min && r >= t.baselineMultiplier() * baseline * scale && s.failureShare() >= MOSTLY_FAILING)
                || (r >= min && s.unknownUserShare() >= t.unknownUserShare())
                || burst(s.burst(), scale);
    }

    /** The burst rule over the last ten seconds (off when {@code burstFailures} is 0). */
    private boolean burst(RealmSignals.Burst b, double scale) {
        return t.burstRule()
                && b.failures() >= t.burstFailures() * scale
                && b.signatureShare() >= t.burstSignatureShare()
                && b.failureShare() >= MOSTLY_FAILING
                && b.distinctShare() >= BURST_DISTINCT_SHARE;
    }

    /** The low-and-slow rule (off when {@code newNetworkAccountsPerHour} is 0 or smart lockout is off). */
    private boolean slow(RealmSignals s, double scale) {
        double hour = s.newNetworkAccountsLastHour();
        return t.newNetworkRule()
                && hour >= t.newNetworkAccountsPerHour() * scale
                && hour >= t.baselineMultiplier() * s.newNetworkBaselinePerHour() * scale;
    }

    public RealmAttackStatus next(RealmAttackStatus current, RealmSignals s, long now) {
        double baseline = current.state() == AttackState.NORMAL || current.frozenBaselinePerMinute() < 0
                ? s.baselinePerMinute() : current.frozenBaselinePerMinute();
        AttackState entered = levelOf(s, baseline, 1.0);
        if (entered.compareTo(current.state()) > 0) {
            double frozen = current.state() == AttackState.NORMAL ? s.baselinePerMinute() : current.frozenBaselinePerMinute();
            return new RealmAttackStatus(entered, now, 0, frozen, describe(s, baseline, entered));
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
                lower == AttackState.NORMAL ? "calm for " + t.cooldown().toSeconds() + " s" : describe(s, baseline, lower));
    }

    /** Why the realm is at {@code level}: the burst when only the burst rule puts it there, else the minute. */
    private String describe(RealmSignals s, double baseline, AttackState level) {
        double scale = level == AttackState.UNDER_ATTACK ? 1.0 : 0.5;
        RealmSignals withoutBurst = new RealmSignals(s.failuresLastMinute(), s.unknownUserFailuresLastMinute(),
                s.failuresLastDay(), s.successesLastMinute());
        if (level == AttackState.ELEVATED && !meets(s, baseline, 0.5) && slow(s, 1.0)) {
            return String.format(Locale.ROOT,
                    "low and slow: %d accounts failed to sign in from networks new to them in the last hour (baseline %.1f/h)",
                    s.newNetworkAccountsLastHour(), s.newNetworkBaselinePerHour());
        }
        if (burst(s.burst(), scale) && !meets(withoutBurst, baseline, scale)) {
            RealmSignals.Burst b = s.burst();
            return String.format(Locale.ROOT,
                    "burst: %d failed sign-ins in 10 s, %.0f%% unknown usernames or CAPTCHA refused, %d distinct usernames",
                    b.failures(), b.signatureShare() * 100, b.distinctUsernames());
        }
        return String.format(Locale.ROOT, "%d failed logins in the last minute (baseline %.1f/min), %.0f%% for unknown usernames",
                s.failuresLastMinute(), baseline, s.unknownUserShare() * 100);
    }
}
