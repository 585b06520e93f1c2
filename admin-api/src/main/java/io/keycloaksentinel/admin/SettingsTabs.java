package io.keycloaksentinel.admin;

import io.keycloaksentinel.authenticators.captcha.CaptchaProvider;
import io.keycloaksentinel.core.alerts.AdminAlertSettings;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.keycloak.provider.ProviderFactory;

/**
 * Sentinel's tabs in the admin console's realm settings, one a capability with settings: the
 * fields, their labels and help, and the REST endpoint each saves through. What the declarative
 * form cannot show (the attack state's figures, the offenders, flagged users, MFA compliance,
 * the incident finder) stays with the REST API (docs/admin-console.md).
 */
public final class SettingsTabs {

    private SettingsTabs() {
    }

    /** {@code sentinel-detection}: thresholds, allowlist, mode, fail-closed ({@code /config}). */
    public static final class Detection extends ConsoleTab {
        public Detection() {
            super("sentinel-detection", "Keycloak Sentinel: when the realm is under attack, and when a source is throttled.",
                    SentinelAdminResource::config, Detection::detectionDefaults,
                    choice(RealmDetectionConfig.MODE, "Mode", "enforce: throttle risky sources (429 before any password check);"
                            + " monitor: only count and log what would be refused.", RealmDetectionConfig.MODE_ENFORCE,
                            RealmDetectionConfig.MODE_MONITOR),
                    flag(RealmDetectionConfig.FAIL_CLOSED, "Fail closed", "On: when the counters cannot be read, login posts get"
                            + " 503 instead of going through unchecked."),
                    whole(RealmDetectionConfig.ATTACK_RATE, "Attack failures per minute", "A realm-wide failure rate that is"
                            + " always an attack; half of it is ELEVATED."),
                    decimal(RealmDetectionConfig.BASELINE_MULTIPLIER, "Baseline multiplier", "A failure rate this many times"
                            + " the realm's own 24-hour average is an attack (once at least the minimum rate)."),
                    whole(RealmDetectionConfig.MIN_RATE, "Minimum failures per minute", "Below half of this nothing is even"
                            + " ELEVATED."),
                    decimal(RealmDetectionConfig.UNKNOWN_SHARE, "Unknown-user share", "A minute with at least the minimum"
                            + " failures, this share of them for usernames that do not exist, is an attack (0 to 1)."),
                    whole(RealmDetectionConfig.COOLDOWN_SECONDS, "Cooldown (seconds)", "How long the signals must stay low"
                            + " before the state steps down one level (0 to 86400)."),
                    whole(RealmDetectionConfig.IP_FAILURES_PER_DAY, "Failures per IP per day", "Failed logins from one address"
                            + " in 24 h after which its login posts get 429."),
                    whole(RealmDetectionConfig.NETWORK_FAILURES_PER_15M, "Failures per network per 15 min", "Failed logins from"
                            + " one network (/24, /64) in 15 minutes after which its login posts get 429."),
                    whole(RealmDetectionConfig.NETWORK_USERNAMES_PER_15M, "Usernames per network per 15 min", "Distinct usernames"
                            + " that failed from one network in 15 minutes after which its login posts get 429."),
                    whole(RealmDetectionConfig.UNKNOWN_SOURCE_FAILURES_PER_15M, "Smart lockout: failures per account per 15 min",
                            "Failed logins for one account from networks its user has not signed in from, after which such"
                                    + " networks are refused for that account (the owner's known networks are not)."),
                    whole(RealmDetectionConfig.IP_ACCOUNT_REQUESTS_PER_15M, "Sign-ups and resets per IP per 15 min",
                            "Sign-ups plus password-reset requests from one address that make its requests risky."),
                    whole(RealmDetectionConfig.BURST_FAILURES, "Burst failures in 10 s", "Failed sign-ins in 10 seconds, most"
                            + " with the botnet's signature, that are an attack; 0 turns the rule off."),
                    decimal(RealmDetectionConfig.BURST_SIGNATURE_SHARE, "Burst signature share", "The share of a burst's"
                            + " failures that must name an unknown user or be refused before the password (0 to 1)."),
                    whole(RealmDetectionConfig.SPRAY_ACCOUNTS_PER_HOUR, "Spraying: accounts per password per hour",
                            "A password tried on this many accounts from networks new to them in an hour is refused from new"
                                    + " networks; 0 turns the rule off."),
                    whole(RealmDetectionConfig.NEW_NETWORK_ACCOUNTS_PER_HOUR, "Low and slow: accounts from new networks per hour",
                            "Distinct accounts failing from networks new to them in an hour that make the realm ELEVATED;"
                                    + " 0 turns the rule off."),
                    lines(RealmDetectionConfig.ALLOWLIST, "Allowlist", "CIDR ranges never throttled (an office behind NAT),"
                            + " one a line, at most 100."));
        }


