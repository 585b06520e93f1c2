package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.risk.RiskEvents;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.authenticators.directgrant.ValidatePassword;
import org.keycloak.models.UserModel;

/**
 * The answers of the password grant, which has no page for a second proof: whatever refuses a
 * grant after the password was found right answers exactly as Keycloak answers a wrong one
 * (status, JSON, headers: built by Keycloak's own password step), so a bot comparing answers
 * learns nothing about the password. The owner is told instead (the event carries
 * {@link RiskEvents#PASSWORD_VERIFIED}; the security-notice listener queues the mail).
 */
public final class GrantAnswers {

    private static final ValidatePassword KEYCLOAK_PASSWORD_STEP = new ValidatePassword();

    private GrantAnswers() {
    }

    /** Keycloak's answer to a wrong password on the password grant: 400 invalid_grant "Invalid user credentials". */
    public static Response invalidCredentials() {
        return KEYCLOAK_PASSWORD_STEP.errorResponse(Response.Status.BAD_REQUEST.getStatusCode(), "invalid_grant",
                "Invalid user credentials");
    }

    /**
     * Refuses a grant whose password was right: the event error {@code error} (server-side only),
     * marked so that the owner is told, and the wrong-password answer.
     */
    public static void refuseVerifiedPassword(AuthenticationFlowContext context, UserModel user, String error) {
        if (user != null) {
            context.getEvent().user(user); // the event names the owner (the listener mails them)
        }
        context.getEvent().detail(RiskEvents.PASSWORD_VERIFIED, "true").error(error);
        context.challenge(invalidCredentials());
    }
}
