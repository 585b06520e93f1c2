package io.keycloaksentinel.core.captcha;

import io.keycloaksentinel.core.captcha.CaptchaVerdict.Outcome;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Google reCAPTCHA v3: invisible, no challenge for the user. Sentinel's page script asks
 * {@code grecaptcha.execute} for a token for the action {@code login} on submit and posts it as
 * {@code g-recaptcha-response}. Google answers with a score from 0.0 (bot) to 1.0 (human): a score
 * below the realm's {@link CaptchaSettings#minScore()} is {@link Outcome#LOW_SCORE}, and a token
 * minted for another action is {@link Outcome#INVALID}. Needs a v3 site key and secret.
 */
public final class RecaptchaV3CaptchaProvider extends SiteVerifyCaptchaProvider {

    public static final String ID = "recaptcha-v3";
    public static final String FIELD = RecaptchaCaptchaProvider.FIELD;
    /** The action Sentinel's page script names when it asks for a token. */
    public static final String ACTION = "login";

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
        return RecaptchaCaptchaProvider.VERIFY_URL;
    }

    @Override
    public CaptchaWidget widget(CaptchaRequest request) {
        String siteKey = siteKey(request);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("class", "sentinel-recaptcha-v3");
        attributes.put("data-sitekey", siteKey);
        attributes.put("data-action", ACTION);
        String script = RecaptchaCaptchaProvider.SCRIPT + "?render=" + URLEncoder.encode(siteKey, StandardCharsets.UTF_8);
        return new CaptchaWidget(List.of(script), "div", attributes, true);
    }

    /** A v3 reply always has a score; without one the reply (or the key's type) is wrong. */
    @Override
    protected CaptchaVerdict accepted(CaptchaRequest request, Map<?, ?> reply) {
        if (!(reply.get("score") instanceof Number number) || !Double.isFinite(number.doubleValue())) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply");
        }
        Object action = reply.get("action");
        if (action != null && !ACTION.equals(action)) {
            return CaptchaVerdict.of(Outcome.INVALID, "wrong action");
        }
        double score = number.doubleValue();
        if (score < request.settings().minScore()) {
            return CaptchaVerdict.of(Outcome.LOW_SCORE, "score " + score + " below " + request.settings().minScore());
        }
        return CaptchaVerdict.passed();
    }
}
