package io.keycloaksentinel.authenticators.captcha;

/** reCAPTCHA v3 (invisible, scored): {@link SiteVerifyVendor#RECAPTCHA_V3}, registered under its id. */
public final class RecaptchaV3CaptchaProvider extends SiteVerifyCaptchaProvider {

    public RecaptchaV3CaptchaProvider() {
        super(SiteVerifyVendor.RECAPTCHA_V3);
    }
}
