package io.keycloaksentinel.authenticators.captcha;

/** hCaptcha: {@link SiteVerifyVendor#HCAPTCHA}, registered under its id. */
public final class HcaptchaCaptchaProvider extends SiteVerifyCaptchaProvider {

    public HcaptchaCaptchaProvider() {
        super(SiteVerifyVendor.HCAPTCHA);
    }
}
