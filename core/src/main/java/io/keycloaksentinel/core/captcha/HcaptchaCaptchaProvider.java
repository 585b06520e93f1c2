package io.keycloaksentinel.core.captcha;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * hCaptcha. The widget posts its token as {@code h-captcha-response}; the server checks it with
 * hCaptcha's {@code siteverify}, also sending the site key so that a token solved for another
 * site is refused. Needs a site key and secret from the hCaptcha dashboard.
 */
public final class HcaptchaCaptchaProvider extends SiteVerifyCaptchaProvider {

    public static final String ID = "hcaptcha";
    public static final String FIELD = "h-captcha-response";
    static final String VERIFY_URL = "https://api.hcaptcha.com/siteverify";
    static final String SCRIPT = "https://js.hcaptcha.com/1/api.js";

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
    protected Map<String, String> extraFields(CaptchaSettings settings) {
        return Map.of("sitekey", settings.siteKey());
    }

    @Override
    public CaptchaWidget widget(CaptchaRequest request) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("class", "h-captcha");
        attributes.put("data-sitekey", siteKey(request));
        return new CaptchaWidget(List.of(SCRIPT), "div", attributes, false);
    }
}
