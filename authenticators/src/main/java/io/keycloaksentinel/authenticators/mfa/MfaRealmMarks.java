package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.mfa.MfaSettings;
import org.keycloak.common.util.Time;
import org.keycloak.models.RealmModel;

/**
 * The one realm attribute the MFA step may write, once per realm: when the policy first ran
 * ({@link MfaPolicyEvaluator#REALM_ACTIVE_SINCE}), the default start of everyone's grace.
 *
 * <p>Why at a login: a policy can be turned on in the step's own config, and Keycloak 26.7 tells no
 * provider when an authenticator config is saved (its {@code ConfigurableAuthenticatorFactory} has
 * no validate hook, no provider event is fired for it, and a realm import sends no admin event), so
 * the first login under the step is the first time Sentinel learns of it; without a stored start,
 * every login would begin the grace anew. A policy turned on through Sentinel's admin REST has its
 * start set there, when it is saved. (Whether the new-device listener keeps device history for the
 * step is not written: the listener reads it from the step's config, {@code MfaStepConfig.readsDevices}.)
 */
final class MfaRealmMarks {

    private MfaRealmMarks() {
    }

    static void remember(RealmModel realm, MfaSettings settings) {
        if (settings.active() && realm.getAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE) == null) {
            realm.setAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(Time.currentTimeMillis()));
        }
    }
}
