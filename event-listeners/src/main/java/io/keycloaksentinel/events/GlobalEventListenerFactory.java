package io.keycloaksentinel.events;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;

/**
 * A Sentinel event listener's factory: global (every realm's events, without anyone adding the
 * listener to a realm's event configuration, so no realm is left out by a forgotten setting), with
 * the default lifecycle of {@link SentinelProviderFactory}. A subclass says what it creates.
 */
public abstract class GlobalEventListenerFactory
        implements EventListenerProviderFactory, SentinelProviderFactory<EventListenerProvider> {

    private final String id;

    protected GlobalEventListenerFactory(String id) {
        this.id = id;
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
