package io.keycloaksentinel.core.captcha;

import io.keycloaksentinel.core.captcha.CaptchaVerdict.Outcome;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.altcha.altcha.Altcha;
import org.keycloak.util.JsonSerialization;

/**
 * The built-in, self-hosted proof-of-work CAPTCHA (the ALTCHA protocol, with the
 * {@code org.altcha:altcha} library on the server and the {@code altcha} web component, taken
 * from its npm package at build time, in the browser). No third party, nothing to sign up for,
 * works offline.
 *
 * <p>A challenge is {@code SHA-256(salt + n)} for a secret random {@code n} below
 * {@code maxnumber}; the browser searches for {@code n}. The salt carries the realm id and an
 * expiry, and the challenge is HMAC-signed with the realm's CAPTCHA key, so a challenge cannot
 * be forged, moved to another realm or kept past its expiry. A solved challenge is used once:
 * its signature goes into the cluster's replay register until it expires. The search space
 * grows with the risk of the request. The server's cost is one SHA-256 and one HMAC.
 */
public final class AltchaCaptchaProvider implements CaptchaProvider, CaptchaProviderFactory {

    public static final String ID = "altcha";
    public static final String FIELD = "altcha";
    /** The widget script, copied from the npm package into the JAR at build time. */
    public static final String SCRIPT = "sentinel/altcha/altcha.i18n.umd.js";
    static final int MAX_ANSWER_CHARS = 4096;
    private static final int MAX_SALT_CHARS = 512;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final String ALGORITHM = "SHA-256";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public void close() {
        // stateless
    }

    @Override
    public String responseField() {
        return FIELD;
    }

    @Override
    public CaptchaWidget widget(CaptchaRequest request) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("name", FIELD);
        attributes.put("challengejson", challengeJson(request));
        attributes.put("challengeurl", request.realmUrl() + "/sentinel-captcha/challenge");
        attributes.put("auto", "onload");
        attributes.put("hidefooter", "true");
        if (request.language() != null) {
            attributes.put("language", request.language());
        }
        return new CaptchaWidget(List.of(request.resourcesUrl() + "/" + SCRIPT), "altcha-widget", attributes, false);
    }

    /** A fresh signed challenge as the widget reads it. */
    public String challengeJson(CaptchaRequest request) {
        try {
            Altcha.ChallengeOptions options = new Altcha.ChallengeOptions()
                    .setAlgorithm(Altcha.Algorithm.SHA256)
                    .setMaxNumber(request.settings().work(request.risk()))
                    .setSecureRandomNumber(true)
                    .setHmacKey(hmacKey(request))
                    .setExpires(request.clock().getAsLong() / 1000 + request.settings().challengeSeconds())
                    .addParam("realm", request.realmId());
            Altcha.Challenge c = Altcha.createChallenge(options);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("algorithm", c.algorithm);
            json.put("challenge", c.challenge);
            json.put("maxnumber", c.maxnumber);
            json.put("salt", c.salt);
            json.put("signature", c.signature);
            return JsonSerialization.writeValueAsString(json);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a proof-of-work challenge", e);
        }
    }

    @Override
    public CaptchaVerdict verify(CaptchaRequest request, String answer) {
        if (answer == null || answer.isBlank()) {
            return CaptchaVerdict.of(Outcome.MISSING, "no answer");
        }
        if (answer.length() > MAX_ANSWER_CHARS) {
            return CaptchaVerdict.of(Outcome.INVALID, "oversize answer");
        }
        Map<?, ?> payload;
        try {
            byte[] decoded = Base64.getDecoder().decode(answer.strip());
            payload = JsonSerialization.readValue(decoded, Map.class);
        } catch (Exception e) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        if (payload == null || !(payload.get("salt") instanceof String salt) || !(payload.get("challenge") instanceof String challenge)
                || !(payload.get("signature") instanceof String signature) || !(payload.get("number") instanceof Number number)
                || !ALGORITHM.equals(payload.get("algorithm"))) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        if (salt.length() > MAX_SALT_CHARS || !HEX64.matcher(challenge).matches() || !HEX64.matcher(signature).matches()
                || number.longValue() < 0 || number.longValue() > CaptchaSettings.MAX_WORK
                || number.doubleValue() != number.longValue()) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        Map<String, String> params = saltParams(salt);
        String realm = params.get("realm");
        long expires;
        try {
            expires = Long.parseLong(params.getOrDefault("expires", ""));
        } catch (NumberFormatException e) {
            return CaptchaVerdict.of(Outcome.INVALID, "challenge without expiry");
        }
        // the signature first (an HMAC over the posted challenge: forged, moved or altered), then the
        // solution (the posted number must hash to the signed challenge); constant-time compares
        boolean signed;
        boolean solved;
        try {
            String expectedSignature = Altcha.hmacHex(Altcha.Algorithm.SHA256, bytes(challenge), hmacKey(request));
            String expectedChallenge = Altcha.hashHex(Altcha.Algorithm.SHA256, salt + number.longValue());
            signed = MessageDigest.isEqual(bytes(expectedSignature), bytes(signature));
            solved = MessageDigest.isEqual(bytes(expectedChallenge), bytes(challenge));
        } catch (Exception e) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        if (!signed) {
            return CaptchaVerdict.of(Outcome.INVALID, "bad signature");
        }
        if (!solved) {
            return CaptchaVerdict.of(Outcome.INVALID, "wrong solution");
        }
        if (!request.realmId().equals(realm)) {
            return CaptchaVerdict.of(Outcome.INVALID, "challenge of another realm");
        }
        long nowSeconds = request.clock().getAsLong() / 1000;
        if (nowSeconds > expires) {
            return CaptchaVerdict.of(Outcome.EXPIRED, "challenge expired");
        }
        try {
            Duration keep = Duration.ofSeconds(expires - nowSeconds + 60);
            if (!request.replay().firstUse(signature, keep)) {
                return CaptchaVerdict.of(Outcome.REPLAYED, "answer already used");
            }
        } catch (RuntimeException e) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "replay register unavailable");
        }
        return CaptchaVerdict.passed();
    }

    private static String hmacKey(CaptchaRequest request) {
        return HexFormat.of().formatHex(request.signingKey());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code key=value} pairs after the {@code ?} of a salt (the library's encoding; unknown pairs ignored). */
    static Map<String, String> saltParams(String salt) {
        Map<String, String> params = new LinkedHashMap<>();
        int q = salt.indexOf('?');
        if (q < 0) {
            return params;
        }
        for (String pair : salt.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                String key = java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.putIfAbsent(key, value);
            }
        }
        return params;
    }
}
