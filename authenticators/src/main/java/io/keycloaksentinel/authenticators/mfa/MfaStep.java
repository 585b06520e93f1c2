package io.keycloaksentinel.authenticators.mfa;

import static io.keycloaksentinel.authenticators.mfa.MfaPages.EVENT_DETAIL;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.authenticators.breach.BreachedLoginCheck;
import io.keycloaksentinel.authenticators.guard.GrantAnswers;
import io.keycloaksentinel.authenticators.mfa.MfaPages.Stage;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
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

    static final String CHOSEN = "sentinel.mfa.chosen";
    private static final Logger LOG = Logger.getLogger(MfaStep.class);
    private static final Set<Factor> ALL = EnumSet.allOf(Factor.class);

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        Stage stage = MfaPages.stage(context);
        if (stage != null) {
            MfaPages.render(context, stage, null, null); // a reload
            return;
        }
        decide(context);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        Stage stage = MfaPages.stage(context);
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        if (stage == null) {
            decide(context);
        } else if (stage == Stage.CHOOSE) {
            choose(context, form);
        } else if (stage.email()) {
            if (MfaEmailProof.proved(context, stage, form)) {
                proved(context, stage);
            }
        } else {
            MfaPages.render(context, stage, null, null);
        }
    }

    private void decide(AuthenticationFlowContext context) {
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        MfaSettings settings = MfaFlow.settings(context);
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(context.getSession(), realm, settings);
        MfaRealmMarks.remember(realm, settings);
        MfaFlow.Risk risk = MfaFlow.risk(context, settings);
        boolean grant = MfaFlow.directGrant(context);
        // a refused browser login does not read (nor start) the user's grace
        MfaStatus status = grant || risk.action() != StepUpAction.REFUSE ? MfaGrace.status(policy, user) : null;
        MfaDecision.Login login = new MfaDecision.Login(settings.mode(), risk.action(), MfaFlow.resetFlow(context),
                status == null ? null : status.state(), !MfaPolicyEvaluator.factorsOf(user, ALL).isEmpty(),
                MfaFlow.factorCompleted(context, ALL), MfaFlow.factorCompleted(context, settings.factors()),
                !MfaFlow.enrollable(realm, settings).isEmpty());
        if (grant) {
            directGrant(context, login, status);
            return;
        }
        if (MfaFlow.factorCompleted(context, ALL)) {
            secondProof(context); // the user's second factor, asked before this step
        }
        if (status != null && status.covered() && settings.mode() == MfaSettings.Mode.MONITOR
                && status.state() != MfaStatus.State.ENROLLED) {
            LOG.infof("Sentinel (MFA monitoring only): user %s of realm '%s' is %s", user.getId(), realm.getName(),
                    status.state());
            MfaFlow.count(realm, "monitored_" + status.state().name().toLowerCase(Locale.ROOT));
        }
        MfaDecision.Outcome outcome = MfaDecision.browser(login);
        if ((outcome == MfaDecision.Outcome.CHOOSE || outcome == MfaDecision.Outcome.CANNOT_ENROLL) && !login.canEnroll()) {
            LOG.errorf("Sentinel: the MFA policy of realm '%s' allows %s, but none of their required actions is enabled: "
                    + "user %s cannot enroll", realm.getName(), settings.factors(), user.getId());
        }
        switch (outcome) {
            case STEP_UP_REFUSED -> {
                MfaPages.refuse(context, "sentinel_step_up_refused", "sentinelMfaStepUpRefused");
                MfaFlow.count(realm, "step_up_refused");
            }
            case FLOW_INCOMPLETE -> MfaPages.flowIncomplete(context);
            case SECOND_FACTOR -> {
                MfaFlow.count(realm, "second_factor");
                release(context);
                context.success();
            }
            case CANNOT_ENROLL -> MfaPages.refuse(context, "sentinel_mfa_cannot_enroll", "sentinelMfaCannotEnroll");
            case CHOOSE -> {
                MfaPages.setStage(context, Stage.CHOOSE);
                MfaPages.render(context, Stage.CHOOSE, null, null);
            }
            case EMAIL_STEP_UP -> {
                if (EmailLinkStepUp.mailboxProved(context.getAuthenticationSession(), user.getId())) {
                    // the emailed link of this login proved the mailbox already: the code would prove it again
                    MfaFlow.count(realm, "email_link_proved");
                    release(context);
                    context.success();
                } else {
                    MfaEmailProof.start(context, Stage.EMAIL_STEP_UP);
                }
            }
            case PASS -> {
                MfaGrace.markOutside(policy, user, status);
                context.success();
            }
            default -> throw new IllegalStateException(outcome.name());
        }
    }

    /** The password grant: no pages, so a refusal or the login going on ({@link MfaDecision#directGrantRefusal}). */
    private void directGrant(AuthenticationFlowContext context, MfaDecision.Login login, MfaStatus status) {
        Optional<String> error = MfaDecision.directGrantRefusal(login);
        if (error.isEmpty()) {
            if (MfaDecision.directGrantUsesSkip(login, status.loginLimited())) {
                MfaGrace.useSkip(context.getUser()); // a password grant in the grace uses one of the skips, as "Not now" does
            }
            MfaFlow.count(context.getRealm(), "direct_grant_allowed");
            context.success();
            return;
        }
        MfaFlow.count(context.getRealm(), "direct_grant_refused");
        // the password was right: the answer must not say so (a bot compares answers); the owner is told
        context.getEvent().detail(EVENT_DETAIL, error.get());
        GrantAnswers.refuseVerifiedPassword(context, context.getUser(), error.get());
    }

    /** A post of the choice page: "Not now", or a factor to enroll. */
    private void choose(AuthenticationFlowContext context, MultivaluedMap<String, String> form) {
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        MfaSettings settings = MfaFlow.settings(context);
        MfaStatus status = MfaGrace.status(new MfaPolicyEvaluator(context.getSession(), realm, settings), user);
        MfaFlow.Risk risk = MfaFlow.risk(context, settings);
        boolean emailFirst = MfaDecision.emailFirst(settings.enrollmentProof(), risk.action(), risk.deviceByCookie(),
                risk.level(), "true".equals(user.getFirstAttribute(BreachedLoginCheck.ATTR_FLAGGED)));
        if (form.containsKey("skip")) {
            switch (MfaDecision.skip(status.state(), emailFirst, EmailCode.possible(user))) {
                case GRACE_OVER -> MfaPages.render(context, Stage.CHOOSE, "sentinelMfaGraceOver", null);
                case NO_EMAIL -> MfaPages.refuse(context, "sentinel_step_up_no_email", "sentinelMfaStepUpNoEmail");
                case EMAIL_FIRST -> MfaEmailProof.start(context, Stage.EMAIL_SKIP);
                case SKIPPED -> skipped(context);
                default -> throw new IllegalStateException();
            }
            return;
        }
        String chosen = form.getFirst("factor");
        Factor factor = MfaFlow.enrollable(realm, settings).stream().filter(f -> f.value().equals(chosen)).findFirst()
                .orElse(null);
        if (factor == null) {
            MfaPages.render(context, Stage.CHOOSE, "sentinelMfaChooseFactor", null);
            return;
        }
        context.getAuthenticationSession().setAuthNote(CHOSEN, factor.value());
        if (!emailFirst) {
            enroll(context, factor);
        } else if (!EmailCode.possible(user)) {
            context.getEvent().detail(EVENT_DETAIL, "enroll_no_email");
            MfaPages.render(context, Stage.CHOOSE, "sentinelMfaEnrollNoEmail", null);
        } else {
            MfaEmailProof.start(context, Stage.EMAIL_ENROLL);
        }
    }

    /** The emailed code was right: what it was asked for goes on. */
    private void proved(AuthenticationFlowContext context, Stage stage) {
        secondProof(context); // the emailed code proved the mailbox
        if (stage == Stage.EMAIL_ENROLL) {
            enroll(context, Factor.of(context.getAuthenticationSession().getAuthNote(CHOSEN)));
        } else if (stage == Stage.EMAIL_SKIP) {
            skipped(context);
        } else {
            MfaPages.clearStage(context);
            release(context);
            context.success();
        }
    }

    /**
     * A contained account proved a second time: its owner is back, the containment mark goes; when its
     * break-in was made with a sprayed password, the owner chooses a new one now (this login only) and
     * the mark goes with the new password.
     */
    private static void release(AuthenticationFlowContext context) {
        secondProof(context);
        if (ContainmentSettings.untilNewPassword(context.getUser())
                && ContainmentSettings.contained(context.getUser(), org.keycloak.common.util.Time.currentTimeMillis())) {
            context.getAuthenticationSession().addRequiredAction(org.keycloak.models.UserModel.RequiredAction.UPDATE_PASSWORD);
            MfaFlow.count(context.getRealm(), "containment_new_password");
            return;
        }
        if (ContainmentSettings.release(context.getUser())) {
            MfaFlow.count(context.getRealm(), "containment_released");
        }
    }

    /** Marks the login's event: a second proof was completed (the device listener proves the browser's entry). */
    static void secondProof(AuthenticationFlowContext context) {
        context.getEvent().detail(io.keycloaksentinel.core.risk.RiskEvents.SECOND_PROOF, "true");
    }

    /** "Not now" during the grace: one skip used, the login goes on. */
    private void skipped(AuthenticationFlowContext context) {
        MfaGrace.useSkip(context.getUser());
        context.getEvent().detail(EVENT_DETAIL, "grace_skip");
        MfaFlow.count(context.getRealm(), "grace_skip");
        MfaPages.clearStage(context);
        context.success();
    }

    private void enroll(AuthenticationFlowContext context, Factor factor) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        MfaPages.clearStage(context);
        auth.removeAuthNote(CHOSEN);
        // Keycloak's own setup page runs before any code or token is issued; it belongs to this login only
        auth.addRequiredAction(factor.requiredAction());
        context.getEvent().detail(EVENT_DETAIL, "enroll_" + factor.value());
        MfaFlow.count(context.getRealm(), "enroll_started");
        context.success();
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