        @Override
        boolean replacesAll() {
            return true;
        }

        private static Map<String, Object> detectionDefaults() {
            Map<String, Object> d = new LinkedHashMap<>(RealmDetectionConfig.toMap(DetectionThresholds.DEFAULTS));
            d.put(RealmDetectionConfig.ALLOWLIST, List.of());
            d.put(RealmDetectionConfig.MODE, RealmDetectionConfig.MODE_ENFORCE);
            d.put(RealmDetectionConfig.FAIL_CLOSED, false);
            return d;
        }
    }

    /** {@code sentinel-captcha}: the realm's CAPTCHA ({@code /captcha}). */
    public static final class Captcha extends ConsoleTab {
        public Captcha() {
            super("sentinel-captcha", "Keycloak Sentinel: the CAPTCHA on login, registration and reset forms, shown by risk.",
                    SentinelAdminResource::captcha, () -> CaptchaSettings.TABLE.toMap(CaptchaSettings.DEFAULTS),
                    choice(CaptchaSettings.MODE, "Mode", "never; risky: only while a request is rated at least the minimum risk;"
                            + " always; monitor: decide as risky, show and refuse nothing.", "never", "risky", "always", "monitor"),
                    choice(CaptchaSettings.MIN_RISK, "Minimum risk", "medium: the realm ELEVATED or a source half-way to a"
                            + " threshold; high: the realm under attack or a source over a threshold.", "medium", "high"),
                    new Field(CaptchaSettings.PROVIDER, Kind.CHOICE, "Provider", "altcha (self-hosted proof of work, the"
                            + " default) or a vendor's CAPTCHA installed on this server.", () -> List.of()),
                    flag(CaptchaSettings.FAIL_OPEN, "Fail open", "On: when the provider cannot be reached, let the post"
                            + " through (counted); off: refuse it (503)."),
                    text(CaptchaSettings.SITE_KEY, "Site key", "Vendor providers: the public site key."),
                    secret(CaptchaSettings.SECRET, "Secret", "Vendor providers: the secret, or a ${vault.key} reference."),
                    text(CaptchaSettings.VERIFY_URL, "Verify URL", "Vendor providers: the siteverify URL (https; http only"
                            + " to a loopback address). Empty: the vendor's."),
                    whole(CaptchaSettings.TIMEOUT_MILLIS, "Timeout (ms)", "Vendor providers: the whole siteverify call,"
                            + " 100 to 10000."),
                    decimal(CaptchaSettings.MIN_SCORE, "Minimum score", "reCAPTCHA v3: the lowest score accepted (0 to 1)."),
                    whole(CaptchaSettings.WORK_LOW, "Work at low risk", "altcha: the search space at LOW risk (mode always)."),
                    whole(CaptchaSettings.WORK_MEDIUM, "Work at medium risk", "altcha: the search space at MEDIUM risk."),
                    whole(CaptchaSettings.WORK_HIGH, "Work at high risk", "altcha: the search space at HIGH risk."),
                    whole(CaptchaSettings.CHALLENGE_SECONDS, "Challenge lifetime (seconds)", "altcha: how long a challenge"
                            + " can be answered, 30 to 3600."));
        }

        @Override
        public List<org.keycloak.provider.ProviderConfigProperty> getConfigProperties() {
            List<org.keycloak.provider.ProviderConfigProperty> properties = super.getConfigProperties();
            properties.stream().filter(p -> p.getName().equals(CaptchaSettings.PROVIDER)).forEach(p -> p.setOptions(
                    sessionFactory() == null ? List.of(CaptchaSettings.DEFAULT_PROVIDER)
                            : sessionFactory().getProviderFactoriesStream(CaptchaProvider.class).map(ProviderFactory::getId)
                            .sorted().toList()));
            return properties;
        }


    }

