package io.keycloaksentinel.admin;

import io.keycloaksentinel.admin.MfaResource.Compliance;
import io.keycloaksentinel.admin.MfaResource.Flows;
import io.keycloaksentinel.admin.MfaResource.UserStanding;
import io.keycloaksentinel.authenticators.mfa.MfaPolicyEvaluator;
import io.keycloaksentinel.authenticators.mfa.MfaStatus;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.keycloak.authentication.Authenticator;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * The admin side of the enforced-MFA policy: the settings with what in them does not resolve, the
 * compliance count (published as {@code sentinel_mfa_users{realm,state}}), one user's standing, and
 * the ready-made browser and reset-credentials flows.
 */
final class MfaAdmin {

    static final String BROWSER_FLOW = "sentinel mfa browser";
    static final String RESET_FLOW = "sentinel mfa reset credentials";
    static final String GRANT_FLOW = "sentinel mfa direct grant";
    private static final String MFA_STEP = "sentinel-mfa";
    /** Keycloak's second-factor forms, asked in this order (the others through "Try another way"). */
    private static final List<String> FACTOR_FORMS = List.of("auth-otp-form", "webauthn-authenticator",
            "webauthn-authenticator-passwordless", "auth-recovery-authn-code-form");
    private static final Map<String, Map<MfaStatus.State, AtomicLong>> GAUGES = new ConcurrentHashMap<>();

    private final KeycloakSession session;
    private final RealmModel realm;

