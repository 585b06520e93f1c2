package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.net.CidrRange;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    public static final String IP_FAILURES_PER_DAY = "ipFailuresPerDay";
    public static final String NETWORK_FAILURES_PER_15M = "networkFailuresPer15m";
    public static final String NETWORK_USERNAMES_PER_15M = "networkUsernamesPer15m";
    public static final String UNKNOWN_SOURCE_FAILURES_PER_15M = "unknownSourceFailuresPer15m";
    public static final String IP_ACCOUNT_REQUESTS_PER_15M = "ipAccountRequestsPer15m";
    /** {@code true}: when the detector cannot decide (cache unavailable), refuse the login post (503) instead of letting it through. */
    public static final String FAIL_CLOSED = "failClosed";

    public static final String ALLOWLIST = "allowlist";
    /** {@code enforce} (default): throttle; {@code monitor}: count, log and measure, but let every login through. */
    public static final String MODE = "mode";
    public static final String MODE_ENFORCE = "enforce";
    public static final String MODE_MONITOR = "monitor";
    static final int MAX_ALLOWLIST = 100;

    private RealmDetectionConfig() {
    }

    /** The realm's allowlist (CIDR ranges never throttled: offices behind NAT); damaged entries are skipped. */
    public static List<CidrRange> allowlist(Function<String, String> attribute) {
        String stored = attribute.apply(PREFIX + ALLOWLIST);
        List<CidrRange> ranges = new ArrayList<>();
        if (stored != null) {
            for (String entry : stored.split(",")) {
                if (!entry.isBlank() && ranges.size() < MAX_ALLOWLIST) {
                    try {
                        ranges.add(CidrRange.parse(entry));
                    } catch (IllegalArgumentException damaged) {
                        // skipped: a hand-edited attribute must not break logins
                    }
                }
            }
        }
        return ranges;
    }

    /** True when the realm's responses only log and count (monitoring-only mode). */
    public static boolean monitorOnly(Function<String, String> attribute) {
        return MODE_MONITOR.equals(attribute.apply(PREFIX + MODE));
    }

    /** True when a login post is refused while the detector cannot decide (default: let it through). */
    public static boolean failClosed(Function<String, String> attribute) {
        return "true".equals(attribute.apply(PREFIX + FAIL_CLOSED));
    }

    /** The validated {@code failClosed} of an update; false when left out. */
    public static boolean failClosedFromUpdate(Map<String, Object> update) {
        Object v = update == null ? null : update.get(FAIL_CLOSED);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(FAIL_CLOSED + " must be true or false");
        }
        return b;
    }

    /** The validated {@code mode} of an update; {@code enforce} when left out. */
    public static String modeFromUpdate(Map<String, Object> update) {
        Object mode = update == null ? null : update.get(MODE);
        if (mode == null) {
            return MODE_ENFORCE;
        }
        if (!MODE_ENFORCE.equals(mode) && !MODE_MONITOR.equals(mode)) {
            throw new IllegalArgumentException(MODE + " must be \"" + MODE_ENFORCE + "\" or \"" + MODE_MONITOR + "\"");
        }
        return (String) mode;
    }

    /** Whether the client address {@code ip} (a literal; anything else is not) is on the realm's allowlist. */
    public static boolean allowlisted(Function<String, String> attribute, String ip) {
        return io.keycloaksentinel.core.net.IpAddresses.parse(ip).map(a -> allowlisted(attribute, a)).orElse(false);
    }

    public static boolean allowlisted(Function<String, String> attribute, InetAddress address) {
        for (CidrRange range : allowlist(attribute)) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Validates an update's {@code allowlist} (a JSON array of CIDR strings, at most 100) and
     * returns the attribute value to store; empty when the update leaves it out.
     */
    public static Optional<String> allowlistFromUpdate(Map<String, Object> update) {
        if (update == null || !update.containsKey(ALLOWLIST)) {
            return Optional.empty();
        }
        if (!(update.get(ALLOWLIST) instanceof List<?> list)) {
            throw new IllegalArgumentException(ALLOWLIST + " must be an array of CIDR ranges");
        }
        if (list.size() > MAX_ALLOWLIST) {
            throw new IllegalArgumentException(ALLOWLIST + " holds at most " + MAX_ALLOWLIST + " ranges");
        }
        List<String> canonical = new ArrayList<>();
        for (Object entry : list) {
            if (!(entry instanceof String s)) {
                throw new IllegalArgumentException(ALLOWLIST + " entries must be strings");
            }
            try {
                canonical.add(CidrRange.parse(s).toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ALLOWLIST + ": " + e.getMessage());
            }
        }
        return Optional.of(String.join(",", canonical));
    }

    /** Reads thresholds from realm attributes (null-safe, typed; bad values fall back to defaults). */
    /**
     * The thresholds in force now: the realm's, made strict while an admin's emergency lasts
     * ({@link Emergency}). What every request configures the detector with.
     */
    public static DetectionThresholds effective(Function<String, String> attribute) {
        DetectionThresholds t = fromAttributes(attribute);
        return Emergency.active(attribute, System.currentTimeMillis()) ? Emergency.strict(t) : t;
    }

    public static DetectionThresholds fromAttributes(Function<String, String> attribute) {
        DetectionThresholds d = DetectionThresholds.DEFAULTS;
        try {
            return new DetectionThresholds(
                    parseLong(attribute.apply(PREFIX + ATTACK_RATE), d.attackFailuresPerMinute()),
                    parseDouble(attribute.apply(PREFIX + BASELINE_MULTIPLIER), d.baselineMultiplier()),
                    parseLong(attribute.apply(PREFIX + MIN_RATE), d.minFailuresPerMinute()),
                    parseDouble(attribute.apply(PREFIX + UNKNOWN_SHARE), d.unknownUserShare()),
                    Duration.ofSeconds(parseLong(attribute.apply(PREFIX + COOLDOWN_SECONDS), d.cooldown().toSeconds())),
                    parseLong(attribute.apply(PREFIX + IP_FAILURES_PER_DAY), d.ipFailuresPerDay()),
                    parseLong(attribute.apply(PREFIX + NETWORK_FAILURES_PER_15M), d.networkFailuresPer15m()),
                    parseLong(attribute.apply(PREFIX + NETWORK_USERNAMES_PER_15M), d.networkUsernamesPer15m()),
                    parseLong(attribute.apply(PREFIX + UNKNOWN_SOURCE_FAILURES_PER_15M), d.unknownSourceFailuresPer15m()),
                    parseLong(attribute.apply(PREFIX + IP_ACCOUNT_REQUESTS_PER_15M), d.ipAccountRequestsPer15m()));
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
            if (!toMap(DetectionThresholds.DEFAULTS).containsKey(key) && !ALLOWLIST.equals(key) && !MODE.equals(key)
                    && !FAIL_CLOSED.equals(key)) {
                throw new IllegalArgumentException("unknown setting '" + abbreviate(key) + "'; known: "
                        + toMap(DetectionThresholds.DEFAULTS).keySet() + ", " + ALLOWLIST + ", " + MODE + " and "
                        + FAIL_CLOSED);
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
        long perIp = whole(update, IP_FAILURES_PER_DAY, d.ipFailuresPerDay());
        long perNetwork = whole(update, NETWORK_FAILURES_PER_15M, d.networkFailuresPer15m());
        long usernamesPerNetwork = whole(update, NETWORK_USERNAMES_PER_15M, d.networkUsernamesPer15m());
        long unknownSource = whole(update, UNKNOWN_SOURCE_FAILURES_PER_15M, d.unknownSourceFailuresPer15m());
        long accountRequests = whole(update, IP_ACCOUNT_REQUESTS_PER_15M, d.ipAccountRequestsPer15m());
        return new DetectionThresholds(attack,
                number(update, BASELINE_MULTIPLIER, d.baselineMultiplier()).doubleValue(), min,
                number(update, UNKNOWN_SHARE, d.unknownUserShare()).doubleValue(), Duration.ofSeconds(cooldown),
                perIp, perNetwork, usernamesPerNetwork, unknownSource, accountRequests);
    }

    public static Map<String, Object> toMap(DetectionThresholds t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ATTACK_RATE, t.attackFailuresPerMinute());
        m.put(BASELINE_MULTIPLIER, t.baselineMultiplier());
        m.put(MIN_RATE, t.minFailuresPerMinute());
        m.put(UNKNOWN_SHARE, t.unknownUserShare());
        m.put(COOLDOWN_SECONDS, t.cooldown().toSeconds());
        m.put(IP_FAILURES_PER_DAY, t.ipFailuresPerDay());
        m.put(NETWORK_FAILURES_PER_15M, t.networkFailuresPer15m());
        m.put(NETWORK_USERNAMES_PER_15M, t.networkUsernamesPer15m());
        m.put(UNKNOWN_SOURCE_FAILURES_PER_15M, t.unknownSourceFailuresPer15m());
        m.put(IP_ACCOUNT_REQUESTS_PER_15M, t.ipAccountRequestsPer15m());
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