    /** {@code sentinel-breached-passwords}: breached-password checks ({@code /breached-passwords}). */
    public static final class BreachedPasswords extends ConsoleTab {
        public BreachedPasswords() {
            super("sentinel-breached-passwords", "Keycloak Sentinel: refuse breached passwords, and what happens at login"
                            + " with one.",
                    SentinelAdminResource::breachedPasswords, () -> BreachSettings.TABLE.toMap(BreachSettings.TABLE.defaults()),
                    lines(BreachSettings.SOURCES, "Sources", "bundled, index, api: one a line (index is skipped when the"
                            + " server has no index file)."),
                    choice(BreachSettings.LOGIN_ACTION, "At login", "What a login with a breached password leads to.",
                            "second-proof", "email-reset", "force-change", "monitor", "off"),
                    flag(BreachSettings.FAIL_OPEN, "Fail open", "On: when a source cannot answer, accept a new password"
                            + " (logged); off: refuse it."),
                    text(BreachSettings.API_URL, "API URL", "The HIBP range API (https; http only to a loopback address)."),
                    whole(BreachSettings.API_TIMEOUT_MILLIS, "API timeout (ms)", "One API call's deadline, 100 to 10000."),
                    whole(BreachSettings.RECHECK_DAYS, "Recheck after (days)", "A password found clean at login is checked"
                            + " again after this many days, 1 to 3650."),
                    text(BreachSettings.ADMIN_EMAIL, "Admin email", "email-reset: also mail this address a notice."));
        }


    }

    /** {@code sentinel-device-alerts}: new-device alerts and security notices ({@code /alerts}). */
    public static final class DeviceAlerts extends ConsoleTab {
        public DeviceAlerts() {
            super("sentinel-device-alerts", "Keycloak Sentinel: mail users about sign-ins from new devices and account"
                            + " changes.",
                    SentinelAdminResource::alerts, () -> AlertSettings.TABLE.toMap(AlertSettings.TABLE.defaults()),
                    flag(AlertSettings.NEW_DEVICE_ALERTS, "New-device alerts", "Mail the user on a sign-in from an unknown"
                            + " device, with a \"this wasn't me\" link."),
                    flag(AlertSettings.ALERT_FIRST_DEVICE, "Alert on the first device", "Also for an account's first device."),
                    whole(AlertSettings.MAX_ALERTS_PER_HOUR, "Alerts per user per hour", "1 to 100."),
                    whole(AlertSettings.DEVICE_DAYS, "Device kept (days)", "A device is forgotten this many days after it was"
                            + " last seen, 1 to 3650."),
                    whole(AlertSettings.MAX_DEVICES, "Devices per user", "Known devices kept per user, 1 to 50."),
                    flag(AlertSettings.NOT_ME_DISABLES_ACCOUNT, "\"This wasn't me\" disables the account", "Besides ending"
                            + " the sessions."),
                    flag(AlertSettings.NOTIFY_PASSWORD_CHANGE, "Notice on password change", "Mail the user when the password"
                            + " changes."),
                    flag(AlertSettings.NOTIFY_MFA_CHANGE, "Notice on second-factor change", "Mail the user when a second"
                            + " factor is added or removed."),
                    flag(AlertSettings.NOTIFY_EMAIL_CHANGE, "Notice on email change", "Mail the old and new address."));
        }


    }

    /** {@code sentinel-admin-alerts}: where attack alerts go ({@code /admin-alerts}). */
    public static final class AdminAlerts extends ConsoleTab {
        public AdminAlerts() {
            super("sentinel-admin-alerts", "Keycloak Sentinel: tell the realm's admins when an attack starts and ends.",
                    SentinelAdminResource::adminAlerts, () -> AdminAlertSettings.TABLE.toMap(AdminAlertSettings.DEFAULTS),
                    lines(AdminAlertSettings.EMAILS, "Emails", "Up to 20 addresses, one a line."),
                    secret(AdminAlertSettings.WEBHOOK_URL, "Webhook URL", "http or https, not this server (a Slack URL is a"
                            + " credential)."),
                    secret(AdminAlertSettings.WEBHOOK_SECRET, "Webhook secret", "16 to 512 characters, or a ${vault.key}"
                            + " reference."),
                    choice(AdminAlertSettings.WEBHOOK_FORMAT, "Webhook format", "json or slack.", "json", "slack"),
                    whole(AdminAlertSettings.UPDATE_MINUTES, "Update every (minutes)", "An update at most this often while"
                            + " the attack lasts, 1 to 1440."),
                    choice(AdminAlertSettings.MIN_STATE, "Alert from", "The attack state that starts an alert.", "under_attack",
                            "elevated"));
        }


    }

