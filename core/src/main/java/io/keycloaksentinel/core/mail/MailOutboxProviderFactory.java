package io.keycloaksentinel.core.mail;

import org.keycloak.provider.ProviderFactory;

/** Factory type of {@link MailOutboxSpi}. */
public interface MailOutboxProviderFactory extends ProviderFactory<MailOutboxProvider> {
}
