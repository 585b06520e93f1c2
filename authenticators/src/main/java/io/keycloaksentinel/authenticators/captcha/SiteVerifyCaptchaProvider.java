package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.net.BoundedHttp;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.keycloak.util.JsonSerialization;

/**
 * The third-party CAPTCHAs (reCAPTCHA v2 and v3, hCaptcha, Turnstile), one provider driven by a
 * {@link SiteVerifyVendor}: the browser runs the vendor's widget, which puts a one-time token in
 * the form, and the server asks the vendor's {@code siteverify} endpoint whether that token is
 * good. All the vendors document the same exchange: a form POST of {@code secret},
 * {@code response} and {@code remoteip}, answered by a JSON object with a boolean
 * {@code success} and a list of {@code error-codes}.
 *
 * <p>The vendor is a remote party on the login path, so the exchange is bounded: one deadline
 * ({@link CaptchaSettings#timeoutMillis()}) for connecting, sending and reading, at most
 * {@value #MAX_REPLY_BYTES} bytes of reply, no redirects. A token that cannot be a vendor's token
 * (oversize, not printable ASCII) is rejected without asking the vendor, and so is one the vendor
 * refuses with a status the token can cause (400, 413, 414, 422): {@link Outcome#INVALID}. Only a
 * vendor that cannot be reached or asked (network error, timeout, another status, a reply that
 * is not a siteverify object, the realm's secret refused) is {@link Outcome#UNAVAILABLE}, never
 * an exception: the caller applies the realm's fail-open setting to that alone. Tokens are
 * single-use at the vendor, so no replay register is needed. Sentinel does not compare the reply's
 * {@code hostname} with anything: it relies on the domains the vendor's dashboard lists for the
 * site key (for reCAPTCHA, keep "verify the origin of reCAPTCHA solutions" on).
 *
 * <p>Keycloak creates each factory from its class's no-argument constructor, so each vendor is
 * registered by a subclass that only names it ({@link RecaptchaCaptchaProvider},
 * {@link RecaptchaV3CaptchaProvider}, {@link HcaptchaCaptchaProvider}, {@link TurnstileCaptchaProvider}).
 */
public abstract class SiteVerifyCaptchaProvider implements CaptchaProvider, CaptchaProviderFactory {

    /** Longer than any vendor's token (Turnstile documents at most 2048 characters). */
    static final int MAX_TOKEN_CHARS = 16_384;
    /** A siteverify reply is a few hundred bytes; anything this long is not one. */
    static final int MAX_REPLY_BYTES = 64 * 1024;
    private static final int MAX_DETAIL_CHARS = 100;
    private static final int MIN_TIMEOUT_MILLIS = 100;
    private static final int MAX_TIMEOUT_MILLIS = 30_000;
    /**
     * Replies that the posted token can provoke (bad request, too large, unprocessable): the
     * client's answer is refused, INVALID. Other statuses (5xx; 408 and 429, the vendor busy;
     * 401, 403, 404, the realm's configuration) say nothing about the answer: UNAVAILABLE.
     */
    private static final Set<Integer> TOKEN_STATUSES = Set.of(400, 413, 414, 422);

    private final SiteVerifyVendor vendor;

    protected SiteVerifyCaptchaProvider(SiteVerifyVendor vendor) {
        this.vendor = vendor;
    }

    SiteVerifyVendor vendor() {
        return vendor;
    }

    @Override
    public String getId() {
        return vendor.id();
    }

    @Override
    public String responseField() {
        return vendor.field();
    }

    /** The vendor's widget; a realm without a site key still renders a page (with an empty one). */
    @Override
    public CaptchaWidget widget(CaptchaRequest request) {
        String key = request.settings().siteKey();
        return vendor.widget(key == null ? "" : key);
    }

    @Override
    public void close() {
        // stateless
    }

    @Override
    public CaptchaVerdict verify(CaptchaRequest request, String answer) {
        if (answer == null || answer.isBlank()) {
            return CaptchaVerdict.of(Outcome.MISSING, "no answer");
        }
        if (answer.length() > MAX_TOKEN_CHARS || !printableAscii(answer)) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        CaptchaSettings settings = request.settings();
        if (blank(settings.secret()) || blank(settings.siteKey())) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "not configured");
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("secret", settings.secret());
        form.put("response", answer);
        if (!blank(request.clientIp())) {
            form.put("remoteip", request.clientIp());
        }
        form.putAll(vendor.extraFields(settings));

