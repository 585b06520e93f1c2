package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.net.CidrRange;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.Function;

/**
 * A realm's detection thresholds, stored as realm attributes ({@code sentinel.detection.*}) so
 * they live in the database and every node reads the same. Missing attributes take the defaults;
 * a damaged stored value falls back to its default (and never breaks a login).
 */
public final class RealmDetectionConfig {

    public static final String PREFIX = "sentinel.detection.";
    public static final String ATTACK_RATE = "attackFailuresPerMinute", BASELINE_MULTIPLIER = "baselineMultiplier",
            MIN_RATE = "minFailuresPerMinute", UNKNOWN_SHARE = "unknownUserShare", COOLDOWN_SECONDS = "cooldownSeconds",
            IP_FAILURES_PER_DAY = "ipFailuresPerDay", NETWORK_FAILURES_PER_15M = "networkFailuresPer15m",
            NETWORK_USERNAMES_PER_15M = "networkUsernamesPer15m",
            UNKNOWN_SOURCE_FAILURES_PER_15M = "unknownSourceFailuresPer15m",
            IP_ACCOUNT_REQUESTS_PER_15M = "ipAccountRequestsPer15m", BURST_FAILURES = "burstFailures",
            BURST_SIGNATURE_SHARE = "burstSignatureShare", SPRAY_ACCOUNTS_PER_HOUR = "sprayAccountsPerHour",
            NEW_NETWORK_ACCOUNTS_PER_HOUR = "newNetworkAccountsPerHour";
    /** {@code true}: when the detector cannot decide (cache unavailable), refuse the login post (503) instead of letting it through. */
    public static final String FAIL_CLOSED = "failClosed";

    public static final String ALLOWLIST = "allowlist";
    /** {@code enforce} (default): throttle; {@code monitor}: count, log and measure, but let every login through. */
    public static final String MODE = "mode";
    public static final String MODE_ENFORCE = "enforce";
    public static final String MODE_MONITOR = "monitor";
    static final int MAX_ALLOWLIST = 100;
    static final long MAX_RATE = 10_000_000;

    /** How the thresholds are stored: {@link DetectionThresholds} with the cooldown in seconds. */
    private record Stored(long attackFailuresPerMinute, double baselineMultiplier, long minFailuresPerMinute,
                          double unknownUserShare, long cooldownSeconds, long ipFailuresPerDay, long networkFailuresPer15m,
                          long networkUsernamesPer15m, long unknownSourceFailuresPer15m, long ipAccountRequestsPer15m,
                          long burstFailures, double burstSignatureShare, long sprayAccountsPerHour,
                          long newNetworkAccountsPerHour) {

        static Stored of(DetectionThresholds t) {
            return new Stored(t.attackFailuresPerMinute(), t.baselineMultiplier(), t.minFailuresPerMinute(),
                    t.unknownUserShare(), t.cooldown().toSeconds(), t.ipFailuresPerDay(), t.networkFailuresPer15m(),
                    t.networkUsernamesPer15m(), t.unknownSourceFailuresPer15m(), t.ipAccountRequestsPer15m(),
                    t.burstFailures(), t.burstSignatureShare(), t.sprayAccountsPerHour(), t.newNetworkAccountsPerHour());
        }

        /** The thresholds; their constructor refuses an inconsistent set, with a message for the admin. */
        DetectionThresholds thresholds() {
            return new DetectionThresholds(attackFailuresPerMinute, baselineMultiplier, minFailuresPerMinute, unknownUserShare,
                    Duration.ofSeconds(cooldownSeconds), ipFailuresPerDay, networkFailuresPer15m, networkUsernamesPer15m,
                    unknownSourceFailuresPer15m, ipAccountRequestsPer15m, burstFailures, burstSignatureShare,
                    sprayAccountsPerHour, newNetworkAccountsPerHour);
        }
    }