    /** {@code sentinel-mfa}: the enforced-MFA policy and step-up ({@code /mfa}). */
    public static final class Mfa extends ConsoleTab {
        public Mfa() {
            super("sentinel-mfa", "Keycloak Sentinel: enforced MFA with a grace period, and step-up on risky sign-ins.",
                    SentinelAdminResource::mfa, () -> MfaSettings.TABLE.toMap(MfaSettings.TABLE.defaults()),
                    choice(MfaSettings.MODE, "Policy", "enforce; monitor: count who would be asked to enroll; off.", "off",
                            "monitor", "enforce"),
                    lines(MfaSettings.SCOPES, "Who is covered", "One a line: realm, organization:<alias>, group:<path>,"
                            + " role:<role> or role:<client-id>.<role>."),
                    lines(MfaSettings.EXEMPT, "Exempt", "One a line: user:<username>, group:<path>, role:<role>."),
                    lines(MfaSettings.FACTORS, "Factors", "One a line: otp, webauthn, passkey, recovery-codes; at least one."),
                    whole(MfaSettings.GRACE_DAYS, "Grace (days)", "Days to enroll, 0 to 3650 (0: none)."),
                    whole(MfaSettings.GRACE_LOGINS, "Grace (logins)", "\"Not now\" this many times at most, 0 to 1000"
                            + " (0: not limited by logins)."),
                    text(MfaSettings.GRACE_START, "Grace starts", "2026-12-01 or an ISO instant; empty: when the policy was"
                            + " turned on."),
                    choice(MfaSettings.ENROLLMENT_PROOF, "Emailed code before a first enrollment", "risky, always or never.",
                            "risky", "always", "never"),
                    choice(MfaSettings.STEP_UP, "Step-up", "enforce, monitor or off.", "enforce", "monitor", "off"),
                    choice(MfaSettings.STEP_UP_HIGH, "Step-up at HIGH risk", "What a HIGH-risk sign-in must do.", "allow",
                            "second-proof", "email-link", "refuse"),
                    choice(MfaSettings.STEP_UP_MEDIUM, "Step-up at MEDIUM risk", "What a MEDIUM-risk sign-in must do.", "allow",
                            "second-proof", "email-link", "refuse"),
                    choice(MfaSettings.STEP_UP_UNKNOWN_DEVICE, "Step-up on an unknown device", "What a sign-in from a new"
                            + " device must do.", "allow", "second-proof", "email-link", "refuse"));
        }


    }

    /** {@code sentinel-containment}: what happens on its own to an attack's likely break-ins ({@code /incident/containment}). */
    public static final class Containment extends ConsoleTab {
        public Containment() {
            super("sentinel-containment", "Keycloak Sentinel: what happens on its own to the likely break-ins of an attack"
                            + " or a spray.",
                    admin -> admin.incident().containment(), () -> ContainmentSettings.TABLE.toMap(ContainmentSettings.TABLE.defaults()),
                    choice(ContainmentSettings.POLICY, "Containment", "off; notify: mail the owners; contain: also ask a second"
                            + " proof until a new password (needs Sentinel's MFA step in the browser flow).",
                            ContainmentSettings.OFF, ContainmentSettings.NOTIFY, ContainmentSettings.CONTAIN),
                    whole(ContainmentSettings.LOOK_BACK, "Look back (minutes)", "How far before the attack began a sign-in"
                            + " counts as a likely break-in, 1 to 60."));
        }


    }

    /**
     * {@code sentinel-attack}: the realm's attack state and its signals as {@code GET /attack} answers
     * them, a view (nothing to set). The figures are those of the last state change, or of the last
     * time an admin pressed Save in the tab, which reads them again; the time they were read is shown.
     * Live figures, offenders and throttled sources: the REST API and the Grafana dashboard.
     */
    public static final class AttackState extends ConsoleTab {
        static final String NOT_READ = "not read yet: press Save to read it";

