package io.keycloaksentinel.authenticators.mfa;

import static io.keycloaksentinel.authenticators.mfa.MfaPages.EVENT_DETAIL;
import static io.keycloaksentinel.authenticators.mfa.MfaPages.REFUSED_NOTE;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.authenticators.mfa.MfaPages.Stage;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * The MFA step's emailed-code sub-flow: a one-time code to the verified address before a risky
 * first enrollment, a risky "Not now", or as the step-up's second proof. Sends it, takes resends
 * and guesses; the step decides what a proved code leads to.
 */
final class MfaEmailProof {

    private static final EmailCode CODE = new EmailCode("sentinel.mfa.");

    private MfaEmailProof() {
    }

    /** Mails a code and shows its page at {@code stage}; refuses the login when no code can be mailed. */
    static void start(AuthenticationFlowContext context, Stage stage) {
        if (!EmailCode.possible(context.getUser())) {
            MfaPages.refuse(context, "sentinel_step_up_no_email", "sentinelMfaStepUpNoEmail");
            return;
        }
        CODE.clear(context.getAuthenticationSession());
        MfaPages.setStage(context, stage);
        if (!CODE.send(context, "sentinelMfaCodeSubject", "sentinelMfaCodeBody")) {
            MfaPages.clearStage(context);
            MfaPages.refuse(context, "sentinel_mfa_code_not_sent", "sentinelBreachCodeNotSent");
            return;
        }
        MfaFlow.count(context.getRealm(), stage == Stage.EMAIL_STEP_UP ? "step_up_email_sent" : "enroll_email_sent");
        MfaPages.render(context, stage, null, null);
    }

    /**
     * A post of the code page at {@code stage}: a resend, a wrong code (a brute-force failure; the
     * last try refuses the login) or the right one.
     *
     * @return true when the code was right (the caller goes on); false when this answered the post
     */
    static boolean proved(AuthenticationFlowContext context, Stage stage, MultivaluedMap<String, String> form) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        if (form.containsKey("resend")) {
            if (!CODE.mayResend(auth)) {
                MfaPages.render(context, stage, "sentinelBreachCodeInvalid", null);
            } else if (!CODE.send(context, "sentinelMfaCodeSubject", "sentinelMfaCodeBody")) {
                MfaPages.render(context, stage, "sentinelBreachCodeNotSent", null);
            } else {
                MfaPages.render(context, stage, null, "sentinelBreachCodeSent");
            }
            return false;
        }
        if (CODE.matches(context, form.getFirst("code"))) {
            CODE.clear(auth);
            context.getEvent().detail(EVENT_DETAIL, "email_proved");
            MfaFlow.count(context.getRealm(), stage == Stage.EMAIL_STEP_UP ? "step_up_email_proved" : "enroll_email_proved");
            return true;
        }
        context.getEvent().detail(EVENT_DETAIL, "email_code_failed");
        if (CODE.failedAttempt(auth)) {
            CODE.clear(auth);
            MfaPages.setStage(context, Stage.REFUSED);
            auth.setAuthNote(REFUSED_NOTE, "sentinelBreachProofFailed");
            context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                    context.form().setError("sentinelBreachProofFailed").createErrorPage(Response.Status.UNAUTHORIZED));
            return false;
        }
        // every wrong guess is a failure for Keycloak's brute-force protection
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                MfaPages.page(context, stage, "sentinelBreachCodeInvalid", null));
        return false;
    }
}
