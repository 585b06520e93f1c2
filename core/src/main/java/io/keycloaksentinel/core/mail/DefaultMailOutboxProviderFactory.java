package io.keycloaksentinel.core.mail;

import io.keycloaksentinel.core.SentinelVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * The node's mail queue: created in {@code postInit} (it opens sessions of its own to send) and
 * shut down with the server. Reports the mails waiting as {@code mailsPending}.
 */
public final class DefaultMailOutboxProviderFactory implements MailOutboxProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-mail-queue";
    private volatile MailOutbox outbox;

    @Override
    public MailOutboxProvider create(KeycloakSession session) {
        MailOutbox o = outbox;
        return () -> o;
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
        Map<String, String> info = new LinkedHashMap<>(SentinelVersion.current().operationalInfo());
        info.put("mailsPending", Integer.toString(o == null ? 0 : o.pending()));
        return info;
    }
}
