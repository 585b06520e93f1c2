package io.keycloaksentinel.core.captcha;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cloudflare Turnstile. The widget posts its token as {@code cf-turnstile-response}; the server
 * checks it with Cloudflare's {@code siteverify}. Needs a site key and secret from the Cloudflare
 * dashboard (the site does not have to be behind Cloudflare).
 */
public final class TurnstileCaptchaProvider extends SiteVerifyCaptchaProvider {

    public static final String ID = "turnstile";
    public static final String FIELD = "cf-turnstile-response";
    static final String VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
    static final String SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js";

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
        attributes.put("class", "cf-turnstile");
        attributes.put("data-sitekey", siteKey(request));
        return new CaptchaWidget(List.of(SCRIPT), "div", attributes, false);
    }
}
