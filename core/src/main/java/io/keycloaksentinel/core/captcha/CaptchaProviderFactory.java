package io.keycloaksentinel.core.captcha;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderFactory;

/**
 * Factory of a {@link CaptchaProvider}. Providers are stateless, so a provider class usually
 * implements both interfaces and returns itself from {@link #create}: a new vendor is one class
 * plus one line in {@code META-INF/services/io.keycloaksentinel.core.captcha.CaptchaProviderFactory}
 * (a {@code siteverify} vendor: a {@link SiteVerifyVendor} and a subclass of
 * {@link SiteVerifyCaptchaProvider} naming it).
 */
public interface CaptchaProviderFactory extends ProviderFactory<CaptchaProvider> {

    @Override
    default void init(Config.Scope config) {
    }

    @Override
    default void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    default void close() {
    }

    /** Convenience for stateless providers that implement both interfaces. */
    @Override
    default CaptchaProvider create(KeycloakSession session) {
        return (CaptchaProvider) this;
    }
}
