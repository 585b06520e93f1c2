package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.core.SentinelSpi;

/**
 * Sentinel's CAPTCHA SPI: one small contract (render a widget, verify an answer) behind which
 * every CAPTCHA vendor is one class. The login form, the registration form action and the
 * reset-credentials step ask the realm's chosen provider; none of them knows any vendor.
 */
public final class CaptchaSpi extends SentinelSpi {

    public static final String NAME = "sentinel-captcha";

    public CaptchaSpi() {
        super(NAME, CaptchaProvider.class, CaptchaProviderFactory.class);
    }
}
