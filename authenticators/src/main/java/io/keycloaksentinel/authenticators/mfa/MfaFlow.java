package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceCookie;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.flow.MfaStepConfig;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import jakarta.ws.rs.core.Cookie;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RequiredActionProviderModel;
import org.keycloak.models.UserModel;
import org.keycloak.sessions.CommonClientSessionModel.ExecutionStatus;

/**
 * What the MFA condition and the MFA step share: the settings in force for this flow (the realm's,
 * with the {@code sentinel-mfa} step's config over them), the login's risk for step-up (worked out
 * once per login and kept in the authentication session, so both steps see the same answer), and
 * whether an allowed second factor was completed in this flow.
 */
final class MfaFlow {

    static final String RISK_NOTE = "sentinel.mfa.risk";
    /** Keycloak's authenticators that check a second factor, by the factor they check. */
    static final Map<String, Factor> FACTOR_AUTHENTICATORS = Map.of(
            "auth-otp-form", Factor.OTP,
            "direct-grant-validate-otp", Factor.OTP,
            "webauthn-authenticator", Factor.WEBAUTHN,
            "webauthn-authenticator-passwordless", Factor.PASSKEY,
            "auth-recovery-authn-code-form", Factor.RECOVERY_CODES);
    private static final Logger LOG = Logger.getLogger(MfaFlow.class);

    private MfaFlow() {
    }

    /** The login's step-up answer and what it was made from. */
    record Risk(StepUpAction action, RiskLevel level, boolean deviceKnown, boolean deviceByCookie, boolean monitoredOnly) {

        String note(String userId) {
            return userId + "|" + action.name() + "|" + level.name() + "|" + deviceKnown + "|" + deviceByCookie + "|" + monitoredOnly;
        }

        static Optional<Risk> parse(String note, String userId) {
            if (note == null) {
                return Optional.empty();
            }
            String[] p = note.split("\\|");
            if (p.length != 6 || !p[0].equals(userId)) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Risk(StepUpAction.valueOf(p[1]), RiskLevel.valueOf(p[2]), Boolean.parseBoolean(p[3]),
                        Boolean.parseBoolean(p[4]), Boolean.parseBoolean(p[5])));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }

    /** The realm's MFA settings with the config of this flow's {@code sentinel-mfa} step over them. */
    static MfaSettings settings(AuthenticationFlowContext context) {
        return MfaStepConfig.settings(context.getRealm(), context.getTopLevelFlow());
    }

    /** The ids of every execution under {@code top}, sub-flows included (bounded depth). */
    static Set<String> executionsUnder(RealmModel realm, AuthenticationFlowModel top) {
        Set<String> ids = new java.util.HashSet<>();
        if (top == null) {
            return ids;
        }
        Deque<String> flows = new ArrayDeque<>();
        flows.add(top.getId());
        for (int guard = 0; !flows.isEmpty() && guard < 64; guard++) {
            realm.getAuthenticationExecutionsStream(flows.poll()).forEach(e -> {
                ids.add(e.getId());
                if (e.isAuthenticatorFlow() && e.getFlowId() != null) {
                    flows.add(e.getFlowId());
                }
            });
        }
        return ids;
    }

    /** Whether this flow is the realm's reset-credentials flow. */
    static boolean resetFlow(AuthenticationFlowContext context) {
        AuthenticationFlowModel reset = context.getRealm().getResetCredentialsFlow();
        AuthenticationFlowModel top = context.getTopLevelFlow();
        return reset != null && top != null && reset.getId().equals(top.getId());
    }

    /** Whether this flow is the realm's direct grant (OAuth password grant) flow: no pages. */
    static boolean directGrant(AuthenticationFlowContext context) {
        AuthenticationFlowModel grant = context.getRealm().getDirectGrantFlow();
        AuthenticationFlowModel top = context.getTopLevelFlow();
        return grant != null && top != null && grant.getId().equals(top.getId());
    }

