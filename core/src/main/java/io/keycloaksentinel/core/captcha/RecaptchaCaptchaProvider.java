package io.keycloaksentinel.core.captcha;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Google reCAPTCHA v2 ("I'm not a robot" checkbox). The widget posts its token as
 * {@code g-recaptcha-response}; the server checks it with Google's {@code siteverify}. Needs a
 * v2 site key and secret from the reCAPTCHA admin console, and sends the client's address and
 * token to Google.
 */
public final class RecaptchaCaptchaProvider extends SiteVerifyCaptchaProvider {

    public static final String ID = "recaptcha";
    public static final String FIELD = "g-recaptcha-response";
    static final String VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify";
    static final String SCRIPT = "https://www.google.com/recaptcha/api.js";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public String responseField() {
        return FIELD;
    }

    @Override
    protected String defaultVerifyUrl() {
        return VERIFY_URL;
    }

    @Override
    public CaptchaWidget widget(CaptchaRequest request) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("class", "g-recaptcha");
        attributes.put("data-sitekey", siteKey(request));
        return new CaptchaWidget(List.of(SCRIPT), "div", attributes, false);
    }
}
