package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The third-party CAPTCHAs that {@link SiteVerifyCaptchaProvider} speaks to, as data: what each
 * puts on the page and where its answer is checked. They differ in nothing else.
 *
 * <ul>
 *   <li>reCAPTCHA v2 ("I'm not a robot" checkbox) and v3 (invisible, scored) need a site key and
 *       secret of their version from Google's reCAPTCHA admin console, and send the client's
 *       address and token to Google.</li>
 *   <li>v3: Sentinel's page script asks {@code grecaptcha.execute} for a token for the action
 *       {@value #RECAPTCHA_V3_ACTION} on submit; Google answers with a score from 0.0 (bot) to 1.0
 *       (human). A score below the realm's {@link CaptchaSettings#minScore()} is
 *       {@link Outcome#LOW_SCORE}, a token minted for another action {@link Outcome#INVALID}.</li>
 *   <li>hCaptcha also gets the site key, so that a token solved for another site is refused.</li>
 *   <li>Cloudflare Turnstile: the site does not have to be behind Cloudflare.</li>
 * </ul>
 *
 * @param id          the provider id realms store ({@code sentinel.captcha.provider})
 * @param field       the form field the vendor's widget posts its token in
 * @param verifyUrl   the vendor's documented {@code siteverify} URL, used when the realm sets none
 * @param script      the vendor's widget script
 * @param widgetClass the class of the widget's {@code div}, which the vendor's script (or, for v3,
 *                    Sentinel's) looks for
 * @param scored      reCAPTCHA v3: invisible, the script rendered for the site key, and a verdict
 *                    from the reply's score and action
 * @param sendSiteKey hCaptcha: the site key goes to {@code siteverify} too
 */
public record SiteVerifyVendor(String id, String field, String verifyUrl, String script, String widgetClass,
                               boolean scored, boolean sendSiteKey) {

    /** The action Sentinel's page script names when it asks reCAPTCHA v3 for a token. */
    public static final String RECAPTCHA_V3_ACTION = "login";

    private static final String GOOGLE_FIELD = "g-recaptcha-response";
    private static final String GOOGLE_VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify";
    private static final String GOOGLE_SCRIPT = "https://www.google.com/recaptcha/api.js";

    public static final SiteVerifyVendor RECAPTCHA = new SiteVerifyVendor("recaptcha", GOOGLE_FIELD, GOOGLE_VERIFY_URL,
            GOOGLE_SCRIPT, "g-recaptcha", false, false);
    public static final SiteVerifyVendor RECAPTCHA_V3 = new SiteVerifyVendor("recaptcha-v3", GOOGLE_FIELD,
            GOOGLE_VERIFY_URL, GOOGLE_SCRIPT, "sentinel-recaptcha-v3", true, false);
    public static final SiteVerifyVendor HCAPTCHA = new SiteVerifyVendor("hcaptcha", "h-captcha-response",
            "https://api.hcaptcha.com/siteverify", "https://js.hcaptcha.com/1/api.js", "h-captcha", false, true);
    public static final SiteVerifyVendor TURNSTILE = new SiteVerifyVendor("turnstile", "cf-turnstile-response",
            "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            "https://challenges.cloudflare.com/turnstile/v0/api.js", "cf-turnstile", false, false);
    /** Every vendor, each registered as its own provider. */
    public static final List<SiteVerifyVendor> ALL = List.of(RECAPTCHA, RECAPTCHA_V3, HCAPTCHA, TURNSTILE);

    /** The widget for a site key (never null: a half-configured realm still renders a page). */
    CaptchaWidget widget(String siteKey) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("class", widgetClass);
        attributes.put("data-sitekey", siteKey);
        if (!scored) {
            return new CaptchaWidget(List.of(script), "div", attributes, false);
        }
        attributes.put("data-action", RECAPTCHA_V3_ACTION);
        String rendered = script + "?render=" + URLEncoder.encode(siteKey, StandardCharsets.UTF_8);
        return new CaptchaWidget(List.of(rendered), "div", attributes, true);
    }

    /** Form fields the vendor wants besides {@code secret}, {@code response} and {@code remoteip}. */
    Map<String, String> extraFields(CaptchaSettings settings) {
        return sendSiteKey ? Map.of("sitekey", settings.siteKey()) : Map.of();
    }

    /**
     * The verdict for a reply with {@code success: true}. A v3 reply always has a score; without
     * one the reply (or the key's type) is wrong. May throw on a reply of the wrong shape.
     */
    CaptchaVerdict accepted(CaptchaSettings settings, Map<?, ?> reply) {
        if (!scored) {
            return CaptchaVerdict.passed();
        }
        if (!(reply.get("score") instanceof Number number) || !Double.isFinite(number.doubleValue())) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply");
        }
        Object action = reply.get("action");
        if (action != null && !RECAPTCHA_V3_ACTION.equals(action)) {
            return CaptchaVerdict.of(Outcome.INVALID, "wrong action");
        }
        double score = number.doubleValue();
        if (score < settings.minScore()) {
            return CaptchaVerdict.of(Outcome.LOW_SCORE, "score " + score + " below " + settings.minScore());
        }
        return CaptchaVerdict.passed();
    }
}
