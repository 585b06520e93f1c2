package io.keycloaksentinel.events;

/**
 * Feeds every login outcome of every realm to the attack detector. Global: a realm is counted
 * without anyone adding the listener to its event configuration, so no realm is left unprotected
 * by a forgotten setting (and Keycloak's own event storage need not be on). No options: what to
 * count is fixed, thresholds live with the detector.
 */
public final class AttackDetectionEventListenerFactory extends GlobalEventListenerFactory {

    public static final String PROVIDER_ID = "sentinel-attack-detection";

    public AttackDetectionEventListenerFactory() {
        super(PROVIDER_ID, AttackDetectionEventListener::new);
    }
}
