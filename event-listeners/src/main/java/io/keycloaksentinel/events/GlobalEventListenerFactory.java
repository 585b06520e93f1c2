package io.keycloaksentinel.events;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import java.util.function.Function;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;

/**
 * A Sentinel event listener's factory: global (every realm's events, without anyone adding the
 * listener to a realm's event configuration, so no realm is left out by a forgotten setting), with
 * the default lifecycle of {@link SentinelProviderFactory}. A subclass names its id and listener.
 */
public abstract class GlobalEventListenerFactory
        implements EventListenerProviderFactory, SentinelProviderFactory<EventListenerProvider> {

    private final String id;
    private final Function<KeycloakSession, EventListenerProvider> listener;

    protected GlobalEventListenerFactory(String id, Function<KeycloakSession, EventListenerProvider> listener) {
        this.id = id;
        this.listener = listener;
    }

    @Override
    public final EventListenerProvider create(KeycloakSession session) {
        return listener.apply(session);
    }

    @Override
    public final boolean isGlobal() {
        return true;
    }

    @Override
    public final String getId() {
        return id;
    }
}
