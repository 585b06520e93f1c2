package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.SentinelVersion;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * New-device alerts and security notifications. Global, like the detection listener: a realm
 * turns them on with its Sentinel settings, not by editing its event listeners; a realm that
 * turns nothing on costs one attribute read per event.
 */
public final class DeviceAlertEventListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-security-alerts";

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new DeviceAlertEventListener(session);
    }

    @Override
    public boolean isGlobal() {
        return true;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
        // the mail queue is core's provider (sentinel-mail-queue), which shuts it down
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
