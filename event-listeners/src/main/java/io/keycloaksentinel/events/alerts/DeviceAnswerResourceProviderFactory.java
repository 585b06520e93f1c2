package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/** Serves {@code /realms/{realm}/sentinel-device} (see {@link DeviceAnswerResource}). */
public final class DeviceAnswerResourceProviderFactory
        implements RealmResourceProviderFactory, SentinelProviderFactory<RealmResourceProvider> {

    public static final String PROVIDER_ID = "sentinel-device";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new DeviceAnswerResource(session);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
