package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.Usernames;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.authenticators.directgrant.ValidateUsername;
import org.keycloak.events.Errors;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Replaces Keycloak's first step of the password grant ({@code direct-grant-validate-username}:
 * same id, higher order), so the grant of every client in every realm is guarded without the
 * admin binding a flow. Before the username is looked up (and before Keycloak's dummy hash for
 * an unknown one), the request's risk decision is asked for the typed name: a throttled source,
 * or a source new to that name while the realm is under attack, gets {@code 429} with
 * {@code Retry-After} and no lookup, no hash, the same answer whatever the password and whether
 * the account exists. A name with a control character left inside it after Keycloak's trim gets
 * Keycloak's answer for an unknown user, without a lookup. Everything else is Keycloak's step.
 */
public final class GuardedGrantUsername extends ValidateUsername {

    static final String EVENT_ERROR = "sentinel_refused";
    static final String REFUSED_DESCRIPTION = "Too many failed sign-ins; try again later";
    private static final Logger LOG = Logger.getLogger(GuardedGrantUsername.class);

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        String username = retrieveUsername(context);
        RealmModel realm = context.getRealm();
        if (Usernames.hasControlCharacters(username)) {
            context.getEvent().error(Errors.USER_NOT_FOUND);
            context.failure(AuthenticationFlowError.INVALID_USER,
                    errorResponse(Response.Status.BAD_REQUEST.getStatusCode(), "invalid_grant", "Invalid user credentials"));
            return;
        }
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            detection.risk().noPage(); // the password guard applies the no-page rule, whatever the path looks like
        }
        if (username != null && detection != null) {
            try {
                Risk risk = detection.risk().forTypedName(realm, username);
                if (risk.refusesUnprovenPassword()) {
                    PasswordGuard.countRefusedBeforeLookup(context.getSession(), realm, username);
                    LOG.debugf("Sentinel: refused a password grant in realm '%s' before the lookup: %s", realm.getName(),
                            String.join("; ", risk.reasons()));
                    long retryAfter = risk.throttle().throttled() ? Math.max(1, risk.throttle().retryAfterSeconds()) : 60;
                    context.getEvent().error(EVENT_ERROR);
                    context.challenge(GrantAnswers.throttled(retryAfter));
                    return;
                }
                if (risk.wouldRefuseUnprovenPassword()) {
                    PasswordGuard.count(realm, "monitored");
                    LOG.infof("Sentinel (monitoring only): would refuse a password grant in realm '%s': %s", realm.getName(),
                            String.join("; ", risk.reasons()));
                }
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: password grant guard failed in realm '%s', going on: %s", realm.getName(), e.toString());
            }
        }
        if (detection == null || !detection.detector().bulkhead().on()) {
            super.authenticate(context);
            return;
        }
        // Keycloak's step hashes too: a dummy hash for a name that matches no account, and a disabled account's
        // password check; both under the hash bulkhead like any risky check, answered busy alike
        detection.risk().busyAnswerable(true);
        try {
            if (username != null && unknown(context, realm, username)) {
                PasswordGuard.dummyHashUnderBulkhead(context.getSession(), realm, () -> super.authenticate(context));
            } else {
                super.authenticate(context);
            }
        } catch (PasswordGuard.BulkheadFull full) {
            GuardedGrantPassword.answerBusy(context);
        } finally {
            detection.risk().busyAnswerable(false);
        }
    }

    /** Whether the name (as Keycloak's step looks it up) matches no account; false when the lookup fails (Keycloak's step answers). */
    private static boolean unknown(AuthenticationFlowContext context, RealmModel realm, String username) {
        try {
            return KeycloakModelUtils.findUserByNameOrEmail(context.getSession(), realm, username) == null;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public int order() {
        return GuardedPasswordCredentialProviderFactory.ORDER;
    }
}
