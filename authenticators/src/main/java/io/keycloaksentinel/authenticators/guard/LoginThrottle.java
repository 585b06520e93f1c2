package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.ThrottleDecision;
import io.keycloaksentinel.core.risk.Usernames;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.events.Errors;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.messages.Messages;

/**
 * The browser login forms' check before the username is looked up (Sentinel's form and Keycloak's
 * own, which Sentinel replaces): a name with a control character inside gets Keycloak's answer for
 * an unknown name; a throttled source, or a typed name locked against unknown networks, gets the
 * login page back with 429 and {@code Retry-After} (503 when the detector is down and the realm
 * fails closed). Decided from the request's one risk decision for the typed name: the name is only
 * hashed, never looked up, so the answer takes the same time and says the same for existing and
 * unknown accounts, whatever the password. A refusal is a challenge, not a failed login: it never
 * counts against, or locks, the account.
 */
public final class LoginThrottle {

    public static final String THROTTLED_MESSAGE = "sentinelThrottled";
    public static final String UNKNOWN_SOURCE_MESSAGE = "sentinelUnknownSourceLocked";
    public static final String UNAVAILABLE_MESSAGE = "sentinelUnavailable";
    private static final Logger LOG = Logger.getLogger(LoginThrottle.class);

    private LoginThrottle() {
    }

    /**
     * Refuses the post when it must be: true when a challenge was sent (the caller stops there),
     * false when the login goes on.
     */
    public static boolean refused(AuthenticationFlowContext context, String username) {
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        String password = posted.getFirst(CredentialRepresentation.PASSWORD);
        if (posted.containsKey("authenticatorData") && (password == null || password.isEmpty())) {
            return false; // a passkey assertion (Keycloak's conditional UI): no password to guard, nothing to throttle
        }
        if (Usernames.hasControlCharacters(username)) {
            // no real name has one: Keycloak's answer for an unknown name, without a lookup or a hash
            context.getEvent().error(Errors.USER_NOT_FOUND);
            context.failureChallenge(AuthenticationFlowError.INVALID_USER,
                    context.form().setError(Messages.INVALID_USER).createLoginUsernamePassword());
            return true;
        }
        Optional<Response> refusal = throttle(context, username);
        // a challenge, not a failure: it must not count against (or lock) the account
        refusal.ifPresent(context::challenge);
        return refusal.isPresent();
    }

    /**
     * Keycloak's username/password check ({@code validateForm}) under the node's hash bulkhead: when
     * the bulkhead has no room for this risky check, the login page comes back as a throttled post's
     * does (429, the same message, {@code Retry-After}), with no user named, no hash, no failed login
     * counted: the same for a right and a wrong password. True when the password was checked and right.
     */
    public static boolean validateUnderBulkhead(AuthenticationFlowContext context, java.util.function.BooleanSupplier validate) {
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            detection.risk().busyAnswerable(true);
        }
        try {
            return validate.getAsBoolean();
        } catch (PasswordGuard.BulkheadFull full) {
            if (context.getAuthenticationSession().getAuthNote(
                    org.keycloak.authentication.authenticators.browser.AbstractUsernameFormAuthenticator
                            .USER_SET_BEFORE_USERNAME_PASSWORD_AUTH) == null) {
                context.clearUser(); // a sign-in names no one; a re-authentication keeps its user, as Keycloak's form does
            }
            PasswordGuard.recordRefused(context.getSession(), context.getRealm(),
                    context.getHttpRequest().getDecodedFormParameters().getFirst(AuthenticationManager.FORM_USERNAME));
            context.challenge(page(context, THROTTLED_MESSAGE, 429, PasswordGuard.BUSY_RETRY_AFTER_SECONDS));
            return false;
        } finally {
            if (detection != null) {
                detection.risk().busyAnswerable(false);
            }
        }
    }

    /** The refusal page with a refusal's message, status and {@code Retry-After}: rendered once, not per post. */
    private static Response page(AuthenticationFlowContext context, String message, int status, long retryAfterSeconds) {
        return RefusalPage.of(context, message, status, retryAfterSeconds, true);
    }

    private static Optional<Response> throttle(AuthenticationFlowContext context, String username) {
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
            ThrottleDecision decision = risk.throttle();
            LOG.debugf("Sentinel: throttled a login post in realm '%s': %s", realm.getName(), decision.reason());
            String message = switch (decision.why()) {
                case UNKNOWN_SOURCE -> UNKNOWN_SOURCE_MESSAGE;
                case UNAVAILABLE -> UNAVAILABLE_MESSAGE;
                default -> THROTTLED_MESSAGE;
            };
            int status = decision.why() == RefusalReason.UNAVAILABLE ? 503 : 429;
            return Optional.of(page(context, message, status, decision.retryAfterSeconds()));
        } catch (RuntimeException e) {
            // counting never fails a login: without a decision, the login goes on
            LOG.warnf("Sentinel: throttle check failed, letting the login through: %s", e.toString());
            return Optional.empty();
        }
    }
}
