package io.keycloaksentinel.core.mfa;

import io.keycloaksentinel.core.SettingsValues;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A realm's enforced-MFA policy and risk-based step-up, stored as realm attributes
 * {@code sentinel.mfa.<key>} (the Sentinel admin REST writes them); the same keys in the config of
 * the {@code sentinel-mfa} step override the realm's values for that flow. Lists are stored joined
 * by {@code ##}, as Keycloak stores multivalued config.
 *
 * <p>Scopes and exemptions are written {@code kind:name}: {@code realm}, {@code organization:acme}
 * (alias), {@code group:/staff/admins} (path), {@code role:admin} or {@code role:client-id.role},
 * and for exemptions also {@code user:username}. A scope may carry its own grace:
 * {@code group:/admins;graceDays=0} or {@code organization:acme;graceDays=30;graceLogins=5}. A user in
 * several scopes gets the strictest grace of them.
 */
public record MfaSettings(Mode mode, List<Scope> scopes, List<Exemption> exempt, Set<Factor> factors, int graceDays,
                          int graceLogins, Long graceStart, EnrollmentProof enrollmentProof, Mode stepUp,
                          StepUpAction stepUpHigh, StepUpAction stepUpMedium, StepUpAction stepUpUnknownDevice) {

    public static final String PREFIX = "sentinel.mfa.";
    public static final String MODE = "mode";
    public static final String SCOPES = "scopes";
    public static final String EXEMPT = "exempt";
    public static final String FACTORS = "factors";
    public static final String GRACE_DAYS = "graceDays";
    public static final String GRACE_LOGINS = "graceLogins";
    public static final String GRACE_START = "graceStart";
    public static final String ENROLLMENT_PROOF = "enrollmentProof";
    public static final String STEP_UP = "stepUp";
    public static final String STEP_UP_HIGH = "stepUpHigh";
    public static final String STEP_UP_MEDIUM = "stepUpMedium";
    public static final String STEP_UP_UNKNOWN_DEVICE = "stepUpUnknownDevice";
    public static final List<String> KEYS = List.of(MODE, SCOPES, EXEMPT, FACTORS, GRACE_DAYS, GRACE_LOGINS, GRACE_START,
            ENROLLMENT_PROOF, STEP_UP, STEP_UP_HIGH, STEP_UP_MEDIUM, STEP_UP_UNKNOWN_DEVICE);
    /** How lists are joined in storage (Keycloak's multivalued config separator). */
    public static final String SEPARATOR = "##";
    public static final int MAX_ENTRIES = 100;
    public static final int MAX_NAME = 255;
    public static final int MAX_GRACE_DAYS = 3650;
    public static final int MAX_GRACE_LOGINS = 1000;

    public static final MfaSettings DEFAULTS = new MfaSettings(Mode.OFF, List.of(new Scope(ScopeKind.REALM, null, null, null)),
            List.of(), Collections.unmodifiableSet(EnumSet.of(Factor.OTP, Factor.WEBAUTHN, Factor.PASSKEY)), 14, 0, null,
            EnrollmentProof.RISKY, Mode.ENFORCE, StepUpAction.SECOND_PROOF, StepUpAction.ALLOW, StepUpAction.ALLOW);

    /** off: nothing; enforce: act; monitor: log and count what would be done, never block. */
    public enum Mode {
        OFF, ENFORCE, MONITOR;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a step-up level asks of a login with a correct password. */
    public enum StepUpAction {
        ALLOW("allow"), SECOND_PROOF("second-proof"), REFUSE("refuse");

        private final String value;

        StepUpAction(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        public StepUpAction max(StepUpAction other) {
            return ordinal() >= other.ordinal() ? this : other;
        }
    }

    /** When a first factor's enrollment needs the verified email first. */
    public enum EnrollmentProof {
        RISKY, ALWAYS, NEVER;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The second factors a policy accepts, with Keycloak's credential type and required action. */
    public enum Factor {
        OTP("otp", "otp", "CONFIGURE_TOTP"),
        WEBAUTHN("webauthn", "webauthn", "webauthn-register"),
        PASSKEY("passkey", "webauthn-passwordless", "webauthn-register-passwordless"),
        RECOVERY_CODES("recovery-codes", "recovery-authn-codes", "CONFIGURE_RECOVERY_AUTHN_CODES");

        private final String value;
        private final String credentialType;
        private final String requiredAction;

        Factor(String value, String credentialType, String requiredAction) {
            this.value = value;
            this.credentialType = credentialType;
            this.requiredAction = requiredAction;
        }

        public String value() {
            return value;
        }

        public String credentialType() {
            return credentialType;
        }

        public String requiredAction() {
            return requiredAction;
        }

        public static Factor of(String value) {
            for (Factor f : values()) {
                if (f.value.equals(value)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown factor '" + shorten(value) + "'; known: "
                    + Arrays.stream(values()).map(Factor::value).toList());
        }

        public static java.util.Optional<Factor> ofCredentialType(String type) {
            return Arrays.stream(values()).filter(f -> f.credentialType.equals(type)).findFirst();
        }
    }

    public enum ScopeKind {
        REALM, ORGANIZATION, GROUP, ROLE, USER;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Who the policy covers; {@code graceDays}/{@code graceLogins} null: the policy's own. */
    public record Scope(ScopeKind kind, String name, Integer graceDays, Integer graceLogins) {

        public String text() {
            StringBuilder s = new StringBuilder(kind.value());
            if (name != null) {
                s.append(':').append(name);
            }
            if (graceDays != null) {
                s.append(";graceDays=").append(graceDays);
            }
            if (graceLogins != null) {
                s.append(";graceLogins=").append(graceLogins);
            }
            return s.toString();
        }

        /** The grace of this scope: its own values, else the policy's. */
        public int days(MfaSettings policy) {
            return graceDays != null ? graceDays : policy.graceDays();
        }

        public int logins(MfaSettings policy) {
            return graceLogins != null ? graceLogins : policy.graceLogins();
        }
    }

    /** Who is never asked by the policy (a break-glass admin, a service group). */
    public record Exemption(ScopeKind kind, String name) {

        public String text() {
            return kind.value() + ":" + name;
        }
    }

    public boolean active() {
        return mode != Mode.OFF;
    }

    /**
     * Whether the step reads the user's device history (risky enrollment; step-up, where a known
     * device lowers the risk and an unknown one may ask for proof); the listener keeps it then.
     */
    public boolean needsDevices() {
        return (active() && enrollmentProof == EnrollmentProof.RISKY) || stepUp != Mode.OFF;
    }

    /**
     * Realm attribute set by the MFA step the first time it runs with settings that read the device
     * history (so realms that do not use the step are not tracked).
     */
    public static final String TRACK_DEVICES = PREFIX + "trackDevices";

    /** Whether the new-device listener keeps device history for this realm on behalf of the MFA step. */
    public static boolean tracksDevices(Function<String, String> attribute) {
        return "true".equals(attribute.apply(TRACK_DEVICES)) || read(attribute).active();
    }

    /** The realm's settings; damaged stored values fall back to their defaults (logged by the caller). */
    public static MfaSettings read(Function<String, String> attribute) {
        return read(attribute, key -> null);
    }

    /**
     * The realm's settings with a step's config over them: a key set (non-blank) in {@code override}
     * wins. A stored value that does not parse falls back to the default of its key, so a typo in a
     * step's config never turns the policy off.
     */
    public static MfaSettings read(Function<String, String> attribute, Function<String, String> override) {
        Function<String, String> v = key -> {
            String o = override.apply(key);
            return o != null && !o.isBlank() ? o : attribute.apply(PREFIX + key);
        };
        MfaSettings d = DEFAULTS;
        return new MfaSettings(
                parseOr(v, MODE, d.mode()),
                parseOr(v, SCOPES, d.scopes()),
                parseOr(v, EXEMPT, d.exempt()),
                parseOr(v, FACTORS, d.factors()),
                parseOr(v, GRACE_DAYS, (long) d.graceDays()).intValue(),
                parseOr(v, GRACE_LOGINS, (long) d.graceLogins()).intValue(),
                parseOr(v, GRACE_START, d.graceStart()),
                parseOr(v, ENROLLMENT_PROOF, d.enrollmentProof()),
                parseOr(v, STEP_UP, d.stepUp()),
                parseOr(v, STEP_UP_HIGH, d.stepUpHigh()),
                parseOr(v, STEP_UP_MEDIUM, d.stepUpMedium()),
                parseOr(v, STEP_UP_UNKNOWN_DEVICE, d.stepUpUnknownDevice()));
    }

    /** Every stored value of {@code attribute} that does not parse, as "key: message" (for the admin's view). */
    public static List<String> problems(Function<String, String> attribute) {
        List<String> out = new ArrayList<>();
        for (String key : KEYS) {
            String stored = attribute.apply(PREFIX + key);
            if (stored == null) {
                continue;
            }
            try {
                parse(key, stored);
            } catch (RuntimeException e) {
                out.add(key + ": " + e.getMessage() + " (the default is used)");
            }
        }
        return out;
    }

    /** A stored value of {@code key}, parsed as {@link #read} does; throws when it does not parse. */
    private static Object parse(String key, String stored) {
        return switch (key) {
            case MODE, STEP_UP -> mode(stored);
            case SCOPES -> nonEmpty(scopes(split(stored)));
            case EXEMPT -> exemptions(split(stored));
            case FACTORS -> nonEmpty(factors(split(stored)));
            case GRACE_DAYS -> SettingsValues.integer(key, number(stored.strip()), 0, MAX_GRACE_DAYS);
            case GRACE_LOGINS -> SettingsValues.integer(key, number(stored.strip()), 0, MAX_GRACE_LOGINS);
            case GRACE_START -> instant(stored);
            case ENROLLMENT_PROOF -> EnrollmentProof.valueOf(stored.strip().toUpperCase(Locale.ROOT));
            case STEP_UP_HIGH, STEP_UP_MEDIUM, STEP_UP_UNKNOWN_DEVICE -> action(stored);
            default -> throw new IllegalStateException(key);
        };
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MODE, mode.value());
        m.put(SCOPES, scopes.stream().map(Scope::text).toList());
        m.put(EXEMPT, exempt.stream().map(Exemption::text).toList());
        m.put(FACTORS, factors.stream().map(Factor::value).toList());
        m.put(GRACE_DAYS, graceDays);
        m.put(GRACE_LOGINS, graceLogins);
        m.put(GRACE_START, graceStart == null ? null : Instant.ofEpochMilli(graceStart).toString());
        m.put(ENROLLMENT_PROOF, enrollmentProof.value());
        m.put(STEP_UP, stepUp.value());
        m.put(STEP_UP_HIGH, stepUpHigh.value());
        m.put(STEP_UP_MEDIUM, stepUpMedium.value());
        m.put(STEP_UP_UNKNOWN_DEVICE, stepUpUnknownDevice.value());
        return m;
    }

    /**
     * Validates a partial update (null restores a default) by form only; whether the organizations,
     * groups, roles and users it names exist is the caller's check. A 400 message names the field.
     *
     * @return the values to store, keyed without the prefix
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
        SettingsValues.checkKeys(update, KEYS);
        Map<String, String> out = new LinkedHashMap<>();
        update.forEach((key, value) -> {
            if (value == null) {
                out.put(key, null);
                return;
            }
            switch (key) {
                case MODE, STEP_UP -> out.put(key, named(key, () -> mode(text(key, value))).value());
                case STEP_UP_HIGH, STEP_UP_MEDIUM, STEP_UP_UNKNOWN_DEVICE ->
                        out.put(key, named(key, () -> action(text(key, value))).value());
                case ENROLLMENT_PROOF -> {
                    String t = text(key, value);
                    try {
                        out.put(key, EnrollmentProof.valueOf(t.toUpperCase(Locale.ROOT)).value());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(key + " must be one of risky, always, never");
                    }
                }
                case GRACE_DAYS -> out.put(key, Long.toString(SettingsValues.integer(key, value, 0, MAX_GRACE_DAYS)));
                case GRACE_LOGINS -> out.put(key, Long.toString(SettingsValues.integer(key, value, 0, MAX_GRACE_LOGINS)));
                case GRACE_START -> {
                    try {
                        out.put(key, Instant.ofEpochMilli(instant(text(key, value))).toString());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(key + " must be a date (2026-11-01) or an instant (2026-11-01T08:00:00Z)");
                    }
                }
                case SCOPES -> {
                    List<Scope> scopes = scopes(list(key, value));
                    if (scopes.isEmpty()) {
                        throw new IllegalArgumentException("scopes must name at least one scope (\"realm\" for everyone)");
                    }
                    out.put(key, scopes.stream().map(Scope::text).collect(Collectors.joining(SEPARATOR)));
                }
                case EXEMPT -> out.put(key, exemptions(list(key, value)).stream().map(Exemption::text)
                        .collect(Collectors.joining(SEPARATOR)));
                case FACTORS -> {
                    Set<Factor> factors = named(key, () -> factors(list(key, value)));
                    if (factors.isEmpty()) {
                        throw new IllegalArgumentException("factors must allow at least one of "
                                + Arrays.stream(Factor.values()).map(Factor::value).toList()
                                + ": a policy that allows no second factor cannot be met");
                    }
                    out.put(key, factors.stream().map(Factor::value).collect(Collectors.joining(SEPARATOR)));
                }
                default -> throw new IllegalStateException(key);
            }
        });
        return out;
    }

    // ---- parsing

    static Mode mode(String v) {
        try {
            return Mode.valueOf(v.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be one of off, enforce, monitor");
        }
    }

    static StepUpAction action(String v) {
        for (StepUpAction a : StepUpAction.values()) {
            if (a.value().equals(v == null ? null : v.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("must be one of allow, second-proof, refuse");
    }

    static List<Scope> scopes(List<String> entries) {
        List<Scope> out = new ArrayList<>();
        for (String entry : entries) {
            String[] parts = entry.split(";", -1);
            String[] kn = kindAndName(parts[0], "scopes", EnumSet.of(ScopeKind.REALM, ScopeKind.ORGANIZATION,
                    ScopeKind.GROUP, ScopeKind.ROLE));
            Integer days = null;
            Integer logins = null;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].strip();
                int eq = p.indexOf('=');
                String k = eq < 0 ? p : p.substring(0, eq).strip();
                String n = eq < 0 ? "" : p.substring(eq + 1).strip();
                if (k.equals(GRACE_DAYS)) {
                    days = (int) SettingsValues.integer("scopes: graceDays of " + shorten(parts[0]), number(n), 0, MAX_GRACE_DAYS);
                } else if (k.equals(GRACE_LOGINS)) {
                    logins = (int) SettingsValues.integer("scopes: graceLogins of " + shorten(parts[0]), number(n), 0,
                            MAX_GRACE_LOGINS);
                } else {
                    throw new IllegalArgumentException("scopes: unknown option '" + shorten(k)
                            + "' (known: graceDays, graceLogins) in '" + shorten(entry) + "'");
                }
            }
            Scope scope = new Scope(ScopeKind.valueOf(kn[0].toUpperCase(Locale.ROOT)), kn[1], days, logins);
            if (out.stream().anyMatch(s -> s.kind() == scope.kind() && java.util.Objects.equals(s.name(), scope.name()))) {
                throw new IllegalArgumentException("scopes: '" + shorten(parts[0]) + "' is named twice");
            }
            out.add(scope);
        }
        return List.copyOf(out);
    }

    static List<Exemption> exemptions(List<String> entries) {
        List<Exemption> out = new ArrayList<>();
        for (String entry : entries) {
            String[] kn = kindAndName(entry, "exempt", EnumSet.of(ScopeKind.USER, ScopeKind.GROUP, ScopeKind.ROLE));
            if (kn[1] == null) {
                throw new IllegalArgumentException("exempt: '" + shorten(entry) + "' needs a name (user:, group: or role:)");
            }
            Exemption e = new Exemption(ScopeKind.valueOf(kn[0].toUpperCase(Locale.ROOT)), kn[1]);
            if (!out.contains(e)) {
                out.add(e);
            }
        }
        return List.copyOf(out);
    }

    static Set<Factor> factors(List<String> entries) {
        Set<Factor> out = EnumSet.noneOf(Factor.class);
        for (String e : entries) {
            out.add(Factor.of(e.strip()));
        }
        return Collections.unmodifiableSet(out);
    }

    /** "group:/a/b" to {"group", "/a/b"}; "realm" to {"realm", null}. */
    private static String[] kindAndName(String entry, String field, Set<ScopeKind> allowed) {
        String e = entry.strip();
        int colon = e.indexOf(':');
        String kind = (colon < 0 ? e : e.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
        String name = colon < 0 ? null : e.substring(colon + 1).strip();
        ScopeKind k;
        try {
            k = ScopeKind.valueOf(kind.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            k = null;
        }
        if (k == null || !allowed.contains(k)) {
            throw new IllegalArgumentException(field + ": '" + shorten(entry) + "' must start with one of "
                    + allowed.stream().map(ScopeKind::value).toList());
        }
        if (k == ScopeKind.REALM) {
            if (name != null && !name.isEmpty()) {
                throw new IllegalArgumentException(field + ": 'realm' takes no name");
            }
            return new String[] {kind, null};
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(field + ": '" + shorten(entry) + "' needs a name after '" + kind + ":'");
        }
        if (name.length() > MAX_NAME || name.contains(SEPARATOR) || name.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException(field + ": the name in '" + shorten(entry) + "' is too long or has control characters");
        }
        return new String[] {kind, name};
    }

    private static <T> T named(String key, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith(key) ? m : m.startsWith("must") ? key + " " + m : key + ": " + m);
        }
    }

    private static Object number(String n) {
        try {
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            return n;
        }
    }

    private static List<String> split(String stored) {
        if (stored == null || stored.isBlank()) {
            return List.of();
        }
        // the admin console's multivalued config joins with ##; a hand-written one may use new lines (never
        // commas: a group or role name may hold one)
        String[] parts = stored.split(SEPARATOR + "|\\n");
        return Arrays.stream(parts).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static List<String> list(String key, Object value) {
        List<?> raw;
        if (value instanceof List<?> l) {
            raw = l;
        } else if (value instanceof String s) {
            raw = split(s);
        } else {
            throw new IllegalArgumentException(key + " must be a list of strings");
        }
        if (raw.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(key + " may hold at most " + MAX_ENTRIES + " entries");
        }
        List<String> out = new ArrayList<>();
        for (Object o : raw) {
            if (!(o instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException(key + " must be a list of non-empty strings");
            }
            out.add(s.strip());
        }
        return out;
    }

    private static String text(String key, Object value) {
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException(key + " must be a string");
        }
        return s.strip();
    }

    /** "2026-11-01" (UTC midnight) or an ISO instant, to epoch milliseconds. */
    static Long instant(String v) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("empty");
        }
        String s = v.strip();
        try {
            return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
                    : Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a date");
        }
    }

    private static <T> T nonEmpty(T value) {
        if (value instanceof java.util.Collection<?> c && c.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static <T> T parseOr(Function<String, String> values, String key, T fallback) {
        String stored = values.apply(key);
        if (stored == null || stored.isBlank()) {
            return fallback;
        }
        try {
            return (T) parse(key, stored);
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static String shorten(String s) {
        return s == null ? "null" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
