package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.authenticators.directgrant.ValidatePassword;

/**
 * Replaces Keycloak's password step of the password grant ({@code direct-grant-validate-password}:
 * same id, higher order) with Keycloak's own step under the node's hash bulkhead: when the bulkhead
 * has no room for a risky check, the grant is answered as a throttled one ({@code 429}, the same
 * body, {@code Retry-After}), with no hash and the same answer for right and wrong passwords.
 * Everything else is Keycloak's step.
 */
public final class GuardedGrantPassword extends ValidatePassword {

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            detection.risk().busyAnswerable(true);
        }
        try {
            super.authenticate(context);
        } catch (PasswordGuard.BulkheadFull full) {
            answerBusy(context);
        } finally {
            if (detection != null) {
                detection.risk().busyAnswerable(false);
            }
        }
    }

    /** A grant the hash bulkhead had no room for: 429 as a throttled grant, recorded as a refused post. */
    static void answerBusy(AuthenticationFlowContext context) {
        PasswordGuard.recordRefused(context.getSession(), context.getRealm(),
                context.getHttpRequest().getDecodedFormParameters().getFirst("username"));
        context.getEvent().error(GuardedGrantUsername.EVENT_ERROR);
        context.challenge(GrantAnswers.throttled(PasswordGuard.BUSY_RETRY_AFTER_SECONDS));
    }

    @Override
    public int order() {
        return GuardedPasswordCredentialProviderFactory.ORDER;
    }
}
