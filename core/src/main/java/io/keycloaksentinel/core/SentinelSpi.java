package io.keycloaksentinel.core;

import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;

/**
 * One of Sentinel's own SPIs (not internal): a name, the provider type others look up through the
 * session, and its factory type. Each SPI is a subclass with a no-argument constructor (Keycloak
 * finds them with the service loader).
 */
public abstract class SentinelSpi implements Spi {

    private final String name;
    private final Class<? extends Provider> provider;
    @SuppressWarnings("rawtypes")
    private final Class<? extends ProviderFactory> factory;

    @SuppressWarnings("rawtypes")
    protected SentinelSpi(String name, Class<? extends Provider> provider, Class<? extends ProviderFactory> factory) {
        this.name = name;
        this.provider = provider;
        this.factory = factory;
    }

    @Override
    public final boolean isInternal() {
        return false;
    }

    @Override
    public final String getName() {
        return name;
    }

    @Override
    public final Class<? extends Provider> getProviderClass() {
        return provider;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public final Class<? extends ProviderFactory> getProviderFactoryClass() {
        return factory;
    }
}