        Map<?, ?> reply;
        try {
            reply = post(blank(settings.verifyUrl()) ? vendor.verifyUrl() : settings.verifyUrl(), form,
                    Math.max(MIN_TIMEOUT_MILLIS, Math.min(MAX_TIMEOUT_MILLIS, settings.timeoutMillis())));
        } catch (Refused e) {
            return CaptchaVerdict.of(Outcome.INVALID, e.getMessage());
        } catch (Unavailable e) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, e.getMessage());
        }
        if (!(reply.get("success") instanceof Boolean success)) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply");
        }
        if (!success) {
            if (reply.get("error-codes") instanceof List<?> codes
                    && (codes.contains("invalid-input-secret") || codes.contains("missing-input-secret"))) {
                // the realm's configuration is wrong, not the user's answer: the realm's fail-open
                // choice applies, and the metric shows "unavailable" for the admin to notice
                return CaptchaVerdict.of(Outcome.UNAVAILABLE, "the vendor rejects the configured secret");
            }
            return CaptchaVerdict.of(Outcome.INVALID, rejection(reply.get("error-codes"), settings.secret(), answer));
        }
        try {
            return vendor.accepted(settings, reply);
        } catch (RuntimeException e) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply");
        }
    }

    /**
     * POSTs {@code form} and returns the JSON object of a 200 reply.
     *
     * @throws Refused     for a status the posted token can cause (the vendor refuses the request's content)
     * @throws Unavailable for anything else that is not a 200 JSON object
     */
    private static Map<?, ?> post(String url, Map<String, String> form, int timeoutMillis) throws Refused, Unavailable {
        BoundedHttp.Call httpRequest = BoundedHttp.post(url, encode(form).getBytes(StandardCharsets.UTF_8))
                .orElseThrow(() -> new Unavailable("bad verify URL"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        byte[] body;
        try {
            body = BoundedHttp.send(httpRequest, MAX_REPLY_BYTES, timeoutMillis);
        } catch (BoundedHttp.Failure e) {
            if (TOKEN_STATUSES.contains(e.status())) {
                throw new Refused("rejected: status " + e.status());
            }
            throw new Unavailable(e.tooLarge() ? "garbage reply" : "vendor " + e.getMessage());
        }
        try {
            Object json = JsonSerialization.readValue(body, Object.class);
            if (json instanceof Map<?, ?> map) {
                return map;
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        throw new Unavailable("garbage reply");
    }

    private static String encode(Map<String, String> form) {
        StringBuilder body = new StringBuilder();
        for (Map.Entry<String, String> field : form.entrySet()) {
            if (body.length() > 0) {
                body.append('&');
            }
            body.append(URLEncoder.encode(field.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(field.getValue(), StandardCharsets.UTF_8));
        }
        return body.toString();
    }

    /**
     * "rejected" plus the vendor's error codes (constants such as {@code timeout-or-duplicate}),
     * kept to a safe alphabet and length; never the token or the secret, whatever the reply holds.
     */
    private static String rejection(Object errorCodes, String secret, String token) {
        List<String> codes = new ArrayList<>();
        if (errorCodes instanceof List<?> list) {
            for (Object code : list) {
                if (code instanceof String s && s.matches("[A-Za-z0-9_.-]{1,64}")) {
                    codes.add(s);
                }
            }
        }
        String detail = codes.isEmpty() ? "rejected" : "rejected: " + String.join(",", codes);
        if (detail.contains(secret) || detail.contains(token)) {
            return "rejected";
        }
        return detail.length() > MAX_DETAIL_CHARS ? detail.substring(0, MAX_DETAIL_CHARS - 3) + "..." : detail;
    }

    private static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** The vendor refused the request for its content, the only part of which the client chose is the token. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String detail) {
            super(detail, null, false, false);
        }
    }

    /** A vendor failure with its verdict detail. */
    private static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String detail) {
            super(detail, null, false, false);
        }
    }
}
