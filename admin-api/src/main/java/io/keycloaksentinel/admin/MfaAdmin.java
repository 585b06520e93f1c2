package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.mfa.MfaPolicyEvaluator;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.keycloak.authentication.Authenticator;
import org.keycloak.models.AuthenticationExecutionModel;
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

    Map<String, Object> body() {
        MfaSettings s = settings();
        Map<String, Object> body = new LinkedHashMap<>(s.toMap());
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, s, true);
        List<String> problems = new ArrayList<>(policy.problems());
        problems.addAll(MfaSettings.problems(realm::getAttribute));
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
    Map<String, Object> compliance(int max, String list, int listMax) {
        MfaSettings s = settings();
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, s, true);
        Map<MfaStatus.State, Long> counts = new EnumMap<>(MfaStatus.State.class);
        for (MfaStatus.State st : MfaStatus.State.values()) {
            counts.put(st, 0L);
        }
        MfaStatus.State wanted = list == null ? null : MfaStatus.State.valueOf(list.toUpperCase(Locale.ROOT));
        List<Map<String, Object>> listed = new ArrayList<>();
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
                    listed.add(userBody(user, status));
                }
            }
            if (truncated || batch.size() < page) {
                break;
            }
        }
        publish(counts);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("policy", s.mode().value());
        body.put("covered", counts.get(MfaStatus.State.ENROLLED) + counts.get(MfaStatus.State.IN_GRACE)
                + counts.get(MfaStatus.State.OVERDUE));
        body.put("enrolled", counts.get(MfaStatus.State.ENROLLED));
        body.put("inGrace", counts.get(MfaStatus.State.IN_GRACE));
        body.put("overdue", counts.get(MfaStatus.State.OVERDUE));
        body.put("exempt", counts.get(MfaStatus.State.EXEMPT));
        body.put("notCovered", counts.get(MfaStatus.State.NOT_COVERED));
        body.put("scanned", scanned);
        body.put("truncated", truncated);
        body.put("problems", policy.problems());
        if (wanted != null) {
            body.put("users", listed);
        }
        return body;
    }

    Map<String, Object> user(UserModel user) {
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, settings());
        return userBody(user, policy.status(user));
    }

    private Map<String, Object> userBody(UserModel user, MfaStatus status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", user.getId());
        m.put("username", user.getUsername());
        m.put("state", status.state().name().toLowerCase(Locale.ROOT));
        m.put("scopes", status.scopes().stream().map(MfaSettings.Scope::text).toList());
        m.put("factors", MfaPolicyEvaluator.factorsOf(user, java.util.EnumSet.allOf(MfaSettings.Factor.class)).stream()
                .map(MfaSettings.Factor::value).toList());
        if (status.state() == MfaStatus.State.IN_GRACE || status.state() == MfaStatus.State.OVERDUE) {
            m.put("graceEndsAt", Instant.ofEpochMilli(status.graceEndsAt()).toString());
            m.put("daysLeft", status.daysLeft());
            m.put("loginsLeft", status.loginLimited() ? status.loginsLeft() : null);
        }
        return m;
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
     * Creates Sentinel's browser and reset-credentials flows if they are missing, and binds them
     * when asked. Existing flows of those names are left as they are.
     */
    Map<String, Object> flows(boolean bind) {
        FlowBuilder builder = new FlowBuilder(realm);
        Map<String, Object> body = new LinkedHashMap<>();
        AuthenticationFlowModel browser = realm.getFlowByAlias(BROWSER_FLOW);
        body.put("browserFlowCreated", browser == null);
        if (browser == null) {
            browser = builder.flow(BROWSER_FLOW, "Sentinel: cookie, or the Sentinel login form, the user's second factor, then the MFA policy",
                    true);
            builder.step(browser, "auth-cookie", Requirement.ALTERNATIVE);
            builder.step(browser, "identity-provider-redirector", Requirement.ALTERNATIVE);
            AuthenticationFlowModel forms = builder.subflow(browser, BROWSER_FLOW + " forms", Requirement.ALTERNATIVE);
            builder.step(forms, "sentinel-login-form", Requirement.REQUIRED);
            secondFactor(builder, forms, BROWSER_FLOW + " second factor");
            builder.step(forms, "sentinel-mfa", Requirement.REQUIRED);
        }
        AuthenticationFlowModel reset = realm.getFlowByAlias(RESET_FLOW);
        body.put("resetFlowCreated", reset == null);
        if (reset == null) {
            reset = builder.flow(RESET_FLOW, "Sentinel: reset by email, then the user's second factor before the new password", true);
            builder.step(reset, "sentinel-reset-choose-user", Requirement.REQUIRED);
            builder.step(reset, "sentinel-reset-credential-email", Requirement.REQUIRED);
            secondFactor(builder, reset, RESET_FLOW + " second factor");
            builder.step(reset, "reset-password", Requirement.REQUIRED);
            builder.step(reset, "sentinel-mfa", Requirement.REQUIRED);
        }
        AuthenticationFlowModel grant = realm.getFlowByAlias(GRANT_FLOW);
        body.put("directGrantFlowCreated", grant == null);
        if (grant == null) {
            grant = builder.flow(GRANT_FLOW, "Sentinel: the password grant with the user's OTP (totp parameter), then the MFA policy", true);
            builder.step(grant, "direct-grant-validate-username", Requirement.REQUIRED);
            builder.step(grant, "direct-grant-validate-password", Requirement.REQUIRED);
            AuthenticationFlowModel otp = builder.subflow(grant, GRANT_FLOW + " otp", Requirement.CONDITIONAL);
            builder.step(otp, "conditional-user-configured", Requirement.REQUIRED);
            builder.step(otp, "direct-grant-validate-otp", Requirement.REQUIRED);
            builder.step(grant, "sentinel-mfa", Requirement.REQUIRED);
        }
        if (bind) {
            realm.setBrowserFlow(browser);
            realm.setResetCredentialsFlow(reset);
            realm.setDirectGrantFlow(grant);
        }
        body.put("browserFlow", BROWSER_FLOW);
        body.put("resetFlow", RESET_FLOW);
        // whichever flows are bound: do they run the MFA step at all?
        body.put("boundBrowserFlowHasMfaStep", builder.hasRequiredStep(realm.getBrowserFlow(), "sentinel-mfa"));
        body.put("boundResetFlowHasMfaStep", builder.hasRequiredStep(realm.getResetCredentialsFlow(), "sentinel-mfa"));
        body.put("boundDirectGrantFlowHasMfaStep", builder.hasRequiredStep(realm.getDirectGrantFlow(), "sentinel-mfa"));
        body.put("directGrantFlow", GRANT_FLOW);
        body.put("bound", realm.getBrowserFlow() != null && realm.getBrowserFlow().getId().equals(browser.getId())
                && realm.getResetCredentialsFlow() != null && realm.getResetCredentialsFlow().getId().equals(reset.getId())
                && realm.getDirectGrantFlow() != null && realm.getDirectGrantFlow().getId().equals(grant.getId()));
        return body;
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
