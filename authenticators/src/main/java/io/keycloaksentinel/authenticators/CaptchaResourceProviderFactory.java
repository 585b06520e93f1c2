package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/** Serves {@code /realms/{realm}/sentinel-captcha} (see {@link CaptchaResource}). */
public final class CaptchaResourceProviderFactory
        implements RealmResourceProviderFactory, SentinelProviderFactory<RealmResourceProvider> {

    public static final String PROVIDER_ID = "sentinel-captcha";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new CaptchaResource(session);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
