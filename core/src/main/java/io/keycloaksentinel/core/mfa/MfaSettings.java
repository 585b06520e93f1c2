package io.keycloaksentinel.core.mfa;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A realm's enforced-MFA policy and risk-based step-up, stored as realm attributes
 * {@code sentinel.mfa.<key>} (the Sentinel admin REST writes them); the same keys in the config of
 * the {@code sentinel-mfa} step override the realm's values for that flow. Lists are stored joined
 * by {@code ##}, as Keycloak stores multivalued config.
 *
 * <p>Scopes and exemptions are written {@code kind:name}: {@code realm}, {@code organization:acme}
 * (alias), {@code group:/staff/admins} (path), {@code role:admin} or {@code role:client-id.role},
 * and for exemptions also {@code user:username}, which the admin API stores as {@code user_id:<id>}
 * (a renamed or recreated account never inherits it). A scope may carry its own grace:
 * {@code group:/admins;graceDays=0} or {@code organization:acme;graceDays=30;graceLogins=5}. A user in
 * several scopes gets the strictest grace of them.
 */
public record MfaSettings(Mode mode, List<Scope> scopes, List<Exemption> exempt, Set<Factor> factors, int graceDays,
                          int graceLogins, Long graceStart, EnrollmentProof enrollmentProof, Mode stepUp,
                          StepUpAction stepUpHigh, StepUpAction stepUpMedium, StepUpAction stepUpUnknownDevice) {

    public static final String PREFIX = "sentinel.mfa.";
    public static final String MODE = "mode", SCOPES = "scopes", EXEMPT = "exempt", FACTORS = "factors",
            GRACE_DAYS = "graceDays", GRACE_LOGINS = "graceLogins", GRACE_START = "graceStart",
            ENROLLMENT_PROOF = "enrollmentProof", STEP_UP = "stepUp", STEP_UP_HIGH = "stepUpHigh",
            STEP_UP_MEDIUM = "stepUpMedium", STEP_UP_UNKNOWN_DEVICE = "stepUpUnknownDevice";
    /** How lists are joined in storage (Keycloak's multivalued config separator). */
    public static final String SEPARATOR = Setting.SEPARATOR;
    public static final int MAX_ENTRIES = 100;
    public static final int MAX_NAME = 255;
    public static final int MAX_GRACE_DAYS = 3650;
    public static final int MAX_GRACE_LOGINS = 1000;

    /** The declarations this record is read, shown, checked and written from ({@link SettingsTable#write} stores an update). */
    public static final SettingsTable<MfaSettings> TABLE = SettingsTable.of(MfaSettings.class, PREFIX,
            Setting.oneOf(MODE, Mode.OFF, Mode::value),
            Setting.list(SCOPES, List.of(new Scope(ScopeKind.REALM, null, null, null)), MAX_ENTRIES, MfaSettings::scopes,
                    Scope::text, "must name at least one scope (\"realm\" for everyone)"),
            Setting.list(EXEMPT, List.of(), MAX_ENTRIES, MfaSettings::exemptions, Exemption::text, null),
            Setting.list(FACTORS, Collections.unmodifiableSet(EnumSet.of(Factor.OTP, Factor.WEBAUTHN, Factor.PASSKEY)),
                    MAX_ENTRIES, MfaSettings::factors, Factor::value, "must allow at least one of "
                            + Arrays.stream(Factor.values()).map(Factor::value).toList()
                            + ": a policy that allows no second factor cannot be met"),
            Setting.integer(GRACE_DAYS, 14, 0, MAX_GRACE_DAYS),
            Setting.integer(GRACE_LOGINS, 0, 0, MAX_GRACE_LOGINS),
            Setting.instant(GRACE_START),
            Setting.oneOf(ENROLLMENT_PROOF, EnrollmentProof.RISKY, EnrollmentProof::value),
            Setting.oneOf(STEP_UP, Mode.ENFORCE, Mode::value),
            Setting.oneOfExactly(STEP_UP_HIGH, StepUpAction.SECOND_PROOF, StepUpAction::value),
            Setting.oneOfExactly(STEP_UP_MEDIUM, StepUpAction.ALLOW, StepUpAction::value),
            Setting.oneOfExactly(STEP_UP_UNKNOWN_DEVICE, StepUpAction.ALLOW, StepUpAction::value));
    public static final MfaSettings DEFAULTS = TABLE.defaults();

    /** off: nothing; enforce: act; monitor: log and count what would be done, never block. */
    public enum Mode {
        OFF, ENFORCE, MONITOR;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a step-up level asks of a login with a correct password. */
    public enum StepUpAction {
        /**
         * EMAIL_LINK: the right password is answered exactly as a wrong one, and the owner is mailed a
         * one-time link that continues the sign-in in the browser that asked; where no such answer can
         * be given (the password grant, a flow without Sentinel's login form) it asks what
         * SECOND_PROOF asks.
         */
        ALLOW, SECOND_PROOF, EMAIL_LINK, REFUSE;

        /** allow, second-proof, email-link, refuse. */
        public String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Whether the login needs a second proof (an emailed code or link, or a second factor). */
        public boolean asksProof() {
            return this == SECOND_PROOF || this == EMAIL_LINK;
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
            throw new IllegalArgumentException("unknown factor '" + SettingsValues.shorten(value) + "'; known: "
                    + Arrays.stream(values()).map(Factor::value).toList());
        }

        public static java.util.Optional<Factor> ofCredentialType(String type) {
            return Arrays.stream(values()).filter(f -> f.credentialType.equals(type)).findFirst();
        }
    }

    public enum ScopeKind {
        /** {@code USER_ID}: an exemption pinned to one account ({@code user_id:<id>}), what {@code user:name} is stored as. */
        REALM, ORGANIZATION, GROUP, ROLE, USER, USER_ID;

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
        return TABLE.read(key -> {
            String o = override.apply(key);
            return o != null && !o.isBlank() ? o : attribute.apply(PREFIX + key);
        });
    }

    /** Every stored value of {@code attribute} that does not parse, as "key: message" (for the admin's view). */
    public static List<String> problems(Function<String, String> attribute) {
        return TABLE.problems(TABLE.attributes(attribute));
    }

    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /**
     * Validates a partial update (null restores a default) by form only; whether the organizations,
     * groups, roles and users it names exist is the caller's check. A 400 message names the field.
     *
     * @return the values to store, keyed without the prefix
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
        return TABLE.validateUpdate(update);
    }

    // ---- parsing; the table puts the key in front of a message ("scopes: 'team:a' must start with ...")

    static List<Scope> scopes(List<String> entries) {
        List<Scope> out = new ArrayList<>();
        for (String entry : entries) {
            String[] parts = entry.split(";", -1);
            Scope named = scope(parts[0], EnumSet.of(ScopeKind.REALM, ScopeKind.ORGANIZATION, ScopeKind.GROUP, ScopeKind.ROLE));
            String at = " of " + SettingsValues.shorten(parts[0]);
            Integer days = null;
            Integer logins = null;
            for (int i = 1; i < parts.length; i++) {
                String[] option = parts[i].split("=", 2);
                Object n = number(option.length < 2 ? "" : option[1].strip());
                switch (option[0].strip()) {
                    case GRACE_DAYS -> days = (int) SettingsValues.integer(GRACE_DAYS + at, n, 0, MAX_GRACE_DAYS);
                    case GRACE_LOGINS -> logins = (int) SettingsValues.integer(GRACE_LOGINS + at, n, 0, MAX_GRACE_LOGINS);
                    default -> throw new IllegalArgumentException("unknown option '" + SettingsValues.shorten(option[0].strip())
                            + "' (known: graceDays, graceLogins) in '" + SettingsValues.shorten(entry) + "'");
                }
            }
            if (out.stream().anyMatch(s -> s.kind() == named.kind() && java.util.Objects.equals(s.name(), named.name()))) {
                throw new IllegalArgumentException("'" + SettingsValues.shorten(parts[0]) + "' is named twice");
            }
            out.add(new Scope(named.kind(), named.name(), days, logins));
        }
        return List.copyOf(out);
    }

    static List<Exemption> exemptions(List<String> entries) {
        List<Exemption> out = new ArrayList<>();
        for (String entry : entries) {
            Scope named = scope(entry, EnumSet.of(ScopeKind.USER, ScopeKind.USER_ID, ScopeKind.GROUP, ScopeKind.ROLE));
            Exemption e = new Exemption(named.kind(), named.name());
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

    /** "group:/a/b" to a scope of the group "/a/b", "realm" to the realm's (no name); no grace of its own. */
    private static Scope scope(String entry, Set<ScopeKind> allowed) {
        String e = entry.strip();
        int colon = e.indexOf(':');
        String kind = (colon < 0 ? e : e.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
        String name = colon < 0 ? null : e.substring(colon + 1).strip();
        ScopeKind k = Arrays.stream(ScopeKind.values()).filter(v -> v.value().equals(kind) && allowed.contains(v))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("'" + SettingsValues.shorten(entry)
                        + "' must start with one of " + allowed.stream().map(ScopeKind::value).toList()));
        if (k == ScopeKind.REALM) {
            if (name != null && !name.isEmpty()) {
                throw new IllegalArgumentException("'realm' takes no name");
            }
            return new Scope(k, null, null, null);
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("'" + SettingsValues.shorten(entry) + "' needs a name after '" + kind + ":'");
        }
        if (name.length() > MAX_NAME || name.contains(SEPARATOR) || name.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("the name in '" + SettingsValues.shorten(entry)
                    + "' is too long or has control characters");
        }
        return new Scope(k, name, null, null);
    }

    private static Object number(String n) {
        try {
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            return n;
        }
    }
}
