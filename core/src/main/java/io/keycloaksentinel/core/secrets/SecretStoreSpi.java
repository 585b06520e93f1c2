package io.keycloaksentinel.core.secrets;

import io.keycloaksentinel.core.SentinelSpi;

/**
 * Sentinel's own SPI for realm components that hold secrets: the realm's settings secrets
 * ({@code sentinel-realm-secrets}: CAPTCHA vendor secret, webhook secret and URL). Keycloak needs
 * a component's type registered to store, import and mask it.
 */
public final class SecretStoreSpi extends SentinelSpi {

    public static final String NAME = "sentinel-secret-store";

    public SecretStoreSpi() {
        super(NAME, SecretStore.class, SecretStoreFactory.class);
    }
}
