package io.keycloaksentinel.core.secrets;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSession;

/**
 * What Sentinel's storage components have in common: internal (Keycloak's components API neither
 * lists, creates, changes nor deletes them) and nothing created from them; a subclass says its id,
 * help text and properties.
 */
public abstract class StorageComponentFactory implements SecretStoreFactory, SentinelProviderFactory<SecretStore> {

    private static final SecretStore NOTHING = new SecretStore() {
    };

    @Override
    public final boolean isInternal() {
        return true;
    }

    @Override
    public final SecretStore create(KeycloakSession session, ComponentModel model) {
        return NOTHING;
    }

    @Override
    public final SecretStore create(KeycloakSession session) {
        return NOTHING;
    }
}
