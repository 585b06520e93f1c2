package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.function.Function;

/**
 * A realm's emergency mode, switched on by an admin for a set time and ending by itself: every
 * Sentinel CAPTCHA step asks always, and the throttle thresholds (per address, per network,
 * distinct usernames per network, per username from unknown networks, sign-ups and resets per
 * address) are divided by {@value #DIVISOR}. The attack-state thresholds do not change. Stored as
 * the realm attribute {@value #UNTIL} (epoch milliseconds), so every node reads the same.
 */
public final class Emergency {

    public static final String UNTIL = "sentinel.emergency.until";
    public static final String SINCE = "sentinel.emergency.since";
    public static final int DIVISOR = 5;
    public static final Duration MAX = Duration.ofHours(24);

    private Emergency() {
    }

    /** When the emergency ends (epoch ms), or 0 when none was set or the value is damaged. */
    public static long until(Function<String, String> attribute) {
        try {
            String v = attribute.apply(UNTIL);
            return v == null ? 0 : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public static boolean active(Function<String, String> attribute, long nowMillis) {
        long until = until(attribute);
        // a value further ahead than the longest emergency (a clock jump, a hand edit) is not trusted
        return until > nowMillis && until - nowMillis <= MAX.toMillis() + 60_000;
    }

    /** The throttle thresholds of an emergency: each divided by {@value #DIVISOR}, at least 1. */
    public static DetectionThresholds strict(DetectionThresholds t) {
        return new DetectionThresholds(t.attackFailuresPerMinute(), t.baselineMultiplier(), t.minFailuresPerMinute(),
                t.unknownUserShare(), t.cooldown(), scaled(t.ipFailuresPerDay()), scaled(t.networkFailuresPer15m()),
                scaled(t.networkUsernamesPer15m()), scaled(t.unknownSourceFailuresPer15m()), scaled(t.ipAccountRequestsPer15m()),
                t.burstFailures(), t.burstSignatureShare(), t.sprayAccountsPerHour(),
                t.newNetworkAccountsPerHour());
    }

    private static long scaled(long v) {
        return Math.max(1, v / DIVISOR);
    }
}
