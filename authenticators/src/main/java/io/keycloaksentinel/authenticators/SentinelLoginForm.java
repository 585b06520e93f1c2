package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.authenticators.breach.BreachedLoginCheck;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.Usernames;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.keycloak.forms.login.LoginFormsProvider;
import jakarta.ws.rs.core.MultivaluedHashMap;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.events.Errors;
import org.keycloak.services.messages.Messages;
import org.keycloak.authentication.authenticators.browser.UsernamePasswordForm;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.services.managers.AuthenticationManager;

/**
 * Keycloak's username/password form with Sentinel's throttle and CAPTCHA in front of the password
 * check, and the breached-password check after it.
 */
final class SentinelLoginForm extends UsernamePasswordForm {

    static final String THROTTLED_MESSAGE = "sentinelThrottled";
    static final String UNKNOWN_SOURCE_MESSAGE = "sentinelUnknownSourceLocked";
    static final String UNAVAILABLE_MESSAGE = "sentinelUnavailable";
    private static final Logger LOG = Logger.getLogger(SentinelLoginForm.class);

    SentinelLoginForm(KeycloakSession session) {
        super(session);
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        if (BreachedLoginCheck.inProof(context)) {
            BreachedLoginCheck.showProof(context); // a reload during the breached-password proof
            return;
        }
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.LOGIN);
        if (gate.required(null)) {
            gate.show(context.form());
            gate.explain(context.form());
        }
        super.authenticate(context);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        if (BreachedLoginCheck.inProof(context)) {
            BreachedLoginCheck.proofAction(context);
            return;
        }
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        if (!form.containsKey("cancel")) {
            String username = form.getFirst(AuthenticationManager.FORM_USERNAME);
            if (Usernames.hasControlCharacters(username)) {
                // no real name has one: Keycloak's answer for an unknown name, without a lookup or a hash
                context.getEvent().error(Errors.USER_NOT_FOUND);
                context.failureChallenge(AuthenticationFlowError.INVALID_USER,
                        context.form().setError(Messages.INVALID_USER).createLoginUsernamePassword());
                return;
            }
            Optional<Response> refusal = throttle(context, username);
            if (refusal.isPresent()) {
                // a challenge, not a failure: it must not count against (or lock) the account
                context.challenge(refusal.get());
                return;
            }
            CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                    CaptchaGate.Form.LOGIN);
            if (gate.required(username)) {
                Optional<String> captcha = gate.refusal(form);
                if (captcha.isPresent()) {
                    // checked before the user is looked up: no hash, no brute-force count, the
                    // same answer for existing and unknown accounts
                    context.getEvent().detail("sentinel_captcha", captcha.get()).error(CaptchaGate.EVENT_ERROR);
                    context.challenge(captchaChallenge(context, gate, username, captcha.get()));
                    return;
                }
                // a wrong password re-renders the form: it needs a fresh widget
                gate.show(context.form(), false);
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
        if (!super.validateForm(context, formData)) {
            return false;
        }
        return BreachedLoginCheck.afterPassword(context, formData.getFirst(CredentialRepresentation.PASSWORD));
    }

    private Response captchaChallenge(AuthenticationFlowContext context, CaptchaGate gate, String username, String message) {
        LoginFormsProvider page = context.form();
        MultivaluedMap<String, String> keep = new MultivaluedHashMap<>();
        if (username != null && username.length() <= 255) {
            keep.putSingle(AuthenticationManager.FORM_USERNAME, username);
        }
        page.setFormData(keep);
        gate.show(page);
        Response rendered = page.setError(message).createLoginUsernamePassword();
        return CaptchaGate.unavailable(message) ? Response.fromResponse(rendered).status(503).header("Retry-After", "60").build()
                : rendered;
    }

    /**
     * The 429 answer for a throttled source (503 when the detector is down and the realm fails
     * closed), from the request's one risk decision for the typed name, before the user is looked
     * up: the name is only hashed, so the answer takes the same time for existing and unknown accounts.
     */
    private Optional<Response> throttle(AuthenticationFlowContext context, String username) {
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        if (detection == null) {
            return Optional.empty();
        }
        RealmModel realm = context.getRealm();
        try {
            Risk risk = detection.risk().forTypedName(realm, username);
            if (risk.wouldThrottle()) {
                detection.detector().throttled(realm.getId(), realm.getName(), true);
                LOG.infof("Sentinel (monitoring only): would throttle a login post in realm '%s': %s", realm.getName(),
                        risk.throttle().reason());
                return Optional.empty();
            }
            if (!risk.throttled()) {
                return Optional.empty();
            }
            detection.detector().throttled(realm.getId(), realm.getName(), false);
            AttackDetector.ThrottleDecision decision = risk.throttle();
            LOG.debugf("Sentinel: throttled a login post in realm '%s': %s", realm.getName(), decision.reason());
            String message = switch (decision.why()) {
                case UNKNOWN_SOURCE -> UNKNOWN_SOURCE_MESSAGE;
                case UNAVAILABLE -> UNAVAILABLE_MESSAGE;
                default -> THROTTLED_MESSAGE;
            };
            int status = decision.why() == AttackDetector.RefusalReason.UNAVAILABLE ? 503 : 429;
            Response page = context.form().setError(message).createLoginUsernamePassword();
            return Optional.of(Response.fromResponse(page).status(status)
                    .header("Retry-After", String.valueOf(decision.retryAfterSeconds())).build());
        } catch (RuntimeException e) {
            // counting never fails a login: without a decision, the login goes on
            LOG.warnf("Sentinel: throttle check failed, letting the login through: %s", e.toString());
            return Optional.empty();
        }
    }
}
