package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.models.KeycloakSession;

/**
 * Factory of a {@link CaptchaProvider}. Providers are stateless, so a provider class usually
 * implements both interfaces and returns itself from {@link #create}: a new vendor is one class
 * plus one line in {@code META-INF/services/io.keycloaksentinel.authenticators.captcha.CaptchaProviderFactory}
 * (a {@code siteverify} vendor: a {@link SiteVerifyVendor} and a subclass of
 * {@link SiteVerifyCaptchaProvider} naming it).
 */
public interface CaptchaProviderFactory extends SentinelProviderFactory<CaptchaProvider> {

    /** Convenience for stateless providers that implement both interfaces. */
    @Override
    default CaptchaProvider create(KeycloakSession session) {
        return (CaptchaProvider) this;
    }
}
