package io.keycloaksentinel.core.mail;

import org.keycloak.provider.Provider;

/**
 * Hands out the node's {@link MailOutbox}; obtain with {@code session.getProvider(MailOutboxProvider.class)}
 * or {@link MailOutbox#of(org.keycloak.models.KeycloakSession)}.
 */
public interface MailOutboxProvider extends Provider {

    /** The queue (null before the factory's {@code postInit}). */
    MailOutbox outbox();

    @Override
    default void close() {
        // the queue belongs to the factory
    }
}
