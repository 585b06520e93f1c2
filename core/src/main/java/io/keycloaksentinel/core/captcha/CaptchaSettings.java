package io.keycloaksentinel.core.captcha;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
    public static final String MODE = "mode", MIN_RISK = "minRisk", PROVIDER = "provider", FAIL_OPEN = "failOpen",
            SITE_KEY = "siteKey", SECRET = "secret", VERIFY_URL = "verifyUrl", TIMEOUT_MILLIS = "timeoutMillis",
            MIN_SCORE = "minScore", WORK_LOW = "workLow", WORK_MEDIUM = "workMedium", WORK_HIGH = "workHigh",
            CHALLENGE_SECONDS = "challengeSeconds";
    public static final String DEFAULT_PROVIDER = "altcha";
    public static final String MASK = Setting.MASK;

    static final long MIN_WORK = 1_000;
    public static final long MAX_WORK = 20_000_000;
    /** A login thread waits at most this long for a vendor: a slow vendor must not use up the server's workers. */
    static final int MAX_TIMEOUT_MILLIS = 10_000;

    /** The declarations this record is read, shown, checked and written from ({@link SettingsTable#write} stores an update). */
    public static final SettingsTable<CaptchaSettings> TABLE = SettingsTable.of(CaptchaSettings.class, PREFIX,
            Setting.oneOf(MODE, CaptchaMode.RISKY, CaptchaMode::value),
            Setting.oneOf(MIN_RISK, RiskLevel.MEDIUM, r -> r.name().toLowerCase(Locale.ROOT), RiskLevel.MEDIUM, RiskLevel.HIGH),
            Setting.text(PROVIDER, DEFAULT_PROVIDER),
            Setting.flag(FAIL_OPEN, false),
            Setting.text(SITE_KEY, null),
            Setting.text(SECRET, null).secret(),
            // the secret travels in the request: plain http only to this machine (a local proxy, a test)
            Setting.text(VERIFY_URL, null).checkedAlso(url -> {
                String checked = SettingsValues.serviceUrl(url).orElseThrow(() ->
                        new IllegalArgumentException("must be an https URL naming a host (http only for a loopback address)"));
                io.keycloaksentinel.core.net.OutboundPolicy.refusalWhenSaved(checked, 2000).ifPresent(why -> {
                    throw new IllegalArgumentException("cannot be called: " + why);
                });
                return checked;
            }),
            Setting.integer(TIMEOUT_MILLIS, 3000, 100, MAX_TIMEOUT_MILLIS),
            Setting.decimal(MIN_SCORE, 0.5, 0.0, 1.0),
            Setting.whole(WORK_LOW, 10_000, MIN_WORK, MAX_WORK),
            Setting.whole(WORK_MEDIUM, 50_000, MIN_WORK, MAX_WORK),
            Setting.whole(WORK_HIGH, 200_000, MIN_WORK, MAX_WORK),
            Setting.integer(CHALLENGE_SECONDS, 300, 30, 3600));
    public static final CaptchaSettings DEFAULTS = TABLE.defaults();

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

    /** The realm's settings, from its attributes {@code sentinel.captcha.<key>}; damaged values take their defaults. */
    public static CaptchaSettings read(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute));
    }

    /** Settings as the admin REST shows them: the secret masked. */
    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /**
     * Validates a partial update from the admin REST and returns the values to store (short
     * key to string; null removes the attribute, restoring the default). The masked secret
     * placeholder leaves the stored secret as it is.
     *
     * @param knownProviders the CAPTCHA provider ids installed on the server
     * @throws IllegalArgumentException with a message naming the field, for any bad value
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update, Set<String> knownProviders) {
        return TABLE.validateUpdate(update, Map.of(PROVIDER, provider -> {
            if (!knownProviders.contains(provider)) {
                throw new IllegalArgumentException("must be one of " + new TreeSet<>(knownProviders));
            }
            return provider;
        }));
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
