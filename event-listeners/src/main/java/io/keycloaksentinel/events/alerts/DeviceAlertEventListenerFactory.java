package io.keycloaksentinel.events.alerts;

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
    private volatile MailOutbox outbox;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new DeviceAlertEventListener(session, outbox);
    }

    /** The mail queue of this server (null before the factory's postInit), for other Sentinel modules. */
    public MailOutbox outbox() {
        return outbox;
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
        outbox = new MailOutbox(factory);
    }

    @Override
    public void close() {
        MailOutbox o = outbox;
        if (o != null) {
            o.close();
        }
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        MailOutbox o = outbox;
        return Map.of("mailsPending", Integer.toString(o == null ? 0 : o.pending()));
    }
}