        public AttackState() {
            super("sentinel-attack", "Keycloak Sentinel: the realm's attack state (a view; Save reads it again).",
                    admin -> {
                        throw new UnsupportedOperationException("a view: nothing to set");
                    }, AttackState::viewDefaults,
                    text("readAt", "Read at", "When these figures were read: at the last change of state, or when Save"
                            + " was last pressed here. Live: GET /admin/realms/{realm}/sentinel-admin/attack."),
                    text("state", "State", "NORMAL, ELEVATED or UNDER_ATTACK (the same on every node)."),
                    text("since", "Since", "When the realm entered this state."),
                    text("reason", "Reason", "Which signal decided the state."),
                    text("failuresLastMinute", "Failed sign-ins, last minute", "Over the whole cluster."),
                    text("unknownUserShare", "Share for unknown users, last minute", "The share of those failures that"
                            + " named a username that does not exist."),
                    text("baselinePerMinute", "Baseline per minute", "The realm's own average failure rate over 24 hours."),
                    text("failuresLastDay", "Failed sign-ins, last 24 h", "Over the whole cluster."),
                    text("burstFailuresLastTenSeconds", "Failed sign-ins, last 10 s", "The burst rule's signal."),
                    text("newNetworkAccountsLastHour", "Accounts failing from new networks, last hour", "The low-and-slow"
                            + " rule's signal."),
                    text("spraysFlaggedLastHour", "Sprayed passwords flagged, last hour", "Each is refused from networks"
                            + " new to an account for an hour."),
                    text("more", "More", "What the console cannot show."));
        }

        @Override
        boolean showsSettings() {
            return false;
        }

        @Override
        Map<String, Object> current(SentinelAdminResource admin) {
            Map<String, Object> out = new LinkedHashMap<>(defaults());
            out.put("readAt", java.time.Instant.ofEpochMilli(System.currentTimeMillis()).toString());
            jakarta.ws.rs.core.Response answer = admin.attack().status(null, null);
            if (!(answer.getEntity() instanceof AttackResource.Status status)) {
                out.put("state", "unknown: the attack detector is not deployed");
                return out;
            }
            out.put("state", status.state());
            out.put("since", status.since());
            out.put("reason", status.reason());
            AttackResource.Signals signals = status.signals();
            out.put("failuresLastMinute", signals.failuresLastMinute());
            out.put("unknownUserShare", Math.round(signals.unknownUserShare() * 1000) / 1000.0);
            out.put("baselinePerMinute", Math.round(signals.baselinePerMinute() * 1000) / 1000.0);
            out.put("failuresLastDay", signals.failuresLastDay());
            out.put("burstFailuresLastTenSeconds", signals.lastTenSeconds().failures());
            out.put("newNetworkAccountsLastHour", signals.lastHour().newNetworkAccounts());
            out.put("spraysFlaggedLastHour", status.sprays().flaggedLastHour());
            return out;
        }

        /** Whatever was typed, a save only reads the state again. */
        @Override
        public void validateConfiguration(org.keycloak.models.KeycloakSession session, org.keycloak.models.RealmModel realm,
                                          org.keycloak.component.ComponentModel model) {
            if (ConsoleTabs.refreshing(session)) {
                return;
            }
            if (ConsoleTabs.fromComponentsEndpoint(session)) {
                ConsoleTabs.requireFeature();
            }
            model.setConfig(ConsoleTabs.config(ConsoleTabs.form(this,
                    current(new SentinelAdminResource(AdminRequest.consoleSave(session, realm))))));
            model.setName(getId());
        }

        private static Map<String, Object> viewDefaults() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("state", NOT_READ);
            d.put("more", "Offenders and throttled sources: GET .../sentinel-admin/attack/offenders and /attack/throttled;"
                    + " state changes: Events, Admin events (resource type SENTINEL_ATTACK_STATE); live figures: the"
                    + " Grafana dashboard (docs/grafana).");
            return d;
        }
    }

    /** Every tab, in the order the console lists them. */
    static List<ConsoleTab> all() {
        return List.of(new AttackState(), new Detection(), new Captcha(), new BreachedPasswords(), new DeviceAlerts(), new AdminAlerts(), new Mfa(),
                new Containment());
    }
}
