package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Does what the ALTCHA widget does in a browser, for tests that post forms over plain HTTP:
 * fetches a challenge from the realm's {@code /sentinel-captcha/widget}, searches the number,
 * and encodes the answer as the widget posts it (base64 JSON in the {@code altcha} field).
 */
public final class ProofOfWork {

    private ProofOfWork() {
    }

    /** The realm's widget description for the login form (anonymous GET, as the page script does). */
    public static JsonNode widget(KeycloakServer server, String realm) {
        return widget(server, realm, "login");
    }

    /** The realm's widget description for {@code form} ({@code login}, {@code registration}, {@code reset}). */
    public static JsonNode widget(KeycloakServer server, String realm, String form) {
        return server.admin().getAnonymous("/realms/" + AdminApi.encPath(realm) + "/sentinel-captcha/widget?form=" + form)
                .expect(200).json();
    }

    /** A solved answer to a fresh login challenge of {@code realm}. */
    public static String solvedAnswer(KeycloakServer server, String realm) {
        return solvedAnswer(server, realm, "login");
    }

    /** A solved answer to a fresh challenge of {@code realm} for {@code form}: it answers on that form only. */
    public static String solvedAnswer(KeycloakServer server, String realm, String form) {
        return solve(challenge(server, realm, form));
    }

    public static JsonNode challenge(KeycloakServer server, String realm) {
        return challenge(server, realm, "login");
    }

    public static JsonNode challenge(KeycloakServer server, String realm, String form) {
        try {
            return AdminApi.JSON.readTree(widget(server, realm, form).at("/attributes/challengejson").asText());
        } catch (java.io.IOException e) {
            throw new AssertionError("the widget's challenge is not JSON", e);
        }
    }

    /** Searches {@code n} with SHA-256(salt + n) = challenge, as the widget's workers do. */
    public static String solve(JsonNode challenge) {
        String salt = challenge.get("salt").asText();
        String target = challenge.get("challenge").asText();
        long max = challenge.get("maxnumber").asLong();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (long n = 0; n <= max; n++) {
            String hex = HexFormat.of().formatHex(sha.digest((salt + n).getBytes(StandardCharsets.UTF_8)));
            if (hex.equals(target)) {
                return answer(challenge, n);
            }
        }
        throw new AssertionError("no solution below maxnumber " + max);
    }

    /** The widget's answer encoding for {@code number} (right or wrong). */
    public static String answer(JsonNode challenge, long number) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("algorithm", challenge.get("algorithm").asText());
        payload.put("challenge", challenge.get("challenge").asText());
        payload.put("number", number);
        payload.put("salt", challenge.get("salt").asText());
        payload.put("signature", challenge.get("signature").asText());
        try {
            return Base64.getEncoder().encodeToString(AdminApi.JSON.writeValueAsBytes(payload));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
