package io.keycloaksentinel.core.provider;

import io.keycloaksentinel.core.SentinelVersion;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * The lifecycle most of Sentinel's provider factories have: no server options, nothing to wire
 * after start-up, nothing held to close; and Sentinel's version in the server info (admin console,
 * "Provider info"). A factory implements this beside its Keycloak factory interface and says only
 * what differs: its id, what it creates, and whatever lifecycle step it does need.
 *
 * <p>A class that is also its own provider (a {@code Provider} has an abstract {@code close()} of
 * its own) declares {@code close()} itself, or inherits it from a base class.
 */
public interface SentinelProviderFactory<T extends Provider> extends ProviderFactory<T>, ServerInfoAwareProviderFactory {

    @Override
    default void init(Config.Scope config) {
        // no server options
    }

    @Override
    default void postInit(KeycloakSessionFactory factory) {
        // nothing to wire
    }

    @Override
    default void close() {
        // nothing held
    }

    @Override
    default Map<String, String> getOperationalInfo() {
        return SentinelVersion.current().operationalInfo();
    }
}
