package io.keycloaksentinel.authenticators.captcha;

/** Cloudflare Turnstile: {@link SiteVerifyVendor#TURNSTILE}, registered under its id. */
public final class TurnstileCaptchaProvider extends SiteVerifyCaptchaProvider {

    public TurnstileCaptchaProvider() {
        super(SiteVerifyVendor.TURNSTILE);
    }
}
