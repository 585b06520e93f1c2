package io.keycloaksentinel.core.captcha;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A realm's CAPTCHA settings. Stored as realm attributes {@code sentinel.captcha.<key>} (the
 * Sentinel admin REST writes them) and overridable per form by the authenticator config of the
 * execution (admin console), with the same keys. A missing or damaged value takes its default:
 * a hand-edited attribute never breaks a login.
 *
 * @param workLow    the built-in proof-of-work's search space (ALTCHA {@code maxnumber}) at LOW risk (mode "always")
 * @param workMedium ... at MEDIUM risk
 * @param workHigh   ... at HIGH risk (realm under attack, source over a threshold)
 */
public record CaptchaSettings(CaptchaMode mode, RiskLevel minRisk, String provider, boolean failOpen,
                              String siteKey, String secret, String verifyUrl, int timeoutMillis, double minScore,
                              long workLow, long workMedium, long workHigh, int challengeSeconds) {

    public static final String PREFIX = "sentinel.captcha.";
    public static final String MODE = "mode";
    public static final String MIN_RISK = "minRisk";
    public static final String PROVIDER = "provider";
    public static final String FAIL_OPEN = "failOpen";
    public static final String SITE_KEY = "siteKey";
    public static final String SECRET = "secret";
    public static final String VERIFY_URL = "verifyUrl";
    public static final String TIMEOUT_MILLIS = "timeoutMillis";
    public static final String MIN_SCORE = "minScore";
    public static final String WORK_LOW = "workLow";
    public static final String WORK_MEDIUM = "workMedium";
    public static final String WORK_HIGH = "workHigh";
    public static final String CHALLENGE_SECONDS = "challengeSeconds";
    public static final List<String> KEYS = List.of(MODE, MIN_RISK, PROVIDER, FAIL_OPEN, SITE_KEY, SECRET, VERIFY_URL,
            TIMEOUT_MILLIS, MIN_SCORE, WORK_LOW, WORK_MEDIUM, WORK_HIGH, CHALLENGE_SECONDS);
    public static final String DEFAULT_PROVIDER = "altcha";
    public static final String MASK = "**********";

    static final long MIN_WORK = 1_000;
    static final long MAX_WORK = 20_000_000;
    static final int MAX_TEXT = 2048;
    /** A login thread waits at most this long for a vendor: a slow vendor must not use up the server's workers. */
    static final int MAX_TIMEOUT_MILLIS = 10_000;

    public static final CaptchaSettings DEFAULTS = new CaptchaSettings(CaptchaMode.RISKY, RiskLevel.MEDIUM,
            DEFAULT_PROVIDER, false, null, null, null, 3000, 0.5, 10_000, 50_000, 200_000, 300);

    /** The work (ALTCHA {@code maxnumber}) asked of a request at {@code risk}. */
    public long work(RiskLevel risk) {
        return switch (risk) {
            case LOW -> workLow;
            case MEDIUM -> workMedium;
            case HIGH -> workHigh;
        };
    }

    /** True when a request rated {@code risk} must answer a CAPTCHA (or, in monitor mode, would have to). */
    public boolean requires(RiskLevel risk) {
        return switch (mode) {
            case NEVER -> false;
            case ALWAYS -> true;
            case RISKY, MONITOR -> risk.compareTo(minRisk) >= 0;
        };
    }

    /**
     * Reads settings through {@code value} (short key to stored string, null when unset).
     * Damaged values fall back to their defaults.
     */
    public static CaptchaSettings read(Function<String, String> value) {
        CaptchaSettings d = DEFAULTS;
        return new CaptchaSettings(
                CaptchaMode.parse(value.apply(MODE)).orElse(d.mode()),
                risk(value.apply(MIN_RISK)).orElse(d.minRisk()),
                text(value.apply(PROVIDER), d.provider()),
                "true".equals(value.apply(FAIL_OPEN)),
                text(value.apply(SITE_KEY), null),
                text(value.apply(SECRET), null),
                text(value.apply(VERIFY_URL), null),
                (int) SettingsValues.stored(value.apply(TIMEOUT_MILLIS), 100, MAX_TIMEOUT_MILLIS, d.timeoutMillis()),
                decimal(value.apply(MIN_SCORE), d.minScore()),
                SettingsValues.stored(value.apply(WORK_LOW), MIN_WORK, MAX_WORK, d.workLow()),
                SettingsValues.stored(value.apply(WORK_MEDIUM), MIN_WORK, MAX_WORK, d.workMedium()),
                SettingsValues.stored(value.apply(WORK_HIGH), MIN_WORK, MAX_WORK, d.workHigh()),
                (int) SettingsValues.stored(value.apply(CHALLENGE_SECONDS), 30, 3600, d.challengeSeconds()));
    }

    /** The realm-attribute reader: {@code sentinel.captcha.<key>}. */
    public static Function<String, String> realmAttributes(Function<String, String> attribute) {
        return key -> attribute.apply(PREFIX + key);
    }

    /** Settings as the admin REST shows them: the secret masked. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MODE, mode.value());
        m.put(MIN_RISK, minRisk.name().toLowerCase(Locale.ROOT));
        m.put(PROVIDER, provider);
        m.put(FAIL_OPEN, failOpen);
        m.put(SITE_KEY, siteKey);
        m.put(SECRET, secret == null ? null : MASK);
        m.put(VERIFY_URL, verifyUrl);
        m.put(TIMEOUT_MILLIS, timeoutMillis);
        m.put(MIN_SCORE, minScore);
        m.put(WORK_LOW, workLow);
        m.put(WORK_MEDIUM, workMedium);
        m.put(WORK_HIGH, workHigh);
        m.put(CHALLENGE_SECONDS, challengeSeconds);
        return m;
    }

    /**
     * Validates a partial update from the admin REST and returns the values to store (short
     * key to string; null removes the attribute, restoring the default). The masked secret
     * placeholder leaves the stored secret as it is.
     *
     * @param knownProviders the CAPTCHA provider ids installed on the server
     * @throws IllegalArgumentException with a message naming the field, for any bad value
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update, java.util.Set<String> knownProviders) {
        SettingsValues.checkKeys(update, KEYS);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : update.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (v == null) {
                out.put(key, null);
                continue;
            }
            switch (key) {
                case MODE -> out.put(key, CaptchaMode.parse(string(key, v)).map(CaptchaMode::value).orElseThrow(
                        () -> new IllegalArgumentException(MODE + " must be one of never, risky, always, monitor")));
                case MIN_RISK -> out.put(key, risk(string(key, v)).filter(r -> r != RiskLevel.LOW)
                        .map(r -> r.name().toLowerCase(Locale.ROOT)).orElseThrow(
                                () -> new IllegalArgumentException(MIN_RISK + " must be medium or high")));
                case PROVIDER -> {
                    String p = string(key, v);
                    if (!knownProviders.contains(p)) {
                        throw new IllegalArgumentException(PROVIDER + " must be one of " + new java.util.TreeSet<>(knownProviders));
                    }
                    out.put(key, p);
                }
                case FAIL_OPEN -> {
                    if (!(v instanceof Boolean b)) {
                        throw new IllegalArgumentException(FAIL_OPEN + " must be true or false");
                    }
                    out.put(key, b.toString());
                }
                case SITE_KEY -> out.put(key, string(key, v));
                case SECRET -> {
                    String s = string(key, v);
                    if (!MASK.equals(s)) {
                        out.put(key, s);
                    }
                }
                case VERIFY_URL -> {
                    // the secret travels in the request: plain http only to this machine (a local proxy, a test)
                    out.put(key, SettingsValues.serviceUrl(string(key, v)).orElseThrow(() -> new IllegalArgumentException(
                            VERIFY_URL + " must be an https URL naming a host (http only for a loopback address)")));
                }
                case TIMEOUT_MILLIS -> out.put(key, Long.toString(SettingsValues.integer(key, v, 100, MAX_TIMEOUT_MILLIS)));
                case MIN_SCORE -> {
                    if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1) {
                        throw new IllegalArgumentException(MIN_SCORE + " must be a number from 0.0 to 1.0");
                    }
                    out.put(key, Double.toString(n.doubleValue()));
                }
                case WORK_LOW, WORK_MEDIUM, WORK_HIGH -> out.put(key, Long.toString(SettingsValues.integer(key, v, MIN_WORK, MAX_WORK)));
                case CHALLENGE_SECONDS -> out.put(key, Long.toString(SettingsValues.integer(key, v, 30, 3600)));
                default -> throw new IllegalStateException(key);
            }
        }
        return out;
    }

    private static String string(String key, Object v) {
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(key + " must be a non-empty string");
        }
        if (s.length() > MAX_TEXT) {
            throw new IllegalArgumentException(key + " is longer than " + MAX_TEXT + " characters");
        }
        return s.strip();
    }

    private static java.util.Optional<RiskLevel> risk(String v) {
        if (v == null) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(RiskLevel.valueOf(v.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    private static String text(String v, String fallback) {
        return v == null || v.isBlank() || v.length() > MAX_TEXT ? fallback : v.strip();
    }

    private static double decimal(String v, double fallback) {
        try {
            double d = Double.parseDouble(v == null ? "" : v.strip());
            return d < 0 || d > 1 || Double.isNaN(d) ? fallback : d;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** A copy with the secret replaced (after resolving a vault reference). */
    public CaptchaSettings withSecret(String resolved) {
        return new CaptchaSettings(mode, minRisk, provider, failOpen, siteKey, resolved, verifyUrl, timeoutMillis,
                minScore, workLow, workMedium, workHigh, challengeSeconds);
    }

    @Override
    public String toString() {
        return "CaptchaSettings" + toMap();
    }
}
