package io.keycloaksentinel.core.device;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The long-lived device cookie: a random device id and an HMAC over the realm id and that id,
 * keyed with a cluster-held realm key ({@code v1.<id>.<mac>}). A value that does not verify
 * (tampered, from another realm or server, oversize, malformed) is treated as no cookie. Known
 * devices are stored under {@link #storedId}, a second HMAC of the id, so that the user store
 * never holds the cookie's bearer value.
 */
public final class DeviceCookie {

    public static final String NAME = "SENTINEL_DEVICE";
    static final int MAX_LENGTH = 128;
    /** A device id: 22 base64url characters (128 bits). Compiled once: verified on every sign-in. */
    static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{22}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;
    /** The key before the last rotation, while it still verifies; null otherwise. */
    private final byte[] previousKey;
    /** The key of the stored ids, which a rotation never changes (a user's device list stays valid). */
    private final byte[] storedKey;
    private final String realmId;

    /** @param key the realm's device key (never logged), for cookies and stored ids alike */
    public DeviceCookie(byte[] key, String realmId) {
        this(key, null, key, realmId);
    }

    /**
     * @param key         the realm's current device-cookie key: signs new cookies
     * @param previousKey the one before the last rotation while its grace period lasts, or null:
     *                    its cookies still verify (and are signed anew at the next sign-in)
     * @param storedKey   the key of {@link #storedId}, never rotated
     */
    public DeviceCookie(byte[] key, byte[] previousKey, byte[] storedKey, String realmId) {
        this.key = key.clone();
        this.previousKey = previousKey == null ? null : previousKey.clone();
        this.storedKey = storedKey.clone();
        this.realmId = realmId;
    }

    /** A new device id (128 random bits). */
    public static String newId() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return B64.encodeToString(id);
    }

    /** The cookie value for {@code deviceId}. */
    public String value(String deviceId) {
        return "v1." + deviceId + "." + mac(key, "cookie", deviceId);
    }

    /** The device id of a cookie value that verifies for this realm. */
    public Optional<String> verify(String value) {
        String[] parts = parts(value);
        if (parts == null) {
            return Optional.empty();
        }
        byte[] given = parts[2].getBytes(StandardCharsets.US_ASCII);
        if (MessageDigest.isEqual(mac(key, "cookie", parts[1]).getBytes(StandardCharsets.US_ASCII), given)) {
            return Optional.of(parts[1]);
        }
        return previousKey != null
                && MessageDigest.isEqual(mac(previousKey, "cookie", parts[1]).getBytes(StandardCharsets.US_ASCII), given)
                ? Optional.of(parts[1]) : Optional.empty();
    }

    /** Whether {@code value} has the cookie's form ({@code v1.<id>.<mac>}), whatever key signed it. */
    public static boolean wellFormed(String value) {
        return parts(value) != null;
    }

    /** {@code v1}, the id and the MAC of a value of the cookie's form; null for anything else. */
    private static String[] parts(String value) {
        if (value == null || value.length() > MAX_LENGTH) {
            return null;
        }
        String[] parts = value.split("\\.", -1);
        return parts.length == 3 && "v1".equals(parts[0]) && ID.matcher(parts[1]).matches() && !parts[2].isEmpty()
                ? parts : null;
    }

    /** Whether {@code value} verifies only with the key before the last rotation: to be signed anew. */
    public boolean signedWithPreviousKey(String value) {
        Optional<String> id = verify(value);
        return id.isPresent() && !value.equals(value(id.get()));
    }

    /** What the user's device list stores for {@code deviceId}. */
    public String storedId(String deviceId) {
        return mac(storedKey, "stored", deviceId).substring(0, 22);
    }

    private String mac(byte[] with, String purpose, String deviceId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(with, "HmacSHA256"));
            mac.update((purpose + "\u0000" + realmId + "\u0000" + deviceId).getBytes(StandardCharsets.UTF_8));
            return B64.encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
