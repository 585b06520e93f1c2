package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.mfa.MfaPolicyEvaluator;
import io.keycloaksentinel.core.mfa.MfaSettings;
import org.keycloak.common.util.Time;
import org.keycloak.models.RealmModel;

/**
 * The two realm attributes the MFA step writes, each once per realm: when the policy first ran
 * ({@link MfaPolicyEvaluator#REALM_ACTIVE_SINCE}, its default grace start) and that the new-device
 * listener must keep device history for the step ({@link MfaSettings#TRACK_DEVICES}).
 *
 * <p>Why at a login: a policy (or a step-up) can be turned on in the step's own config, and Keycloak
 * 26.7 tells no provider when an authenticator config is saved (its {@code ConfigurableAuthenticatorFactory}
 * has no validate hook, no provider event is fired for it, and a realm import sends no admin event),
 * so the first login under the step is the first time Sentinel learns of it. A policy turned on
 * through Sentinel's admin REST has its start set there, when it is saved.
 */
final class MfaRealmMarks {

    private MfaRealmMarks() {
    }

    static void remember(RealmModel realm, MfaSettings settings) {
        if (settings.active() && realm.getAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE) == null) {
            realm.setAttribute(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(Time.currentTimeMillis()));
        }
        if (settings.needsDevices() && realm.getAttribute(MfaSettings.TRACK_DEVICES) == null) {
            realm.setAttribute(MfaSettings.TRACK_DEVICES, "true");
        }
    }
}
