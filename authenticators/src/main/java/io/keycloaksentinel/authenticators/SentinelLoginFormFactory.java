package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.browser.UsernamePasswordFormFactory;
import org.keycloak.models.KeycloakSession;

/**
 * "Sentinel Username Password Form": Keycloak's own Username Password Form (same page, same
 * brute-force integration, same reference category) with Sentinel's checks in front of the
 * password: a source that crossed its throttle threshold is answered 429 before the user is
 * looked up or any password is hashed. Put it in the browser flow in place of Keycloak's form.
 */
public final class SentinelLoginFormFactory extends UsernamePasswordFormFactory
        implements SentinelProviderFactory<Authenticator> {

    public static final String PROVIDER_ID = "sentinel-login-form";

    @Override
    public Authenticator create(KeycloakSession session) {
        return new SentinelLoginForm(session);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "Sentinel Username Password Form";
    }

    @Override
    public String getHelpText() {
        return "Keycloak's username and password form, with Sentinel's throttling and adaptive CAPTCHA checked before any password is hashed.";
    }

    @Override
    public boolean isConfigurable() {
        return true;
    }

    @Override
    public java.util.List<org.keycloak.provider.ProviderConfigProperty> getConfigProperties() {
        return CaptchaConfigProperties.list();
    }
}
