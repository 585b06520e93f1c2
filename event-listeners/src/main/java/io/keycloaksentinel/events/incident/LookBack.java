package io.keycloaksentinel.events.incident;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.flow.MfaStepConfig;
import org.jboss.logging.Logger;
import org.keycloak.events.Event;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * The look-back of an attack: each successful sign-in from a device new to the account (in a realm
 * that tracks devices: new-device alerts, the MFA step-up, a containment policy) is checked for the other two signs of a break-in, a network new to the
 * account and a source with no history in the realm, and remembered when it has both, whether or
 * not an attack is on: when one is declared, the sign-ins of the minutes before it are already
 * there ({@code IncidentLedger#likelyBreakIns}), whatever the spread of the botnet. A sign-in from a
 * known device costs nothing here; one from a new device at most two cluster reads.
 */
public final class LookBack {

    private static final Logger LOG = Logger.getLogger(LookBack.class);

    private LookBack() {
    }

    /**
     * Whether the realm keeps device histories for more than the new-device alerts: the MFA step reads
     * them (risky enrollment, unknown-device step-up), with the realm's MFA settings on or a step in
     * one of its flows whose settings read them, and so does a containment policy.
     */
    public static boolean tracksDevices(RealmModel realm) {
        return MfaSettings.tracksDevices(realm::getAttribute) || ContainmentSettings.read(realm::getAttribute).on()
                || MfaStepConfig.readsDevices(realm);
    }

    /** Whether the realm's sign-ins are looked at for the look-back ({@link #newDevice}). */
    public static boolean looksBack(RealmModel realm) {
        return AlertSettings.read(realm::getAttribute).newDeviceAlerts() || tracksDevices(realm);
    }

    /** After a successful sign-in from a device new to the account. Never throws. */
    public static void newDevice(KeycloakSession session, RealmModel realm, UserModel user, Event event) {
        try {
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null || session.getContext().getConnection() == null
                    || RealmDetectionConfig.allowlisted(realm::getAttribute, event.getIpAddress())
                    || detection.risk().accountKnowsNetwork(realm, user)) {
                return;
            }
            detection.detector().incidents().rememberNewSignIn(realm.getId(), user.getId(), event.getIpAddress());
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: a new sign-in of realm '%s' was not remembered for the look-back: %s", realm.getName(),
                    e.toString());
        }
    }
}
