package io.keycloaksentinel.authenticators.breach;

import static io.keycloaksentinel.authenticators.breach.BreachedLoginCheck.EVENT_DETAIL;
import static io.keycloaksentinel.authenticators.breach.BreachedLoginCheck.EVENT_ERROR;

import io.keycloaksentinel.authenticators.EmailCode;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.credential.CredentialModel;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.UserCredentialModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * The second proof after a correct but breached password, before the forced password change: the
 * user's authenticator app (OTP) if they have one (asked by this step itself, even if the flow has
 * an OTP step of its own later), else a one-time code mailed to the account's verified address.
 * Its state lives in the authentication session (server side): the code only as a hash, with an
 * expiry, at most {@value EmailCode#MAX_ATTEMPTS} tries and {@value EmailCode#MAX_SENDS} mails. Run
 * by Sentinel's login form while {@link #inProof} holds.
 */
public final class BreachProof {

    static final String STAGE = "sentinel.breach.stage";
    static final String STAGE_OTP = "otp";
    static final String STAGE_EMAIL = "email";
    private static final EmailCode CODE = new EmailCode("sentinel.breach.");

    private BreachProof() {
    }

    /** Whether this login is waiting for the second proof. */
    public static boolean inProof(AuthenticationFlowContext context) {
        return context.getUser() != null && context.getAuthenticationSession().getAuthNote(STAGE) != null;
    }

    /** Shows the proof step again (a reload of the page). */
    public static void show(AuthenticationFlowContext context) {
        context.challenge(page(context, null, null));
    }

    /**
     * Starts the proof {@link BreachDecision#browser} chose: OTP, the emailed code, or the refusal
     * when neither is possible (or the code could not be mailed). Always answers with a page.
     */
    static void start(AuthenticationFlowContext context, BreachDecision.Answer answer) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        clear(auth);
        if (answer == BreachDecision.Answer.PROOF_OTP) {
            auth.setAuthNote(STAGE, STAGE_OTP);
            context.challenge(page(context, null, null));
            return;
        }
        if (answer == BreachDecision.Answer.REFUSE_NO_PROOF) {
            context.getEvent().detail(EVENT_DETAIL, "no_second_proof").error(EVENT_ERROR);
            refuse(context, "sentinelBreachNoProof");
            return;
        }
        auth.setAuthNote(STAGE, STAGE_EMAIL);
        if (!sendCode(context)) {
            clear(auth);
            refuse(context, "sentinelBreachCodeNotSent");
            return;
        }
        context.challenge(page(context, null, null));
    }

    /** Handles a post of the proof step (a code, or "send a new code"). */
    public static void action(AuthenticationFlowContext context) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        boolean otp = STAGE_OTP.equals(auth.getAuthNote(STAGE));
        if (!otp && form.containsKey("resend")) {
            if (!CODE.mayResend(auth)) {
                context.challenge(page(context, "sentinelBreachCodeInvalid", null));
            } else if (!sendCode(context)) {
                context.challenge(page(context, "sentinelBreachCodeNotSent", null));
            } else {
                context.challenge(page(context, null, "sentinelBreachCodeSent"));
            }
            return;
        }
        boolean valid = otp ? otpValid(context.getUser(), form) : CODE.matches(context, form.getFirst("code"));
        if (valid) {
            clear(auth);
            context.getUser().addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
            context.getEvent().detail(EVENT_DETAIL, "proved:" + (otp ? STAGE_OTP : STAGE_EMAIL));
            context.success(PasswordCredentialModel.TYPE);
            return;
        }
        context.getEvent().detail(EVENT_DETAIL, "proof_failed");
        if (CODE.failedAttempt(auth)) {
            clear(auth);
            // counted like a wrong second factor (Keycloak's brute-force protection sees it)
            context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                    context.form().setError("sentinelBreachProofFailed").createLoginUsernamePassword());
            return;
        }
        // every wrong guess is a failure for Keycloak's brute-force protection, whatever the tab or session
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                page(context, otp ? "invalidTotpMessage" : "sentinelBreachCodeInvalid", null));
    }

    private static boolean otpValid(UserModel user, MultivaluedMap<String, String> form) {
        String code = trimmed(form.getFirst("otp"), 16);
        String credentialId = trimmed(form.getFirst("selectedCredentialId"), 64);
        if (credentialId == null) {
            credentialId = user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE)
                    .map(CredentialModel::getId).findFirst().orElse(null);
        }
        return code != null && credentialId != null
                && user.credentialManager().isValid(new UserCredentialModel(credentialId, OTPCredentialModel.TYPE, code));
    }

    /** Back to the login page with {@code message}: the user starts over. */
    private static void refuse(AuthenticationFlowContext context, String message) {
        Response page = context.form().setError(message).createLoginUsernamePassword();
        context.clearUser();
        context.challenge(page);
    }

    private static Response page(AuthenticationFlowContext context, String error, String info) {
        boolean otp = STAGE_OTP.equals(context.getAuthenticationSession().getAuthNote(STAGE));
        LoginFormsProvider form = context.form();
        if (error != null) {
            form.setError(error);
        } else if (info != null) {
            form.setInfo(info);
        } else if (otp) {
            form.setInfo("sentinelBreachOtpInfo");
        }
        return otp ? form.createLoginTotp() : form.setAttribute("sentinelCodeTitle", "sentinelBreachCodeTitle")
                .setAttribute("sentinelCodeInfo", "sentinelBreachCodeInfo").createForm(EmailCode.TEMPLATE);
    }

    /** Mails a new code to the user's verified address; false when the mail could not be sent. */
    private static boolean sendCode(AuthenticationFlowContext context) {
        return CODE.send(context, "sentinelBreachCodeSubject", "sentinelBreachCodeBody");
    }

    private static void clear(AuthenticationSessionModel auth) {
        auth.removeAuthNote(STAGE);
        CODE.clear(auth);
    }

    private static String trimmed(String v, int max) {
        if (v == null) {
            return null;
        }
        String s = v.strip();
        return s.isEmpty() || s.length() > max ? null : s;
    }
}
