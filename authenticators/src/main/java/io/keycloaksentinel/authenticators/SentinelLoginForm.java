package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.authenticators.breach.BreachProof;
import io.keycloaksentinel.authenticators.breach.BreachedLoginCheck;
import io.keycloaksentinel.authenticators.guard.LoginThrottle;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.keycloak.forms.login.LoginFormsProvider;
import jakarta.ws.rs.core.MultivaluedHashMap;
import io.keycloaksentinel.authenticators.mfa.EmailLinkStepUp;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.authenticators.util.AuthenticatorUtils;
import org.keycloak.events.Errors;
import org.keycloak.models.UserModel;
import org.keycloak.authentication.authenticators.browser.UsernamePasswordForm;
import org.keycloak.models.KeycloakSession;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.services.managers.AuthenticationManager;

/**
 * Keycloak's username/password form with Sentinel's throttle and CAPTCHA in front of the password
 * check, and after it the email-link step-up (a right password answered as a wrong one, the owner
 * mailed a link that continues here) and the breached-password check.
 */
final class SentinelLoginForm extends UsernamePasswordForm {

    /** Keycloak's auth note of a checked password (AbstractUsernameFormAuthenticator). */
    private static final String PASSWORD_VALIDATED = "PASSWORD_VALIDATED";

    /**
     * The CAPTCHA this post needed, for the form a failed sign-in re-renders; null when none was
     * needed. Only the re-rendered login form gets the widget: the page that follows a right
     * password (a second proof, the step-up code) is rendered from the same page object and must not.
     */
    private CaptchaGate retryWidget;

    SentinelLoginForm(KeycloakSession session) {
        super(session);
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        if (BreachProof.inProof(context)) {
            BreachProof.show(context); // a reload during the breached-password proof
            return;
        }
        Optional<String> proved = EmailLinkStepUp.takeProved(context.getAuthenticationSession());
        if (proved.isPresent()) {
            // the owner followed the emailed link in this browser after typing the right password here: the
            // password was checked then; what Keycloak's form does after a right password is done now
            UserModel user = context.getSession().users().getUserById(context.getRealm(), proved.get());
            if (user != null && user.isEnabled() && !isDisabledByBruteForce(context, user)) {
                context.setUser(user);
                context.getAuthenticationSession().setAuthNote(PASSWORD_VALIDATED, "true");
                context.success(CredentialRepresentation.PASSWORD);
                return;
            }
        }
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.LOGIN);
        if (gate.showIfRequired(context.form())) {
            context.form().setInfo(CaptchaGate.REQUIRED_MESSAGE);
        }
        super.authenticate(context);
    }

    /** The missing-answer message on the refusal page, which has a link back instead of the widget. */
    static final String MISSING_PAGE_MESSAGE = "sentinelCaptchaMissingPage";

    @Override
    public void action(AuthenticationFlowContext context) {
        if (BreachProof.inProof(context)) {
            BreachProof.action(context);
            return;
        }
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        EmailLinkStepUp.newAttempt(context.getAuthenticationSession());
        if (!form.containsKey("cancel")) {
            String username = form.getFirst(AuthenticationManager.FORM_USERNAME);
            if (LoginThrottle.refused(context, username)) {
                return;
            }
            CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                    CaptchaGate.Form.LOGIN);
            if (gate.required(username)) {
                // checked before the user is looked up: no hash, no brute-force count, the
                // same answer for existing and unknown accounts
                Optional<String> captcha = gate.refusal(form, context.getEvent());
                if (captcha.isPresent()) {
                    context.challenge(captchaChallenge(context, gate, username, captcha.get()));
                    return;
                }
                retryWidget = gate;
            }
        }
        super.action(context);
    }

    /**
     * Keycloak's check of the username and password, then (for a correct password only) the
     * breached-password check, which may ask for a second proof before the login goes on.
     */
    @Override
    protected boolean validateForm(AuthenticationFlowContext context, MultivaluedMap<String, String> formData) {
        if (!LoginThrottle.validateUnderBulkhead(context, () -> super.validateForm(context, formData))) {
            return false;
        }
        if (EmailLinkStepUp.wanted(context)) {
            // the step-up that teaches nothing: the right password gets the wrong password's answer, the owner a link
            EmailLinkStepUp.start(context);
            answerAsWrongPassword(context);
            return false;
        }
        return BreachedLoginCheck.afterPassword(context, formData.getFirst(CredentialRepresentation.PASSWORD));
    }

    /** An unknown name: Keycloak's dummy hash and answer, under the hash bulkhead like any risky check. */
    @Override
    public void testInvalidUser(AuthenticationFlowContext context, UserModel user) {
        if (user != null) {
            super.testInvalidUser(context, user);
            return;
        }
        io.keycloaksentinel.authenticators.guard.PasswordGuard.dummyHashUnderBulkhead(context.getSession(),
                context.getRealm(), () -> super.testInvalidUser(context, null));
    }

    /** Keycloak's re-rendered login form after a failed sign-in, with a fresh widget when this post needed one. */
    @Override
    protected Response challenge(AuthenticationFlowContext context, String error, String field) {
        if (retryWidget != null) {
            retryWidget.show(context.form(), false);
        }
        return super.challenge(context, error, field);
    }

    /** What Keycloak's form answers a wrong password: the same event, the same page, the same flow failure. */
    private void answerAsWrongPassword(AuthenticationFlowContext context) {
        context.getAuthenticationSession().removeAuthNote(PASSWORD_VALIDATED);
        context.getEvent().user(context.getUser());
        context.getEvent().error(Errors.INVALID_USER_CREDENTIALS);
        AuthenticatorUtils.setupReauthenticationInUsernamePasswordFormError(context);
        // rendered as Keycloak renders a wrong password's page: a re-authentication keeps its user, a
        // sign-in shows none (no "attempted username" header)
        boolean keepUser = isUserAlreadySetBeforeUsernamePasswordAuth(context);
        if (!keepUser) {
            context.clearUser();
        }
        Response page = challenge(context, getDefaultChallengeMessage(context), CredentialRepresentation.PASSWORD);
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS, page);
    }

    private Response captchaChallenge(AuthenticationFlowContext context, CaptchaGate gate, String username, String message) {
        if (CaptchaDecision.MISSING_MESSAGE.equals(message)) {
            // a post without any answer (a bot, or a browser without JavaScript): the refusal page, rendered once,
            // whose link leads back to the form with the widget; the form is not re-rendered for every such post
            return io.keycloaksentinel.authenticators.guard.RefusalPage.of(context, MISSING_PAGE_MESSAGE, 200, 0);
        }
        LoginFormsProvider page = context.form();
        MultivaluedMap<String, String> keep = new MultivaluedHashMap<>();
        if (username != null && username.length() <= 255) {
            keep.putSingle(AuthenticationManager.FORM_USERNAME, username);
        }
        page.setFormData(keep);
        gate.show(page);
        return CaptchaGate.refused(page.setError(message).createLoginUsernamePassword(), message);
    }

}