    private static final DetectionThresholds D = DetectionThresholds.DEFAULTS;
    private static final SettingsTable<Stored> TABLE = SettingsTable.of(Stored.class, PREFIX,
            count(ATTACK_RATE, D.attackFailuresPerMinute()),
            number(BASELINE_MULTIPLIER, D.baselineMultiplier()),
            count(MIN_RATE, D.minFailuresPerMinute()),
            number(UNKNOWN_SHARE, D.unknownUserShare()),
            count(COOLDOWN_SECONDS, D.cooldown().toSeconds()).checkedAlso(s -> {
                if (Long.parseLong(s) < 0 || Long.parseLong(s) > 86_400) {
                    throw new IllegalArgumentException("must be between 0 and 86400");
                }
                return s;
            }),
            count(IP_FAILURES_PER_DAY, D.ipFailuresPerDay()),
            count(NETWORK_FAILURES_PER_15M, D.networkFailuresPer15m()),
            count(NETWORK_USERNAMES_PER_15M, D.networkUsernamesPer15m()),
            count(UNKNOWN_SOURCE_FAILURES_PER_15M, D.unknownSourceFailuresPer15m()),
            count(IP_ACCOUNT_REQUESTS_PER_15M, D.ipAccountRequestsPer15m()),
            count(BURST_FAILURES, D.burstFailures()),
            number(BURST_SIGNATURE_SHARE, D.burstSignatureShare()),
            count(SPRAY_ACCOUNTS_PER_HOUR, D.sprayAccountsPerHour()).checkedAlso(RealmDetectionConfig::atMostMaxRate),
            count(NEW_NETWORK_ACCOUNTS_PER_HOUR, D.newNetworkAccountsPerHour()).checkedAlso(RealmDetectionConfig::atMostMaxRate)
    ).rule(t -> {
        if (t.attackFailuresPerMinute() > MAX_RATE || t.minFailuresPerMinute() > MAX_RATE || t.burstFailures() > MAX_RATE) {
            throw new IllegalArgumentException("rates above " + MAX_RATE + " per minute are not meaningful");
        }
    }).rule(Stored::thresholds);

    /** A count of at most {@link #MAX_RATE} (the setting's name is added to the message by the table). */
    private static String atMostMaxRate(String s) {
        if (Long.parseLong(s) > MAX_RATE) {
            throw new IllegalArgumentException("must be at most " + MAX_RATE);
        }
        return s;
    }

    private static final Setting<List<CidrRange>> ALLOWLIST_SETTING = Setting.of(ALLOWLIST, List.class, List.of(),
            RealmDetectionConfig::parseAllowlist, RealmDetectionConfig::checkAllowlist,
            ranges -> ranges.stream().map(Object::toString).toList());
    private static final Setting<String> MODE_SETTING = Setting.of(MODE, String.class, MODE_ENFORCE,
            RealmDetectionConfig::checkMode, RealmDetectionConfig::checkMode, m -> m);
    private static final Setting<Boolean> FAIL_CLOSED_SETTING = Setting.flag(FAIL_CLOSED, false);

    private RealmDetectionConfig() {
    }

    /** The realm's allowlist (CIDR ranges never throttled: offices behind NAT); damaged entries are skipped. */
    public static List<CidrRange> allowlist(Function<String, String> attribute) {
        return ALLOWLIST_SETTING.read(attribute.apply(PREFIX + ALLOWLIST));
    }

    /** True when the realm's responses only log and count (monitoring-only mode). */
    public static boolean monitorOnly(Function<String, String> attribute) {
        return MODE_MONITOR.equals(MODE_SETTING.read(attribute.apply(PREFIX + MODE)));
    }

    /** True when a login post is refused while the detector cannot decide (default: let it through). */
    public static boolean failClosed(Function<String, String> attribute) {
        return FAIL_CLOSED_SETTING.read(attribute.apply(PREFIX + FAIL_CLOSED));
    }

    /** The validated {@code failClosed} of an update; false when left out. */
    public static boolean failClosedFromUpdate(Map<String, Object> update) {
        return fromUpdate(update, FAIL_CLOSED_SETTING).orElse(false);
    }

    /** The validated {@code mode} of an update; {@code enforce} when left out. */
    public static String modeFromUpdate(Map<String, Object> update) {
        return fromUpdate(update, MODE_SETTING).orElse(MODE_ENFORCE);
    }

