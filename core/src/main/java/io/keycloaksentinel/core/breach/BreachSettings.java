package io.keycloaksentinel.core.breach;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A realm's breached-password settings, stored as realm attributes {@code sentinel.breach.<key>}
 * (the Sentinel admin REST writes them). The minimum breach count is the value of the password
 * policy itself. A missing or damaged value takes its default: a hand-edited attribute never
 * breaks a password change or a login.
 *
 * @param sources          where to look, in this order: the list in the JAR, the server's offline
 *                         HIBP index (when one is configured), the HIBP range API
 * @param apiUrl           the range API's base URL (a mirror, a proxy, a test server)
 * @param apiTimeoutMillis the deadline of one API call
 * @param failOpen         when an enabled source cannot answer (the API down, the index damaged): accept
 *                         the password as far as the other sources go (true, logged) or refuse it (false)
 * @param loginAction      what a login with a breached password leads to
 * @param recheckDays      a password found clean at login is checked again after this many days
 * @param adminEmail       action {@code email-reset}: also tell this address (null: nobody)
 */
public record BreachSettings(Set<Source> sources, String apiUrl, int apiTimeoutMillis, boolean failOpen,
                             LoginAction loginAction, int recheckDays, String adminEmail) {

    public static final String PREFIX = "sentinel.breach.";
    /** Have I Been Pwned's range API, the default of {@code apiUrl}. */
    public static final String DEFAULT_API_URL = "https://api.pwnedpasswords.com";
    public static final String SOURCES = "sources", API_URL = "apiUrl", API_TIMEOUT_MILLIS = "apiTimeoutMillis",
            FAIL_OPEN = "failOpen", LOGIN_ACTION = "loginAction", RECHECK_DAYS = "recheckDays", ADMIN_EMAIL = "adminEmail";
    static final int MAX_TIMEOUT_MILLIS = 10_000;
    /** One plain address; compiled once (the settings are read on every sign-in). */
    private static final java.util.regex.Pattern EMAIL =
            java.util.regex.Pattern.compile("[^@\\s,;<>\"]+@[^@\\s,;<>\"]+\\.[^@\\s,;<>\"]+");

    /** The declarations this record is read, shown, checked and written from ({@link SettingsTable#write} stores an update). */
    public static final SettingsTable<BreachSettings> TABLE = SettingsTable.of(BreachSettings.class, PREFIX,
            Setting.of(SOURCES, Set.class, (Set<Source>) EnumSet.of(Source.BUNDLED, Source.INDEX), BreachSettings::parseSources,
                    BreachSettings::checkSources, set -> set.stream().map(Source::value).toList()),
            Setting.text(API_URL, DEFAULT_API_URL).refined(v -> url(v).orElseThrow(() ->
                    new IllegalArgumentException("must be an https URL naming a host (http only for a loopback address)"))),
            Setting.integer(API_TIMEOUT_MILLIS, 2000, 100, MAX_TIMEOUT_MILLIS),
            Setting.flag(FAIL_OPEN, true),
            Setting.oneOf(LOGIN_ACTION, LoginAction.SECOND_PROOF, LoginAction::value),
            Setting.integer(RECHECK_DAYS, 30, 1, 3650),
            Setting.text(ADMIN_EMAIL, null).refined(v -> email(v).orElseThrow(() ->
                    new IllegalArgumentException("must be one email address"))));
    public static final BreachSettings DEFAULTS = TABLE.defaults();

    /** A place breached passwords are looked up. */
    public enum Source {
        BUNDLED, INDEX, API;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<Source> parse(String v) {
            for (Source s : values()) {
                if (s.value().equals(v.strip().toLowerCase(Locale.ROOT))) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** What a login with a breached password leads to. */
    public enum LoginAction {
        /** a second proof (the user's second factor, else a code to the verified email), then a new password */
        SECOND_PROOF,
        /** the login is refused and the user is emailed a link to set a new password */
        EMAIL_RESET,
        /** a new password right away (for realms that accept the risk) */
        FORCE_CHANGE,
        /** counted and logged, nothing else */
        MONITOR,
        /** not checked at login */
        OFF;

        /** second-proof, email-reset, force-change, monitor, off. */
        public String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The realm's settings, from its attributes {@code sentinel.breach.<key>}; damaged values take their defaults. */
    public static BreachSettings read(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute));
    }

    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /**
     * Validates a partial update from the admin REST and returns the values to store (short key
     * to string; null removes the attribute, restoring the default).
     *
     * @throws IllegalArgumentException with a message naming the field, for any bad value
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
        return TABLE.validateUpdate(update);
    }

    /** Stored: comma-separated source names, "" for none; any unknown one damages the whole value. */
    private static Set<Source> parseSources(String v) {
        EnumSet<Source> set = EnumSet.noneOf(Source.class);
        for (String part : v.isBlank() ? new String[0] : v.split(",")) {
            set.add(Source.parse(part).orElseThrow());
        }
        return set;
    }

    /** From the admin: a list of source names, stored in their order of lookup. */
    private static String checkSources(Object json) {
        EnumSet<Source> set = EnumSet.noneOf(Source.class);
        if (json instanceof List<?> list) {
            for (Object item : list) {
                set.add((item instanceof String name ? Source.parse(name) : Optional.<Source>empty()).orElseThrow(() ->
                        new IllegalArgumentException("must be a list of bundled, index, api")));
            }
            return String.join(",", set.stream().map(Source::value).toList());
        }
        throw new IllegalArgumentException("must be a list of bundled, index, api");
    }

    /** One plain email address (no display name, no list, no line breaks), at most 254 characters. */
    static Optional<String> email(String v) {
        if (v == null || v.length() > 254 || !EMAIL.matcher(v.strip()).matches()) {
            return Optional.empty();
        }
        return Optional.of(v.strip());
    }

    /** An https URL naming a host, or http to a loopback address; no user info, query or fragment. */
    static Optional<String> url(String v) {
        return SettingsValues.serviceUrl(v).filter(u -> java.net.URI.create(u).getQuery() == null);
    }
}
