package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.SentinelSpi;

/**
 * Sentinel's own SPI: the attack detector that event listeners feed and authenticators ask.
 * One provider ships ({@code sentinel-infinispan}); its server options are
 * {@code --spi-sentinel-attack-detection--sentinel-infinispan--<option>}.
 */
public final class AttackDetectionSpi extends SentinelSpi {

    public static final String NAME = "sentinel-attack-detection";

    public AttackDetectionSpi() {
        super(NAME, AttackDetectionProvider.class, AttackDetectionProviderFactory.class);
    }
}
