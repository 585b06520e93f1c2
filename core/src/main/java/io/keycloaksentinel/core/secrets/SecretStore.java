package io.keycloaksentinel.core.secrets;

import org.keycloak.provider.Provider;

/**
 * The provider type of Sentinel's secret-holding realm components ({@link SecretStoreSpi}). The
 * components are only storage: Keycloak keeps them in its database and realm cache, shares them
 * with every node, masks their secret values in every admin read and partial export, and keeps
 * {@code ${vault.key}} references as they are. Nothing is created from them.
 */
public interface SecretStore extends Provider {

    @Override
    default void close() {
    }
}