    /**
     * Whether one of {@code allowed} was checked by one of Keycloak's second-factor steps of this
     * flow in this login (a success in another flow of the same authentication session, e.g. the
     * browser flow before "forgot password", does not count).
     */
    static boolean factorCompleted(AuthenticationFlowContext context, Set<Factor> allowed) {
        RealmModel realm = context.getRealm();
        Set<String> ours = executionsUnder(realm, context.getTopLevelFlow());
        for (Map.Entry<String, ExecutionStatus> e : context.getAuthenticationSession().getExecutionStatus().entrySet()) {
            if (e.getValue() != ExecutionStatus.SUCCESS || !ours.contains(e.getKey())) {
                continue;
            }
            AuthenticationExecutionModel execution = realm.getAuthenticationExecutionById(e.getKey());
            Factor f = execution == null || execution.getAuthenticator() == null ? null
                    : FACTOR_AUTHENTICATORS.get(execution.getAuthenticator());
            if (f != null && allowed.contains(f)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The step-up answer for this login: the detector's risk for the address and username, one
     * level lower on a device the user has signed in from before; HIGH and MEDIUM map to the
     * realm's actions, an unknown device to at least {@code stepUpUnknownDevice}. Worked out once
     * per login and user; without the detector the risk is LOW.
     */
    static Risk risk(AuthenticationFlowContext context, MfaSettings settings) {
        UserModel user = context.getUser();
        Optional<Risk> kept = Risk.parse(context.getAuthenticationSession().getAuthNote(RISK_NOTE), user.getId());
        if (kept.isPresent()) {
            Risk r = kept.get();
            // contained since this login's risk was decided (it waited on a page): the mark applies now
            return r.action() != StepUpAction.REFUSE && !r.action().asksProof()
                    && ContainmentSettings.contained(user, Time.currentTimeMillis())
                    ? new Risk(StepUpAction.SECOND_PROOF, r.level(), r.deviceKnown(), r.deviceByCookie(), r.monitoredOnly()) : r;
        }
        RealmModel realm = context.getRealm();
        RiskLevel level = RiskLevel.LOW;
        boolean known = false;
        boolean byCookie = false;
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            try {
                AttackDetector detector = detection.detector();
                String ip = context.getConnection().getRemoteAddr();
                // the request's one risk decision, for the account whatever name it was typed as
                level = detection.risk().forAccount(realm, user).level();
                Cookie cookie = context.getHttpRequest().getHttpHeaders().getCookies().get(DeviceCookie.NAME);
                DeviceRecognition seen = DeviceRecognition.observe(context.getSession(), realm, detector,
                        cookie == null ? null : cookie.getValue(), ip);
                KnownDevices.Match match = seen.match(DeviceRecognition.devices(user, AlertSettings.read(realm::getAttribute)));
                // only a proven entry's cookie: a look-alike (signals, or the cookie they got) never lowers the risk
                known = match == KnownDevices.Match.COOKIE;
                byCookie = known;
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: MFA risk assessment failed in realm '%s', treating the login as low risk on an unknown device: %s",
                        realm.getName(), e.toString());
            }
        }
        RiskLevel effective = known && level != RiskLevel.LOW ? RiskLevel.values()[level.ordinal() - 1] : level;
        StepUpAction action = StepUpAction.ALLOW;
        if (settings.stepUp() != MfaSettings.Mode.OFF) {
            if (effective == RiskLevel.HIGH) {
                action = settings.stepUpHigh();
            } else if (effective == RiskLevel.MEDIUM) {
                action = settings.stepUpMedium();
            }
            if (!known) {
                action = action.max(settings.stepUpUnknownDevice());
            }
        }
        boolean monitored = false;
        if (settings.stepUp() == MfaSettings.Mode.MONITOR && action != StepUpAction.ALLOW) {
            LOG.infof("Sentinel (step-up monitoring only): would ask %s of user %s in realm '%s' (risk %s, %s device)",
                    action.value(), user.getId(), realm.getName(), level, known ? "known" : "unknown");
            count(realm, "step_up_monitored");
            action = StepUpAction.ALLOW;
            monitored = true;
        }
        if (ContainmentSettings.contained(user, Time.currentTimeMillis())) {
            // the realm's containment policy signed this account out after a likely break-in: whoever knows
            // the password must also prove the mailbox or a second factor (which releases the account)
            action = action.max(StepUpAction.SECOND_PROOF);
            count(realm, "contained_step_up");
        }
        Risk risk = new Risk(action, level, known, byCookie, monitored);
        context.getAuthenticationSession().setAuthNote(RISK_NOTE, risk.note(user.getId()));
        return risk;
    }

    /** The allowed factors whose Keycloak setup action is enabled in the realm, in the policy's order. */
    static List<Factor> enrollable(RealmModel realm, MfaSettings settings) {
        List<Factor> out = new ArrayList<>();
        for (Factor f : settings.factors()) {
            RequiredActionProviderModel action = realm.getRequiredActionProviderByAlias(f.requiredAction());
            if (action != null && action.isEnabled()) {
                out.add(f);
            }
        }
        return out;
    }

    /** Counts an MFA outcome on {@code sentinel_mfa_total{realm,outcome}}. */
    static void count(RealmModel realm, String outcome) {
        Counter.builder("sentinel_mfa_total")
                .description("Sentinel's enforced-MFA and step-up outcomes at login")
                .tag("realm", realm.getName()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }
}
