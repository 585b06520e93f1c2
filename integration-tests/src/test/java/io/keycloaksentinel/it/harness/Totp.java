package io.keycloaksentinel.it.harness;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/** An authenticator app for tests: TOTP codes as Keycloak's defaults make them, and OTP credentials to import. */
public final class Totp {

    private Totp() {
    }

    /** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) over the secret's UTF-8 bytes (Keycloak's raw secret), {@code offset} periods away. */
    public static String code(String secret, int offset) {
        try {
            long step = System.currentTimeMillis() / 1000 / 30 + offset;
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            byte[] h = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            int o = h[h.length - 1] & 0xf;
            int bin = ((h[o] & 0x7f) << 24) | ((h[o + 1] & 0xff) << 16) | ((h[o + 2] & 0xff) << 8) | (h[o + 3] & 0xff);
            return String.format("%06d", bin % 1_000_000);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The current code. */
    public static String code(String secret) {
        return code(secret, 0);
    }

    /** A six-digit code that is not the current one. */
    public static String wrong(String secret) {
        return "000000".equals(code(secret)) ? "111111" : "000000";
    }

    /** Adds an OTP credential ("phone") with {@code secret} to a user of a realm to import. */
    public static void addCredential(UserRepresentation user, String secret) {
        CredentialRepresentation otp = new CredentialRepresentation();
        otp.setType("otp");
        otp.setUserLabel("phone");
        otp.setSecretData("{\"value\":\"" + secret + "\"}");
        otp.setCredentialData("{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,\"algorithm\":\"HmacSHA1\"}");
        List<CredentialRepresentation> creds = new ArrayList<>(user.getCredentials() == null ? List.of() : user.getCredentials());
        creds.add(otp);
        user.setCredentials(creds);
    }
}
