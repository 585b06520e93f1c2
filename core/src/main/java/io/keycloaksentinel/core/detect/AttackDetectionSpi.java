package io.keycloaksentinel.core.detect;

import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;

/**
 * Sentinel's own SPI: the attack detector that event listeners feed and authenticators ask.
 * One provider ships ({@code sentinel-infinispan}); its server options are
 * {@code --spi-sentinel-attack-detection--sentinel-infinispan--<option>}.
 */
public final class AttackDetectionSpi implements Spi {

    public static final String NAME = "sentinel-attack-detection";

    @Override
    public boolean isInternal() {
        return false;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public Class<? extends Provider> getProviderClass() {
        return AttackDetectionProvider.class;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends ProviderFactory> getProviderFactoryClass() {
        return AttackDetectionProviderFactory.class;
    }
}
