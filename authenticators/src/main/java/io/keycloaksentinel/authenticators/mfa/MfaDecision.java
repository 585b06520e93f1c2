package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.authenticators.mfa.MfaStatus.State;
import io.keycloaksentinel.core.mfa.MfaSettings.EnrollmentProof;
import io.keycloaksentinel.core.mfa.MfaSettings.Mode;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.Optional;

/**
 * What the MFA step decides, from facts the step has gathered: no Keycloak model, no page, no
 * write. The step reads the facts ({@link Login}), asks here, and carries the answer out.
 */
final class MfaDecision {

    private MfaDecision() {
    }

    /**
     * What the step knows of a login: the policy's mode, the step-up answer, whether this is the
     * reset-credentials flow, the user's standing ({@code null} when the step-up refuses: it is not
     * read then), whether the user has any second factor, whether this flow checked any of them and
     * one the policy allows, and whether any allowed factor can be enrolled in the realm.
     */
    record Login(Mode mode, StepUpAction stepUp, boolean resetFlow, State state, boolean hasAnyFactor,
                 boolean anyFactorUsed, boolean allowedFactorUsed, boolean canEnroll) {

        boolean enforced() {
            return mode == Mode.ENFORCE;
        }
    }

    /** The browser (and reset) flow's answers. */
    enum Outcome {
        /** The step-up refuses this login. */
        STEP_UP_REFUSED,
        /** The user has a factor the flow did not ask for (or not one the policy allows): refused. */
        FLOW_INCOMPLETE,
        /** An enrolled user used an allowed factor: the login goes on. */
        SECOND_FACTOR,
        /** Overdue, and no allowed factor can be enrolled in the realm: refused. */
        CANNOT_ENROLL,
        /** In the grace or overdue: the page to choose a factor (with "Not now" during the grace). */
        CHOOSE,
        /** The step-up asks a second proof of a user who used no factor: the emailed code. */
        EMAIL_STEP_UP,
        /** Nothing to ask: the login goes on. */
        PASS
    }

    static Outcome browser(Login l) {
        if (l.stepUp() == StepUpAction.REFUSE) {
            return Outcome.STEP_UP_REFUSED;
        }
        if ((l.resetFlow() || l.stepUp().asksProof()) && l.hasAnyFactor() && !l.anyFactorUsed()) {
            // the user has a factor, but this flow did not ask for it: refuse rather than let a
            // reset or a risky login through on the password (or the email link) alone
            return Outcome.FLOW_INCOMPLETE;
        }
        if (l.enforced() && l.state() == State.ENROLLED) {
            return l.allowedFactorUsed() ? Outcome.SECOND_FACTOR : Outcome.FLOW_INCOMPLETE;
        }
        if (l.enforced() && (l.state() == State.IN_GRACE || l.state() == State.OVERDUE)) {
            return !l.canEnroll() && l.state() == State.OVERDUE ? Outcome.CANNOT_ENROLL : Outcome.CHOOSE;
        }
        if (l.stepUp().asksProof() && !l.anyFactorUsed()) {
            return Outcome.EMAIL_STEP_UP;
        }
        return Outcome.PASS;
    }

    /**
     * The password grant has no pages: a second factor is only what the flow's own OTP step
     * checked; nothing can be enrolled and no email code asked. So: a covered user with an allowed
     * factor needs it checked, an overdue one is refused, one in grace passes; a step-up that asks
     * for a second proof is refused unless the flow checked a factor.
     *
     * @return the event error of the refusal; empty: the grant goes on
     */
    static Optional<String> directGrantRefusal(Login l) {
        if (l.stepUp() == StepUpAction.REFUSE) {
            return Optional.of("sentinel_step_up_refused");
        }
        if (l.stepUp().asksProof() && !l.anyFactorUsed()) {
            return Optional.of("sentinel_step_up_needs_browser");
        }
        if (l.enforced() && l.state() == State.ENROLLED && !l.allowedFactorUsed()) {
            return Optional.of("sentinel_mfa_second_factor_required");
        }
        if (l.enforced() && l.state() == State.OVERDUE) {
            return Optional.of("sentinel_mfa_enrollment_required");
        }
        return Optional.empty();
    }

    /** Whether a password grant that goes on uses one of the grace's skips, as "Not now" does. */
    static boolean directGrantUsesSkip(Login l, boolean loginLimited) {
        return l.enforced() && l.state() == State.IN_GRACE && loginLimited;
    }

    /**
     * Whether a first enrollment (or "Not now") from this login needs the emailed code first: the
     * policy's {@code enrollmentProof}, where {@code risky} means an unknown device (only Sentinel's
     * cookie counts here, not a look-alike browser on the same network), a risky request, or a
     * password flagged as breached; and always when the step-up asks a second proof.
     */
    static boolean emailFirst(EnrollmentProof proof, StepUpAction stepUp, boolean deviceByCookie, RiskLevel level,
                              boolean breachedPassword) {
        boolean risky = switch (proof) {
            case ALWAYS -> true;
            case NEVER -> false;
            case RISKY -> !deviceByCookie || level != RiskLevel.LOW || breachedPassword;
        };
        return risky || stepUp.asksProof();
    }

    /** The answers to "Not now" on the choice page. */
    enum Skip { GRACE_OVER, NO_EMAIL, EMAIL_FIRST, SKIPPED }

    static Skip skip(State state, boolean emailFirst, boolean emailPossible) {
        if (state != State.IN_GRACE) {
            return Skip.GRACE_OVER;
        }
        // a risky login proves the email before "Not now" too: a session from it could enroll
        // through the account console (an application-initiated action) without this step
        if (emailFirst) {
            return emailPossible ? Skip.EMAIL_FIRST : Skip.NO_EMAIL;
        }
        return Skip.SKIPPED;
    }
}
