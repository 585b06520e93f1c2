package io.keycloaksentinel.authenticators;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/** Serves {@code /realms/{realm}/sentinel-captcha} (see {@link CaptchaResource}). */
public final class CaptchaResourceProviderFactory implements RealmResourceProviderFactory {

    public static final String PROVIDER_ID = "sentinel-captcha";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new CaptchaResource(session);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
