package io.keycloaksentinel.authenticators.captcha;

/** reCAPTCHA v2 (checkbox): {@link SiteVerifyVendor#RECAPTCHA}, registered under its id. */
public final class RecaptchaCaptchaProvider extends SiteVerifyCaptchaProvider {

    public RecaptchaCaptchaProvider() {
        super(SiteVerifyVendor.RECAPTCHA);
    }
}
