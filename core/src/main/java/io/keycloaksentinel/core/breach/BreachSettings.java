package io.keycloaksentinel.core.breach;

import io.keycloaksentinel.core.SettingsValues;
import java.util.EnumSet;
import java.util.LinkedHashMap;
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
    public static final String SOURCES = "sources";
    public static final String API_URL = "apiUrl";
    public static final String API_TIMEOUT_MILLIS = "apiTimeoutMillis";
    public static final String FAIL_OPEN = "failOpen";
    public static final String LOGIN_ACTION = "loginAction";
    public static final String RECHECK_DAYS = "recheckDays";
    public static final String ADMIN_EMAIL = "adminEmail";
    public static final List<String> KEYS = List.of(SOURCES, API_URL, API_TIMEOUT_MILLIS, FAIL_OPEN, LOGIN_ACTION,
            RECHECK_DAYS, ADMIN_EMAIL);
    static final int MAX_TIMEOUT_MILLIS = 10_000;
    static final int MAX_TEXT = 2048;
    /** One plain address; compiled once (the settings are read on every sign-in). */
    private static final java.util.regex.Pattern EMAIL =
            java.util.regex.Pattern.compile("[^@\\s,;<>\"]+@[^@\\s,;<>\"]+\\.[^@\\s,;<>\"]+");

    public static final BreachSettings DEFAULTS = new BreachSettings(EnumSet.of(Source.BUNDLED, Source.INDEX),
            HibpRangeClient.DEFAULT_BASE_URL, 2000, true, LoginAction.SECOND_PROOF, 30, null);

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
        SECOND_PROOF("second-proof"),
        /** the login is refused and the user is emailed a link to set a new password */
        EMAIL_RESET("email-reset"),
        /** a new password right away (for realms that accept the risk) */
        FORCE_CHANGE("force-change"),
        /** counted and logged, nothing else */
        MONITOR("monitor"),
        /** not checked at login */
        OFF("off");

        private final String value;

        LoginAction(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        public static Optional<LoginAction> parse(String v) {
            if (v == null) {
                return Optional.empty();
            }
            for (LoginAction a : values()) {
                if (a.value.equals(v.strip().toLowerCase(Locale.ROOT))) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /** Reads settings through {@code value} (short key to stored string, null when unset). */
    public static BreachSettings read(Function<String, String> value) {
        BreachSettings d = DEFAULTS;
        return new BreachSettings(
                sources(value.apply(SOURCES)).orElse(d.sources()),
                url(value.apply(API_URL)).orElse(d.apiUrl()),
                (int) SettingsValues.stored(value.apply(API_TIMEOUT_MILLIS), 100, MAX_TIMEOUT_MILLIS, d.apiTimeoutMillis()),
                !"false".equals(value.apply(FAIL_OPEN)),
                LoginAction.parse(value.apply(LOGIN_ACTION)).orElse(d.loginAction()),
                (int) SettingsValues.stored(value.apply(RECHECK_DAYS), 1, 3650, d.recheckDays()),
                email(value.apply(ADMIN_EMAIL)).orElse(null));
    }

    /** The realm-attribute reader: {@code sentinel.breach.<key>}. */
    public static Function<String, String> realmAttributes(Function<String, String> attribute) {
        return key -> attribute.apply(PREFIX + key);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(SOURCES, sources.stream().map(Source::value).toList());
        m.put(API_URL, apiUrl);
        m.put(API_TIMEOUT_MILLIS, apiTimeoutMillis);
        m.put(FAIL_OPEN, failOpen);
        m.put(LOGIN_ACTION, loginAction.value());
        m.put(RECHECK_DAYS, recheckDays);
        m.put(ADMIN_EMAIL, adminEmail);
        return m;
    }

    /**
     * Validates a partial update from the admin REST and returns the values to store (short key
     * to string; null removes the attribute, restoring the default).
     *
     * @throws IllegalArgumentException with a message naming the field, for any bad value
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
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
                case SOURCES -> {
                    if (!(v instanceof List<?> list)) {
                        throw new IllegalArgumentException(SOURCES + " must be a list of bundled, index, api");
                    }
                    EnumSet<Source> set = EnumSet.noneOf(Source.class);
                    for (Object item : list) {
                        Optional<Source> source = item instanceof String name ? Source.parse(name) : Optional.empty();
                        set.add(source.orElseThrow(() -> new IllegalArgumentException(
                                SOURCES + " must be a list of bundled, index, api")));
                    }
                    out.put(key, String.join(",", set.stream().map(Source::value).toList()));
                }
                case API_URL -> {
                    if (!(v instanceof String s) || s.isBlank() || s.length() > MAX_TEXT) {
                        throw new IllegalArgumentException(API_URL + " must be a non-empty string");
                    }
                    out.put(key, url(s).orElseThrow(() -> new IllegalArgumentException(
                            API_URL + " must be an https URL naming a host (http only for a loopback address)")));
                }
                case API_TIMEOUT_MILLIS -> out.put(key, Long.toString(SettingsValues.integer(key, v, 100, MAX_TIMEOUT_MILLIS)));
                case RECHECK_DAYS -> out.put(key, Long.toString(SettingsValues.integer(key, v, 1, 3650)));
                case FAIL_OPEN -> {
                    if (!(v instanceof Boolean b)) {
                        throw new IllegalArgumentException(key + " must be true or false");
                    }
                    out.put(key, b.toString());
                }
                case ADMIN_EMAIL -> out.put(key, email(v instanceof String str ? str : null).orElseThrow(
                        () -> new IllegalArgumentException(ADMIN_EMAIL + " must be one email address")));
                case LOGIN_ACTION -> out.put(key, LoginAction.parse(v instanceof String s ? s : null)
                        .map(LoginAction::value).orElseThrow(() -> new IllegalArgumentException(LOGIN_ACTION
                                + " must be one of second-proof, email-reset, force-change, monitor, off")));
                default -> throw new IllegalStateException(key);
            }
        }
        return out;
    }

    private static Optional<Set<Source>> sources(String v) {
        if (v == null) {
            return Optional.empty();
        }
        EnumSet<Source> set = EnumSet.noneOf(Source.class);
        if (!v.isBlank()) {
            for (String part : v.split(",")) {
                Optional<Source> s = Source.parse(part);
                if (s.isEmpty()) {
                    return Optional.empty();
                }
                set.add(s.get());
            }
        }
        return Optional.of(set);
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
