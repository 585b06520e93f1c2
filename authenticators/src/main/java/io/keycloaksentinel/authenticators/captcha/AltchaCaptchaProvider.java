package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * {@code maxnumber}; the browser searches for {@code n}. The salt carries the realm id, the form,
 * the work ({@code maxnumber}) and an expiry, and the challenge is HMAC-signed with the realm's
 * CAPTCHA key; the salt is part of the signed challenge, so a challenge cannot be forged, moved
 * to another realm or form, made to claim more work, or kept past its expiry. A solved challenge
 * is used once: its signature goes into the cluster's replay register until it expires. The
 * search space grows with the risk of the request, and an answer to a challenge issued with less
 * work than the request's risk asks now is refused. The server's cost is one SHA-256 and one HMAC.
 *
 * <p>{@link #verify} never throws: anything malformed is {@link Outcome#INVALID}; only a replay
 * register that cannot answer is {@link Outcome#UNAVAILABLE}.
 */
public final class AltchaCaptchaProvider implements CaptchaProvider, CaptchaProviderFactory {

    public static final String ID = "altcha";
    public static final String FIELD = "altcha";
    /** The widget script, copied from the npm package into the JAR at build time. */
    public static final String SCRIPT = "sentinel/altcha/altcha.i18n.umd.js";
    static final int MAX_ANSWER_CHARS = 4096;
    /** The signed challenge's parameters (in its salt): the realm, the form and the work it was issued for. */
    static final String PARAM_REALM = "realm";
    static final String PARAM_FORM = "form";
    static final String PARAM_WORK = "work";
    static final String PARAM_EXPIRES = "expires";
    /** A bound on how long an answer's signature is kept (the expiry is signed; this only guards the arithmetic). */
    private static final long MAX_KEEP_SECONDS = 86_400;
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,18}");

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
        // a refreshed challenge is bound to the same form
        attributes.put("challengeurl", request.realmUrl() + "/sentinel-captcha/challenge?form="
                + URLEncoder.encode(request.form(), StandardCharsets.UTF_8));
        attributes.put("auto", "onload");
        attributes.put("hidefooter", "true");
        if (request.language() != null) {
            attributes.put("language", request.language());
        }
        return new CaptchaWidget(List.of(request.resourcesUrl() + "/" + SCRIPT), "altcha-widget", attributes, false);
    }

    /**
     * A fresh signed challenge as the widget reads it, for the request's form, with the work its
     * risk asks. The realm, the form and the work go into the salt, which the signature covers.
     */
    public String challengeJson(CaptchaRequest request) {
        try {
            long work = request.settings().work(request.risk());
            Altcha.ChallengeOptions options = new Altcha.ChallengeOptions()
                    .setAlgorithm(Altcha.Algorithm.SHA256)
                    .setMaxNumber(work)
                    .setSecureRandomNumber(true)
                    .setHmacKey(hmacKey(request))
                    .setExpires(request.clock().getAsLong() / 1000 + request.settings().challengeSeconds())
                    .addParam(PARAM_REALM, request.realmId())
                    .addParam(PARAM_FORM, request.form())
                    .addParam(PARAM_WORK, Long.toString(work));
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
        try {
            return check(request, answer);
        } catch (RuntimeException e) {
            // the checks below are written not to throw; whatever slips through is the client's
            // doing, so it is a failure, never "unavailable" (which a realm may let through)
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
    }

    private static CaptchaVerdict check(CaptchaRequest request, String answer) {
        AltchaPayload p = AltchaPayload.parse(answer);
        if (p == null) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        // the signature first (an HMAC over the posted challenge: forged, moved or altered), then the
        // solution (the posted number must hash to the signed challenge, so the salt and all its
        // parameters are signed too); constant-time compares
        boolean signed;
        String expectedChallenge;
        try {
            signed = MessageDigest.isEqual(bytes(Altcha.hmacHex(Altcha.Algorithm.SHA256, bytes(p.challenge()),
                    hmacKey(request))), bytes(p.signature()));
            if (!signed && request.previousSigningKey() != null) {
                // a challenge issued before the realm's key rotation verifies during the grace period
                signed = MessageDigest.isEqual(bytes(Altcha.hmacHex(Altcha.Algorithm.SHA256, bytes(p.challenge()),
                        HexFormat.of().formatHex(request.previousSigningKey()))), bytes(p.signature()));
            }
            expectedChallenge = Altcha.hashHex(Altcha.Algorithm.SHA256, p.salt() + p.number());
        } catch (Exception e) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed answer");
        }
        if (!signed) {
            return CaptchaVerdict.of(Outcome.INVALID, "bad signature");
        }
        if (!MessageDigest.isEqual(bytes(expectedChallenge), bytes(p.challenge()))) {
            return CaptchaVerdict.of(Outcome.INVALID, "wrong solution");
        }
        Optional<Map<String, String>> params = saltParams(p.salt());
        if (params.isEmpty()) {
            return CaptchaVerdict.of(Outcome.INVALID, "malformed challenge");
        }
        Optional<CaptchaVerdict> unbound = binding(request, params.get());
        if (unbound.isPresent()) {
            return unbound.get();
        }
        long expires = wholeNumber(params.get().get(PARAM_EXPIRES));
        if (expires < 0) {
            return CaptchaVerdict.of(Outcome.INVALID, "challenge without expiry");
        }
        long nowSeconds = request.clock().getAsLong() / 1000;
        if (nowSeconds > expires) {
            return CaptchaVerdict.of(Outcome.EXPIRED, "challenge expired");
        }
        Duration keep = Duration.ofSeconds(Math.min(expires - nowSeconds, MAX_KEEP_SECONDS) + 60);
        try {
            if (!request.replay().firstUse(p.signature(), keep)) {
                return CaptchaVerdict.of(Outcome.REPLAYED, "answer already used");
            }
        } catch (RuntimeException e) {
            return CaptchaVerdict.of(Outcome.UNAVAILABLE, "replay register unavailable");
        }
        return CaptchaVerdict.passed();
    }

    /**
     * What a signed challenge is bound to besides its expiry: the realm, the form it was issued
     * for, and its work, which must be at least what the request's risk asks now (a challenge
     * fetched while the risk was lower, or from a cleaner address, is too weak).
     */
    private static Optional<CaptchaVerdict> binding(CaptchaRequest request, Map<String, String> params) {
        if (!request.realmId().equals(params.get(PARAM_REALM))) {
            return Optional.of(CaptchaVerdict.of(Outcome.INVALID, "challenge of another realm"));
        }
        if (!request.form().equals(params.get(PARAM_FORM))) {
            return Optional.of(CaptchaVerdict.of(Outcome.INVALID, "challenge for another form"));
        }
        long work = wholeNumber(params.get(PARAM_WORK));
        if (work < 0) {
            return Optional.of(CaptchaVerdict.of(Outcome.INVALID, "challenge without work"));
        }
        if (work < request.minWork()) {
            return Optional.of(CaptchaVerdict.of(Outcome.INVALID, "challenge too weak"));
        }
        return Optional.empty();
    }

    private static String hmacKey(CaptchaRequest request) {
        return HexFormat.of().formatHex(request.signingKey());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The {@code key=value} pairs after the {@code ?} of a salt (the library's encoding; unknown
     * pairs ignored, the first of a repeated key kept); empty when a pair cannot be decoded.
     */
    static Optional<Map<String, String>> saltParams(String salt) {
        Map<String, String> params = new LinkedHashMap<>();
        int q = salt.indexOf('?');
        if (q < 0) {
            return Optional.of(params);
        }
        try {
            for (String pair : salt.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a bad %-escape
        }
        return Optional.of(params);
    }

    /** A non-negative decimal of at most 18 digits, or -1 (null, empty, signed, other characters, too long). */
    static long wholeNumber(String s) {
        return s != null && DECIMAL.matcher(s).matches() ? Long.parseLong(s) : -1;
    }
}