    /**
     * Validates an update's {@code allowlist} (a JSON array of CIDR strings, at most 100) and
     * returns the attribute value to store; empty when the update leaves it out.
     */
    public static Optional<String> allowlistFromUpdate(Map<String, Object> update) {
        return update == null || !update.containsKey(ALLOWLIST) ? Optional.empty()
                : Optional.of(ALLOWLIST_SETTING.check(update.get(ALLOWLIST)));
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
     * The thresholds in force now: the realm's, made strict while an admin's emergency lasts
     * ({@link Emergency}). What every request configures the detector with.
     */
    public static DetectionThresholds effective(Function<String, String> attribute) {
        DetectionThresholds t = fromAttributes(attribute);
        return Emergency.active(attribute, System.currentTimeMillis()) ? Emergency.strict(t) : t;
    }

    /** Reads thresholds from realm attributes (null-safe, typed; bad or inconsistent values fall back to defaults). */
    public static DetectionThresholds fromAttributes(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute)).thresholds();
    }

    /**
     * Validates an admin's update (unknown keys are errors, so a typo is never silently ignored;
     * keys left out take their defaults) and returns the thresholds it describes.
     *
     * @throws IllegalArgumentException with a message for the admin
     */
    public static DetectionThresholds fromUpdate(Map<String, Object> update) {
        if (update == null) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        Map<String, Object> thresholds = new LinkedHashMap<>(update);
        thresholds.keySet().removeAll(List.of(ALLOWLIST, MODE, FAIL_CLOSED));
        for (String key : thresholds.keySet()) {
            if (!TABLE.keys().contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + SettingsValues.shorten(key) + "'; known: "
                        + TABLE.keys() + ", " + ALLOWLIST + ", " + MODE + " and " + FAIL_CLOSED);
            }
        }
        return TABLE.replace(thresholds).thresholds();
    }

    public static Map<String, Object> toMap(DetectionThresholds t) {
        return TABLE.toMap(Stored.of(t));
    }

    /** The attributes that store {@code t}. */
    public static Map<String, String> toAttributes(DetectionThresholds t) {
        Map<String, String> attributes = new LinkedHashMap<>();
        toMap(t).forEach((k, v) -> attributes.put(PREFIX + k, String.valueOf(v)));
        return attributes;
    }

    private static <T> Optional<T> fromUpdate(Map<String, Object> update, Setting<T> setting) {
        Object v = update == null ? null : update.get(setting.key());
        return v == null ? Optional.empty() : Optional.of(setting.read(setting.check(v)));
    }

    /** A whole number; stored ones are not bounded here, the thresholds' own checks are. */
    private static Setting<Long> count(String key, long fallback) {
        return Setting.of(key, Long.class, fallback, v -> Long.parseLong(v.strip()), json -> {
            double n = number(json);
            if (n != Math.rint(n)) {
                throw new IllegalArgumentException("must be a whole number");
            }
            return Long.toString(((Number) json).longValue());
        }, n -> n);
    }

    private static Setting<Double> number(String key, double fallback) {
        return Setting.of(key, Double.class, fallback, v -> {
            double d = Double.parseDouble(v.strip());
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("must be a number");
            }
            return d;
        }, json -> Double.toString(number(json)), d -> d);
    }

    private static double number(Object json) {
        if (!(json instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException("must be a number");
        }
        return n.doubleValue();
    }

    private static String checkMode(Object v) {
        if (!MODE_ENFORCE.equals(v) && !MODE_MONITOR.equals(v)) {
            throw new IllegalArgumentException("must be \"" + MODE_ENFORCE + "\" or \"" + MODE_MONITOR + "\"");
        }
        return (String) v;
    }

    /** Stored: canonical ranges joined by commas; a damaged one is skipped (a hand-edited attribute must not break logins). */
    private static List<CidrRange> parseAllowlist(String stored) {
        List<CidrRange> ranges = new ArrayList<>();
        for (String entry : stored.split(",")) {
            if (!entry.isBlank() && ranges.size() < MAX_ALLOWLIST) {
                try {
                    ranges.add(CidrRange.parse(entry));
                } catch (IllegalArgumentException damaged) {
                    // skipped
                }
            }
        }
        return ranges;
    }

    /** From the admin: a JSON array of at most 100 CIDR strings, stored canonical. */
    private static String checkAllowlist(Object json) {
        if (!(json instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new IllegalArgumentException("must be an array of CIDR ranges");
        }
        if (list.size() > MAX_ALLOWLIST) {
            throw new IllegalArgumentException("must hold at most " + MAX_ALLOWLIST + " ranges");
        }
        return String.join(",", list.stream().map(s -> CidrRange.parse((String) s).toString()).toList());
    }
}
