package io.keycloaksentinel.core.detect;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A realm's detection thresholds, stored as realm attributes ({@code sentinel.detection.*}) so
 * they live in the database and every node reads the same. Missing attributes take the defaults;
 * a damaged stored value falls back to its default (and never breaks a login).
 */
public final class RealmDetectionConfig {

    public static final String PREFIX = "sentinel.detection.";
    public static final String ATTACK_RATE = "attackFailuresPerMinute";
    public static final String BASELINE_MULTIPLIER = "baselineMultiplier";
    public static final String MIN_RATE = "minFailuresPerMinute";
    public static final String UNKNOWN_SHARE = "unknownUserShare";
    public static final String COOLDOWN_SECONDS = "cooldownSeconds";

    private RealmDetectionConfig() {
    }

    /** Reads thresholds from realm attributes (null-safe, typed; bad values fall back to defaults). */
    public static DetectionThresholds fromAttributes(Function<String, String> attribute) {
        DetectionThresholds d = DetectionThresholds.DEFAULTS;
        try {
            return new DetectionThresholds(
                    parseLong(attribute.apply(PREFIX + ATTACK_RATE), d.attackFailuresPerMinute()),
                    parseDouble(attribute.apply(PREFIX + BASELINE_MULTIPLIER), d.baselineMultiplier()),
                    parseLong(attribute.apply(PREFIX + MIN_RATE), d.minFailuresPerMinute()),
                    parseDouble(attribute.apply(PREFIX + UNKNOWN_SHARE), d.unknownUserShare()),
                    Duration.ofSeconds(parseLong(attribute.apply(PREFIX + COOLDOWN_SECONDS), d.cooldown().toSeconds())));
        } catch (IllegalArgumentException inconsistent) {
            return d;
        }
    }

    /**
     * Validates an admin's update (unknown keys and missing keys are errors, so a typo is never
     * silently ignored) and returns the thresholds it describes.
     *
     * @throws IllegalArgumentException with a message for the admin
     */
    public static DetectionThresholds fromUpdate(Map<String, Object> update) {
        if (update == null) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        for (String key : update.keySet()) {
            if (!toMap(DetectionThresholds.DEFAULTS).containsKey(key)) {
                throw new IllegalArgumentException("unknown setting '" + abbreviate(key) + "'; known: "
                        + toMap(DetectionThresholds.DEFAULTS).keySet());
            }
        }
        DetectionThresholds d = DetectionThresholds.DEFAULTS;
        long cooldown = number(update, COOLDOWN_SECONDS, d.cooldown().toSeconds()).longValue();
        if (cooldown < 0 || cooldown > 86_400) {
            throw new IllegalArgumentException(COOLDOWN_SECONDS + " must be between 0 and 86400");
        }
        long attack = whole(update, ATTACK_RATE, d.attackFailuresPerMinute());
        long min = whole(update, MIN_RATE, d.minFailuresPerMinute());
        if (attack > 10_000_000 || min > 10_000_000) {
            throw new IllegalArgumentException("rates above 10000000 per minute are not meaningful");
        }
        return new DetectionThresholds(attack,
                number(update, BASELINE_MULTIPLIER, d.baselineMultiplier()).doubleValue(), min,
                number(update, UNKNOWN_SHARE, d.unknownUserShare()).doubleValue(), Duration.ofSeconds(cooldown));
    }

    public static Map<String, Object> toMap(DetectionThresholds t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ATTACK_RATE, t.attackFailuresPerMinute());
        m.put(BASELINE_MULTIPLIER, t.baselineMultiplier());
        m.put(MIN_RATE, t.minFailuresPerMinute());
        m.put(UNKNOWN_SHARE, t.unknownUserShare());
        m.put(COOLDOWN_SECONDS, t.cooldown().toSeconds());
        return m;
    }

    /** The attributes that store {@code t}. */
    public static Map<String, String> toAttributes(DetectionThresholds t) {
        Map<String, String> attributes = new LinkedHashMap<>();
        toMap(t).forEach((k, v) -> attributes.put(PREFIX + k, String.valueOf(v)));
        return attributes;
    }

    private static Number number(Map<String, Object> update, String key, Number fallback) {
        Object v = update.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException(key + " must be a number");
        }
        return n;
    }

    private static long whole(Map<String, Object> update, String key, long fallback) {
        Number n = number(update, key, fallback);
        if (n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(key + " must be a whole number");
        }
        return n.longValue();
    }

    private static long parseLong(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static double parseDouble(String s, double fallback) {
        try {
            double v = s == null ? fallback : Double.parseDouble(s.strip());
            return Double.isFinite(v) ? v : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
