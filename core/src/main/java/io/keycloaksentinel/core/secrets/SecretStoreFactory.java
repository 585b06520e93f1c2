package io.keycloaksentinel.core.secrets;

import org.keycloak.component.ComponentFactory;

/** The factory type of {@link SecretStoreSpi}: one per kind of secret-holding component. */
public interface SecretStoreFactory extends ComponentFactory<SecretStore, SecretStore> {
}
