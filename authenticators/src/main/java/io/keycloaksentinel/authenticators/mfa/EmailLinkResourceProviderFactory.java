package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/** Serves {@code /realms/{realm}/sentinel-link} (see {@link EmailLinkResource}). */
public final class EmailLinkResourceProviderFactory
        implements RealmResourceProviderFactory, SentinelProviderFactory<RealmResourceProvider> {

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new EmailLinkResource(session);
    }

    @Override
    public String getId() {
        return EmailLinkStepUp.RESOURCE;
    }
}
