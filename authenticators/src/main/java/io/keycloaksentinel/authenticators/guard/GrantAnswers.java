package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.risk.RiskEvents;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.events.Errors;
import org.keycloak.authentication.authenticators.directgrant.ValidatePassword;
import org.keycloak.models.UserModel;

/**
 * The answers of the password grant, which has no page for a second proof: whatever refuses a
 * grant after the password was found right answers exactly as Keycloak answers a wrong one
 * (status, JSON, headers: built by Keycloak's own password step), so a bot comparing answers
 * learns nothing about the password, not even later from the counters it moves. The owner is told
 * instead (the event carries
 * {@link RiskEvents#PASSWORD_VERIFIED}; the security-notice listener queues the mail).
 */
public final class GrantAnswers {

    private static final ValidatePassword KEYCLOAK_PASSWORD_STEP = new ValidatePassword();

    private GrantAnswers() {
    }

    /** A grant refused before any password check (a throttled source, a full hash bulkhead): 429 invalid_grant, {@code Retry-After}. */
    public static Response throttled(long retryAfterSeconds) {
        return Response.fromResponse(KEYCLOAK_PASSWORD_STEP.errorResponse(429, "invalid_grant",
                GuardedGrantUsername.REFUSED_DESCRIPTION)).header("Retry-After", String.valueOf(retryAfterSeconds)).build();
    }

    /** Keycloak's answer to a wrong password on the password grant: 400 invalid_grant "Invalid user credentials". */
    public static Response invalidCredentials() {
        return KEYCLOAK_PASSWORD_STEP.errorResponse(Response.Status.BAD_REQUEST.getStatusCode(), "invalid_grant",
                "Invalid user credentials");
    }

    /**
     * Refuses a grant whose password was right exactly as a wrong password is refused: the same
     * answer, and the same consequences an attacker could observe later: Keycloak's event error
     * {@code invalid_user_credentials} (so Sentinel's counters and smart lockout count it as they
     * count a wrong password) and a flow failure. Keycloak's brute-force protection counts a
     * failure by the failing step's category: the breached-password step's ({@code password}) is
     * counted, the MFA step's ({@code mfa}) is not; Keycloak 26.7 answers a temporarily locked
     * account exactly as any wrong password (and still spends its dummy hash), so that difference
     * is not observable. What really happened ({@code why}) stays server-side in the event's details, marked so
     * that the owner is told.
     */
    public static void refuseVerifiedPassword(AuthenticationFlowContext context, UserModel user, String why) {
        if (user != null) {
            context.getEvent().user(user); // the event names the owner (the listener mails them)
        }
        context.getEvent().detail(RiskEvents.PASSWORD_VERIFIED, "true").detail(RiskEvents.REFUSED_BECAUSE, why)
                .error(Errors.INVALID_USER_CREDENTIALS);
        context.failure(AuthenticationFlowError.INVALID_CREDENTIALS, invalidCredentials());
    }
}