    MfaAdmin(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    MfaSettings settings() {
        return MfaSettings.read(realm::getAttribute);
    }

    /**
     * An update with each {@code user:name} exemption pinned to that account ({@code user_id:<id>}),
     * so that a renamed or a new account of the same name never inherits it; a name that matches no
     * account is left as typed (the check then names it).
     */
    Map<String, Object> pinUsers(Map<String, Object> update) {
        if (update == null || !(update.get(MfaSettings.EXEMPT) instanceof List<?> entries)
                || entries.size() > MfaSettings.MAX_ENTRIES) {
            return update; // too long a list is refused as it is, without a lookup per entry
        }
        List<Object> pinned = new ArrayList<>();
        for (Object entry : entries) {
            String text = entry instanceof String t ? t.strip() : null;
            if (text != null && text.toLowerCase(Locale.ROOT).startsWith("user:") && text.length() > 5) {
                UserModel user = session.users().getUserByUsername(realm, text.substring(5).strip());
                pinned.add(user == null ? entry : MfaSettings.ScopeKind.USER_ID.value() + ":" + user.getId());
            } else {
                pinned.add(entry);
            }
        }
        Map<String, Object> copy = new LinkedHashMap<>(update);
        copy.put(MfaSettings.EXEMPT, pinned);
        return copy;
    }

    /** The stored exemptions as an admin reads them: a pinned account by its current name ({@code user:name}). */
    private List<String> shownExemptions(MfaSettings s) {
        List<String> shown = new ArrayList<>();
        for (MfaSettings.Exemption e : s.exempt()) {
            UserModel user = e.kind() == MfaSettings.ScopeKind.USER_ID ? session.users().getUserById(realm, e.name()) : null;
            shown.add(user == null ? e.text() : "user:" + user.getUsername());
        }
        return shown;
    }

    Map<String, Object> body() {
        MfaSettings s = settings();
        Map<String, Object> body = new LinkedHashMap<>(s.toMap());
        body.put(MfaSettings.EXEMPT, shownExemptions(s));
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, s, true);
        List<String> problems = new ArrayList<>(policy.problems());
        problems.addAll(MfaSettings.problems(realm::getAttribute));
        for (MfaSettings.Exemption e : s.exempt()) {
            if (e.kind() == MfaSettings.ScopeKind.USER) {
                problems.add("exemption '" + e.text() + "' is matched by name (saved before exemptions were pinned to"
                        + " accounts): save the exemptions again to pin it to the account");
            }
        }
        body.put("policyStart", s.active() || realm.getAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE) != null
                ? Instant.ofEpochMilli(policy.policyStart()).toString() : null);
        body.put("problems", problems);
        return body;
    }

    /**
     * Checks that the names an update brings (scopes, exemptions) exist in the realm.
     *
     * @throws IllegalArgumentException naming the first one that does not
     */
    void checkNames(Map<String, Object> update, Map<String, String> values) {
        Function<String, String> merged = name -> {
            if (name.startsWith(MfaSettings.PREFIX) && values.containsKey(name.substring(MfaSettings.PREFIX.length()))) {
                return values.get(name.substring(MfaSettings.PREFIX.length()));
            }
            return realm.getAttribute(name);
        };
        MfaSettings after = MfaSettings.read(merged);
        for (String problem : new MfaPolicyEvaluator(session, realm, after, true).problems()) {
            if ((problem.startsWith("scope") && update.containsKey(MfaSettings.SCOPES))
                    || (problem.startsWith("exemption") && update.containsKey(MfaSettings.EXEMPT))) {
                throw new IllegalArgumentException(problem);
            }
        }
    }

    /** After an update: a policy turned on without a grace start begins now. */
    void afterUpdate() {
        if (settings().active() && realm.getAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE) == null) {
            realm.setAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(System.currentTimeMillis()));
        }
    }

    /**
     * Counts the realm's users by standing (service accounts left out), scanning at most
     * {@code max}; lists up to {@code listMax} of those in {@code list} (a state, or null).
     */
    Compliance compliance(int max, String list, int listMax) {
        MfaSettings s = settings();
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, s, true);
        Map<MfaStatus.State, Long> counts = new EnumMap<>(MfaStatus.State.class);
        for (MfaStatus.State st : MfaStatus.State.values()) {
            counts.put(st, 0L);
        }
        MfaStatus.State wanted = list == null ? null : MfaStatus.State.valueOf(list.toUpperCase(Locale.ROOT));
        List<UserStanding> listed = new ArrayList<>();
        long now = System.currentTimeMillis();
        int scanned = 0;
        boolean truncated = false;
        int page = 500;
        for (int first = 0; ; first += page) {
            List<UserModel> batch = session.users().searchForUserStream(realm,
                    Map.of(UserModel.INCLUDE_SERVICE_ACCOUNT, "false"), first, page).toList();
            for (UserModel user : batch) {
                if (scanned >= max) {
                    truncated = true;
                    break;
                }
                scanned++;
                MfaStatus status = policy.status(user, now);
                counts.merge(status.state(), 1L, Long::sum);
                if (status.state() == wanted && listed.size() < listMax) {
                    listed.add(standing(user, status));
                }
            }
            if (truncated || batch.size() < page) {
                break;
            }
        }
        publish(counts);
        long enrolled = counts.get(MfaStatus.State.ENROLLED);
        long inGrace = counts.get(MfaStatus.State.IN_GRACE);
        long overdue = counts.get(MfaStatus.State.OVERDUE);
        return new Compliance(s.mode().value(), enrolled + inGrace + overdue, enrolled, inGrace, overdue,
                counts.get(MfaStatus.State.EXEMPT), counts.get(MfaStatus.State.NOT_COVERED), scanned, truncated,
                policy.problems(), wanted != null ? listed : null);
    }

    UserStanding user(UserModel user) {
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, settings());
        return standing(user, policy.status(user));
    }

    private static UserStanding standing(UserModel user, MfaStatus status) {
        boolean grace = status.state() == MfaStatus.State.IN_GRACE || status.state() == MfaStatus.State.OVERDUE;
        return new UserStanding(user.getId(), user.getUsername(), status.state().name().toLowerCase(Locale.ROOT),
                status.scopes().stream().map(MfaSettings.Scope::text).toList(),
                MfaPolicyEvaluator.factorsOf(user, EnumSet.allOf(MfaSettings.Factor.class)).stream()
                        .map(MfaSettings.Factor::value).toList(),
                grace ? Instant.ofEpochMilli(status.graceEndsAt()).toString() : null,
                grace ? status.daysLeft() : null,
                grace && status.loginLimited() ? status.loginsLeft() : null);
    }

    /** A new grace for one user, from now, with no skips used. */
    void newGrace(UserModel user) {
        user.setSingleAttribute(MfaPolicyEvaluator.ATTR_GRACE_FROM, Long.toString(System.currentTimeMillis()));
        user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, "0");
    }

    private void publish(Map<MfaStatus.State, Long> counts) {
        Map<MfaStatus.State, AtomicLong> gauges = GAUGES.computeIfAbsent(realm.getName(), name -> {
            Map<MfaStatus.State, AtomicLong> m = new EnumMap<>(MfaStatus.State.class);
            for (MfaStatus.State st : MfaStatus.State.values()) {
                AtomicLong v = new AtomicLong();
                m.put(st, v);
                Gauge.builder("sentinel_mfa_users", v, AtomicLong::doubleValue)
                        .description("Users by MFA standing at the last compliance count (admin REST .../mfa/compliance)")
                        .tag("realm", name).tag("state", st.name().toLowerCase(Locale.ROOT))
                        .register(Metrics.globalRegistry);
            }
            return m;
        });
        counts.forEach((st, n) -> gauges.get(st).set(n));
    }

    /**
     * Creates Sentinel's browser, reset-credentials and direct grant flows if they are missing, and
     * binds them when asked. Existing flows of those names are left as they are.
     */
    Flows flows(boolean bind) {
        FlowBuilder builder = new FlowBuilder(realm);
        FlowBuilder.Ensured browser = builder.ensure(BROWSER_FLOW,
                "Sentinel: cookie, or the Sentinel login form, the user's second factor, then the MFA policy", flow -> {
                    builder.step(flow, "auth-cookie", Requirement.ALTERNATIVE);
                    builder.step(flow, "identity-provider-redirector", Requirement.ALTERNATIVE);
                    AuthenticationFlowModel forms = builder.subflow(flow, BROWSER_FLOW + " forms", Requirement.ALTERNATIVE);
                    builder.step(forms, "sentinel-login-form", Requirement.REQUIRED);
                    secondFactor(builder, forms, BROWSER_FLOW + " second factor");
                    builder.step(forms, MFA_STEP, Requirement.REQUIRED);
                });
        FlowBuilder.Ensured reset = builder.ensure(RESET_FLOW,
                "Sentinel: reset by email, then the user's second factor before the new password", flow -> {
                    builder.step(flow, "sentinel-reset-choose-user", Requirement.REQUIRED);
                    builder.step(flow, "sentinel-reset-credential-email", Requirement.REQUIRED);
                    secondFactor(builder, flow, RESET_FLOW + " second factor");
                    builder.step(flow, "reset-password", Requirement.REQUIRED);
                    builder.step(flow, MFA_STEP, Requirement.REQUIRED);
                });
        FlowBuilder.Ensured grant = builder.ensure(GRANT_FLOW,
                "Sentinel: the password grant with the user's OTP (totp parameter), then the MFA policy", flow -> {
                    builder.step(flow, "direct-grant-validate-username", Requirement.REQUIRED);
                    builder.step(flow, "direct-grant-validate-password", Requirement.REQUIRED);
                    AuthenticationFlowModel otp = builder.subflow(flow, GRANT_FLOW + " otp", Requirement.CONDITIONAL);
                    builder.step(otp, "conditional-user-configured", Requirement.REQUIRED);
                    builder.step(otp, "direct-grant-validate-otp", Requirement.REQUIRED);
                    builder.step(flow, MFA_STEP, Requirement.REQUIRED);
                });
        if (bind) {
            realm.setBrowserFlow(browser.flow());
            realm.setResetCredentialsFlow(reset.flow());
            realm.setDirectGrantFlow(grant.flow());
        }
        // whichever flows are bound: do they run the MFA step at all?
        return new Flows(browser.created(), reset.created(), grant.created(), BROWSER_FLOW, RESET_FLOW,
                builder.hasRequiredStep(realm.getBrowserFlow(), MFA_STEP),
                builder.hasRequiredStep(realm.getResetCredentialsFlow(), MFA_STEP),
                builder.hasRequiredStep(realm.getDirectGrantFlow(), MFA_STEP), GRANT_FLOW,
                browser.isBound(realm.getBrowserFlow()) && reset.isBound(realm.getResetCredentialsFlow())
                        && grant.isBound(realm.getDirectGrantFlow()));
    }

    private void secondFactor(FlowBuilder builder, AuthenticationFlowModel parent, String alias) {
        AuthenticationFlowModel sub = builder.subflow(parent, alias, Requirement.CONDITIONAL);
        builder.step(sub, "conditional-user-configured", Requirement.REQUIRED);
        for (String form : FACTOR_FORMS) {
            if (session.getKeycloakSessionFactory().getProviderFactory(Authenticator.class, form) != null) {
                builder.step(sub, form, Requirement.ALTERNATIVE);
            }
        }
    }
}
