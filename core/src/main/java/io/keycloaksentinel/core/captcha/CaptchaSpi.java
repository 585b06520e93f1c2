package io.keycloaksentinel.core.captcha;

import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;

/**
 * Sentinel's CAPTCHA SPI: one small contract (render a widget, verify an answer) behind which
 * every CAPTCHA vendor is one class. The login form, the registration form action and the
 * reset-credentials step ask the realm's chosen provider; none of them knows any vendor.
 */
public final class CaptchaSpi implements Spi {

    public static final String NAME = "sentinel-captcha";

    @Override
    public boolean isInternal() {
        return false;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public Class<? extends Provider> getProviderClass() {
        return CaptchaProvider.class;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends ProviderFactory> getProviderFactoryClass() {
        return CaptchaProviderFactory.class;
    }
}
