package io.keycloaksentinel.events;

import io.keycloaksentinel.core.SentinelVersion;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * Feeds every login outcome of every realm to the attack detector. Global: a realm is counted
 * without anyone adding the listener to its event configuration, so no realm is left unprotected
 * by a forgotten setting (and Keycloak's own event storage need not be on).
 */
public final class AttackDetectionEventListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-attack-detection";

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new AttackDetectionEventListener(session);
    }

    @Override
    public boolean isGlobal() {
        return true;
    }

    @Override
    public void init(Config.Scope config) {
        // no options: what to count is fixed, thresholds live with the detector
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        // nothing to wire
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return SentinelVersion.current().operationalInfo();
    }
}
