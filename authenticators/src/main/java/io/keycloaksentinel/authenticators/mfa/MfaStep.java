package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.core.mfa.MfaPolicyEvaluator;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.EnrollmentProof;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import io.keycloaksentinel.core.mfa.MfaStatus;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.Authenticator;
import org.keycloak.common.util.Time;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RequiredActionProviderModel;
import org.keycloak.models.UserModel;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * "Sentinel MFA enforcement": runs after the password and after the flow's second-factor sub-flow
 * (Keycloak's own OTP, WebAuthn, passkey and recovery-code forms, asked of every user who has one).
 * It enforces the realm's policy: a covered user with an allowed factor must have used it in this
 * flow; a covered user without one is shown the grace (days and logins left, may skip) or, after it,
 * must choose a factor to enroll before any token is issued (Keycloak's own required actions). A
 * first enrollment on a risky login (unknown device, realm under attack, breached password) needs the
 * verified email first. Risk-based step-up: a risky login of a user without a factor must prove the
 * email with a one-time code, or is refused, as the realm configured.
 */
final class MfaStep implements Authenticator {

    static final String STAGE = "sentinel.mfa.stage";
    static final String CHOSEN = "sentinel.mfa.chosen";
    static final String STAGE_CHOOSE = "choose";
    static final String STAGE_EMAIL_ENROLL = "email-enroll";
    static final String STAGE_EMAIL_STEP_UP = "email-step-up";
    static final String STAGE_EMAIL_SKIP = "email-skip";
    static final String STAGE_REFUSED = "refused";
    static final String EVENT_DETAIL = "sentinel_mfa";
    private static final EmailCode CODE = new EmailCode("sentinel.mfa.");
    private static final Logger LOG = Logger.getLogger(MfaStep.class);
    private static final Set<Factor> ALL = EnumSet.allOf(Factor.class);

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        String stage = stage(context);
        if (stage != null) {
            render(context, stage, null, null); // a reload
            return;
        }
        decide(context);
    }

    private void decide(AuthenticationFlowContext context) {
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        MfaSettings settings = MfaFlow.settings(context);
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(context.getSession(), realm, settings);
        remember(realm, settings);
        MfaFlow.Risk risk = MfaFlow.risk(context, settings);
        if (MfaFlow.directGrant(context)) {
            directGrant(context, settings, statusWithOwnGrace(policy, user), risk);
            return;
        }
        if (risk.action() == StepUpAction.REFUSE) {
            refuse(context, "sentinel_step_up_refused", "sentinelMfaStepUpRefused");
            MfaFlow.count(realm, "step_up_refused");
            return;
        }
        boolean anyFactorUsed = MfaFlow.factorCompleted(context, ALL);
        boolean hasAnyFactor = !MfaPolicyEvaluator.factorsOf(user, ALL).isEmpty();
        MfaStatus status = statusWithOwnGrace(policy, user);
        boolean enforce = settings.mode() == MfaSettings.Mode.ENFORCE;
        if (status.covered() && settings.mode() == MfaSettings.Mode.MONITOR) {
            if (status.state() != MfaStatus.State.ENROLLED) {
                LOG.infof("Sentinel (MFA monitoring only): user %s of realm '%s' is %s", user.getId(), realm.getName(),
                        status.state());
                MfaFlow.count(realm, "monitored_" + status.state().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        if ((MfaFlow.resetFlow(context) || risk.action() == StepUpAction.SECOND_PROOF) && hasAnyFactor && !anyFactorUsed) {
            // the user has a factor, but this flow did not ask for it: refuse rather than let a
            // reset or a risky login through on the password (or the email link) alone
            flowIncomplete(context);
            return;
        }
        if (enforce && status.state() == MfaStatus.State.ENROLLED) {
            if (!MfaFlow.factorCompleted(context, settings.factors())) {
                flowIncomplete(context);
                return;
            }
            MfaFlow.count(realm, "second_factor");
            context.success();
            return;
        }
        if (enforce && (status.state() == MfaStatus.State.IN_GRACE || status.state() == MfaStatus.State.OVERDUE)) {
            if (enrollable(realm, settings).isEmpty()) {
                LOG.errorf("Sentinel: the MFA policy of realm '%s' allows %s, but none of their required actions is enabled: "
                        + "user %s cannot enroll", realm.getName(), settings.factors(), user.getId());
                if (status.state() == MfaStatus.State.OVERDUE) {
                    refuse(context, "sentinel_mfa_cannot_enroll", "sentinelMfaCannotEnroll");
                    return;
                }
            }
            setStage(context, STAGE_CHOOSE);
            render(context, STAGE_CHOOSE, null, null);
            return;
        }
        if (risk.action() == StepUpAction.SECOND_PROOF && !anyFactorUsed) {
            startEmail(context, STAGE_EMAIL_STEP_UP);
            return;
        }
        markOutside(policy, user, status);
        context.success();
    }

    /**
     * The password grant has no pages: a second factor is only what the flow's own OTP step
     * ({@code direct-grant-validate-otp}, the {@code totp} parameter) checked; nothing can be
     * enrolled and no email code asked. So: a covered user with an allowed factor needs it checked,
     * an overdue one is refused, one in grace passes; a step-up that asks for a second proof is
     * refused unless the flow checked a factor.
     */
    private void directGrant(AuthenticationFlowContext context, MfaSettings settings, MfaStatus status, MfaFlow.Risk risk) {
        boolean enforce = settings.mode() == MfaSettings.Mode.ENFORCE;
        String error = null;
        if (risk.action() == StepUpAction.REFUSE) {
            error = "sentinel_step_up_refused";
        } else if (risk.action() == StepUpAction.SECOND_PROOF && !MfaFlow.factorCompleted(context, ALL)) {
            error = "sentinel_step_up_needs_browser";
        } else if (enforce && status.state() == MfaStatus.State.ENROLLED
                && !MfaFlow.factorCompleted(context, settings.factors())) {
            error = "sentinel_mfa_second_factor_required";
        } else if (enforce && status.state() == MfaStatus.State.OVERDUE) {
            error = "sentinel_mfa_enrollment_required";
        }
        if (error == null) {
            if (enforce && status.state() == MfaStatus.State.IN_GRACE && status.loginLimited()) {
                // a password grant in the grace uses one of the skips, as "Not now" does
                UserModel user = context.getUser();
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, Integer.toString(MfaPolicyEvaluator.skips(user) + 1));
            }
            MfaFlow.count(context.getRealm(), "direct_grant_allowed");
            context.success();
            return;
        }
        MfaFlow.count(context.getRealm(), "direct_grant_refused");
        // the password was right: the answer must not say so (a bot compares answers); the owner is told
        context.getEvent().detail(EVENT_DETAIL, error);
        io.keycloaksentinel.authenticators.guard.GrantAnswers.refuseVerifiedPassword(context, context.getUser(), error);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        String stage = stage(context);
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        if (stage == null) {
            decide(context);
            return;
        }
        switch (stage) {
            case STAGE_CHOOSE -> choose(context, form);
            case STAGE_EMAIL_ENROLL, STAGE_EMAIL_STEP_UP, STAGE_EMAIL_SKIP -> email(context, stage, form);
            default -> render(context, stage, null, null);
        }
    }

    private void choose(AuthenticationFlowContext context, MultivaluedMap<String, String> form) {
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        MfaSettings settings = MfaFlow.settings(context);
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(context.getSession(), realm, settings);
        MfaStatus status = statusWithOwnGrace(policy, user);
        MfaFlow.Risk risk = MfaFlow.risk(context, settings);
        if (form.containsKey("skip")) {
            if (status.state() != MfaStatus.State.IN_GRACE) {
                render(context, STAGE_CHOOSE, "sentinelMfaGraceOver", null);
                return;
            }
            // a risky login proves the email before "Not now" too: a session from it could enroll
            // through the account console (an application-initiated action) without this step
            if (riskyEnrollment(settings, risk, user) || risk.action() == StepUpAction.SECOND_PROOF) {
                if (!EmailCode.possible(user)) {
                    refuse(context, "sentinel_step_up_no_email", "sentinelMfaStepUpNoEmail");
                    return;
                }
                startEmail(context, STAGE_EMAIL_SKIP);
                return;
            }
            skipped(context);
            return;
        }
        String chosen = form.getFirst("factor");
        Factor factor = enrollable(realm, settings).stream().filter(f -> f.value().equals(chosen)).findFirst().orElse(null);
        if (factor == null) {
            render(context, STAGE_CHOOSE, "sentinelMfaChooseFactor", null);
            return;
        }
        context.getAuthenticationSession().setAuthNote(CHOSEN, factor.value());
        if (riskyEnrollment(settings, risk, user) || risk.action() == StepUpAction.SECOND_PROOF) {
            if (!EmailCode.possible(user)) {
                context.getEvent().detail(EVENT_DETAIL, "enroll_no_email");
                render(context, STAGE_CHOOSE, "sentinelMfaEnrollNoEmail", null);
                return;
            }
            startEmail(context, STAGE_EMAIL_ENROLL);
            return;
        }
        enroll(context, factor);
    }

    /**
     * Whether a first enrollment from this login needs the emailed code: an unknown device (only
     * Sentinel's cookie counts here, not a look-alike browser on the same network), a risky
     * request, or a password flagged as breached.
     */
    private static boolean riskyEnrollment(MfaSettings settings, MfaFlow.Risk risk, UserModel user) {
        return switch (settings.enrollmentProof()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case RISKY -> !risk.deviceByCookie() || risk.level() != io.keycloaksentinel.core.risk.RiskLevel.LOW
                    || "true".equals(user.getFirstAttribute(io.keycloaksentinel.authenticators.breach.BreachedLoginCheck.ATTR_FLAGGED));
        };
    }

    /** "Not now" during the grace: one skip used, the login goes on. */
    private void skipped(AuthenticationFlowContext context) {
        UserModel user = context.getUser();
        user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, Integer.toString(MfaPolicyEvaluator.skips(user) + 1));
        context.getEvent().detail(EVENT_DETAIL, "grace_skip");
        MfaFlow.count(context.getRealm(), "grace_skip");
        clearStage(context);
        context.success();
    }

    private void email(AuthenticationFlowContext context, String stage, MultivaluedMap<String, String> form) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        if (form.containsKey("resend")) {
            if (!CODE.mayResend(auth)) {
                render(context, stage, "sentinelBreachCodeInvalid", null);
            } else if (!CODE.send(context, "sentinelMfaCodeSubject", "sentinelMfaCodeBody")) {
                render(context, stage, "sentinelBreachCodeNotSent", null);
            } else {
                render(context, stage, null, "sentinelBreachCodeSent");
            }
            return;
        }
        if (CODE.matches(context, form.getFirst("code"))) {
            CODE.clear(auth);
            context.getEvent().detail(EVENT_DETAIL, "email_proved");
            MfaFlow.count(context.getRealm(), stage.equals(STAGE_EMAIL_STEP_UP) ? "step_up_email_proved" : "enroll_email_proved");
            if (stage.equals(STAGE_EMAIL_ENROLL)) {
                Factor factor = Factor.of(auth.getAuthNote(CHOSEN));
                enroll(context, factor);
                return;
            }
            if (stage.equals(STAGE_EMAIL_SKIP)) {
                skipped(context);
                return;
            }
            clearStage(context);
            context.success();
            return;
        }
        context.getEvent().detail(EVENT_DETAIL, "email_code_failed");
        if (CODE.failedAttempt(auth)) {
            CODE.clear(auth);
            setStage(context, STAGE_REFUSED);
            auth.setAuthNote(STAGE_REFUSED, "sentinelBreachProofFailed");
            context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                    context.form().setError("sentinelBreachProofFailed").createErrorPage(Response.Status.UNAUTHORIZED));
            return;
        }
        // every wrong guess is a failure for Keycloak's brute-force protection
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS, page(context, stage, "sentinelBreachCodeInvalid", null));
    }

    private void enroll(AuthenticationFlowContext context, Factor factor) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        clearStage(context);
        auth.removeAuthNote(CHOSEN);
        // Keycloak's own setup page runs before any code or token is issued; it belongs to this login only
        auth.addRequiredAction(factor.requiredAction());
        context.getEvent().detail(EVENT_DETAIL, "enroll_" + factor.value());
        MfaFlow.count(context.getRealm(), "enroll_started");
        context.success();
    }

    private void startEmail(AuthenticationFlowContext context, String stage) {
        UserModel user = context.getUser();
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        if (!EmailCode.possible(user)) {
            refuse(context, "sentinel_step_up_no_email", "sentinelMfaStepUpNoEmail");
            return;
        }
        CODE.clear(auth);
        setStage(context, stage);
        if (!CODE.send(context, "sentinelMfaCodeSubject", "sentinelMfaCodeBody")) {
            clearStage(context);
            refuse(context, "sentinel_mfa_code_not_sent", "sentinelBreachCodeNotSent");
            return;
        }
        MfaFlow.count(context.getRealm(), stage.equals(STAGE_EMAIL_STEP_UP) ? "step_up_email_sent" : "enroll_email_sent");
        render(context, stage, null, null);
    }

    /** Refuses this login with a message page; the user starts over. Not a brute-force failure: the password was right. */
    private void refuse(AuthenticationFlowContext context, String error, String message) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        setStage(context, STAGE_REFUSED);
        auth.setAuthNote(STAGE_REFUSED, message);
        context.getEvent().detail(EVENT_DETAIL, error).error(error);
        context.challenge(context.form().setError(message).createErrorPage(Response.Status.FORBIDDEN));
    }

    private void flowIncomplete(AuthenticationFlowContext context) {
        LOG.errorf("Sentinel: user %s of realm '%s' has a second factor that the login flow did not ask for; refused. "
                        + "Put a conditional second-factor sub-flow (Keycloak's OTP / WebAuthn forms) before sentinel-mfa, "
                        + "or create the ready flows with POST .../sentinel-admin/mfa/flows",
                context.getUser().getId(), context.getRealm().getName());
        MfaFlow.count(context.getRealm(), "flow_incomplete");
        refuse(context, "sentinel_mfa_flow_incomplete", "sentinelMfaFlowIncomplete");
    }

    private void render(AuthenticationFlowContext context, String stage, String error, String info) {
        context.challenge(page(context, stage, error, info));
    }

    private Response page(AuthenticationFlowContext context, String stage, String error, String info) {
        LoginFormsProvider form = context.form();
        if (error != null) {
            form.setError(error);
        } else if (info != null) {
            form.setInfo(info);
        }
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        switch (stage) {
            case STAGE_EMAIL_ENROLL, STAGE_EMAIL_STEP_UP, STAGE_EMAIL_SKIP -> {
                return form.setAttribute("sentinelCodeTitle", "sentinelMfaCodeTitle")
                        .setAttribute("sentinelCodeInfo", stage.equals(STAGE_EMAIL_STEP_UP) ? "sentinelMfaStepUpCodeInfo"
                                : stage.equals(STAGE_EMAIL_SKIP) ? "sentinelMfaSkipCodeInfo" : "sentinelMfaEnrollCodeInfo")
                        .createForm(EmailCode.TEMPLATE);
            }
            case STAGE_CHOOSE -> {
                MfaSettings settings = MfaFlow.settings(context);
                MfaStatus status = statusWithOwnGrace(new MfaPolicyEvaluator(context.getSession(), context.getRealm(), settings),
                        context.getUser());
                Map<String, Object> mfa = new LinkedHashMap<>();
                mfa.put("inGrace", status.state() == MfaStatus.State.IN_GRACE);
                mfa.put("daysLeft", status.daysLeft());
                mfa.put("loginLimited", status.loginLimited());
                mfa.put("loginsLeft", status.loginLimited() ? status.loginsLeft() : 0);
                mfa.put("deadline", DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.ofEpochMilli(status.graceEndsAt())
                        .atZone(ZoneOffset.UTC)));
                List<String> factors = new ArrayList<>();
                enrollable(context.getRealm(), settings).forEach(f -> factors.add(f.value()));
                mfa.put("factors", factors);
                return form.setAttribute("sentinelMfa", mfa).createForm("sentinel-mfa-enroll.ftl");
            }
            default -> {
                String message = auth.getAuthNote(STAGE_REFUSED);
                return form.setError(message == null ? "sentinelMfaFlowIncomplete" : message)
                        .createErrorPage(Response.Status.FORBIDDEN);
            }
        }
    }

    /**
     * This step's stage in this login, for this flow only: an authentication session keeps its
     * notes when the user goes from the login to "forgot password", and a stage begun in one flow
     * must not stand in another.
     */
    private static String stage(AuthenticationFlowContext context) {
        String note = context.getAuthenticationSession().getAuthNote(STAGE);
        String prefix = flowKey(context) + "|";
        return note != null && note.startsWith(prefix) ? note.substring(prefix.length()) : null;
    }

    private static void setStage(AuthenticationFlowContext context, String stage) {
        context.getAuthenticationSession().setAuthNote(STAGE, flowKey(context) + "|" + stage);
    }

    private static void clearStage(AuthenticationFlowContext context) {
        context.getAuthenticationSession().removeAuthNote(STAGE);
    }

    private static String flowKey(AuthenticationFlowContext context) {
        return (context.getTopLevelFlow() == null ? "-" : context.getTopLevelFlow().getId()) + "|"
                + (context.getUser() == null ? "-" : context.getUser().getId());
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

    /**
     * The user's status; a user who was seen outside every scope after the policy began and is now
     * in one gets a grace of their own from this login.
     */
    private static MfaStatus statusWithOwnGrace(MfaPolicyEvaluator policy, UserModel user) {
        MfaStatus status = policy.status(user);
        if (status.covered() && status.state() != MfaStatus.State.ENROLLED
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_GRACE_FROM) == null
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE) != null) {
            try {
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_GRACE_FROM, Long.toString(Time.currentTimeMillis()));
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, "0");
                status = policy.status(user);
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not start an MFA grace for user %s: %s", user.getId(), e.toString());
            }
        }
        return status;
    }

    /** Remembers that the user signed in outside every scope while the policy was on (see above). */
    private static void markOutside(MfaPolicyEvaluator policy, UserModel user, MfaStatus status) {
        if (policy.policy().active() && status.state() == MfaStatus.State.NOT_COVERED
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE) == null
                && Time.currentTimeMillis() >= policy.policyStart()) {
            try {
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE, Long.toString(Time.currentTimeMillis()));
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not mark user %s: %s", user.getId(), e.toString());
            }
        }
    }

    /**
     * Realm attributes the policy needs and a step's config alone cannot set: when the policy first
     * ran (its default grace start), and whether the listener must keep device history.
     */
    private static void remember(RealmModel realm, MfaSettings settings) {
        if (settings.active() && realm.getAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE) == null) {
            realm.setAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(Time.currentTimeMillis()));
        }
        if (settings.needsDevices() && realm.getAttribute(MfaSettings.TRACK_DEVICES) == null) {
            realm.setAttribute(MfaSettings.TRACK_DEVICES, "true");
        }
    }

    @Override
    public boolean requiresUser() {
        return true;
    }

    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return true;
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
        // enrollment is chosen on this step's page, per login
    }

    @Override
    public void close() {
    }
}
