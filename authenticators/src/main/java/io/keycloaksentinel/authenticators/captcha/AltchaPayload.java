package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.core.captcha.CaptchaSettings;
import java.math.BigInteger;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;
import org.keycloak.util.JsonSerialization;

/**
 * The answer the ALTCHA widget posts: base64 of a JSON object with the challenge's algorithm,
 * challenge, salt and signature and the number found. {@link #parse} checks its shape only (the
 * provider checks the signature and the solution) and never throws: anything that is not such
 * an object, with exactly these types, is malformed.
 *
 * @param number a whole number from 0 to {@link CaptchaSettings#MAX_WORK}
 */
record AltchaPayload(String salt, String challenge, String signature, long number) {

    static final String ALGORITHM = "SHA-256";
    static final int MAX_SALT_CHARS = 512;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /** The payload of {@code answer}, or null when it is malformed in any way. */
    static AltchaPayload parse(String answer) {
        Map<?, ?> json;
        try {
            json = JsonSerialization.readValue(Base64.getDecoder().decode(answer.strip()), Map.class);
        } catch (Exception e) {
            // not base64, not UTF-8, not JSON, nested or numbers past the parser's limits
            return null;
        }
        if (json == null || !ALGORITHM.equals(json.get("algorithm"))
                || !(json.get("salt") instanceof String salt) || salt.length() > MAX_SALT_CHARS
                || !(json.get("challenge") instanceof String challenge) || !HEX64.matcher(challenge).matches()
                || !(json.get("signature") instanceof String signature) || !HEX64.matcher(signature).matches()) {
            return null;
        }
        long number = wholeNumber(json.get("number"));
        return number < 0 || number > CaptchaSettings.MAX_WORK ? null : new AltchaPayload(salt, challenge, signature, number);
    }

    /**
     * A JSON integer as a long, or -1: fractions, strings, booleans and integers past 63 bits
     * (whose {@code longValue()} would wrap around into range) are not numbers the widget posts.
     */
    private static long wholeNumber(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big && big.bitLength() < Long.SIZE - 1) {
            return big.longValue();
        }
        return -1;
    }
}
