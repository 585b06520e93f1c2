package io.keycloaksentinel.authenticators.breach.source;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The SHA-1 that breach corpora index passwords by: over the password's UTF-8 bytes, exactly as
 * Have I Been Pwned computes it (no trimming, no case folding, no normalisation). A password
 * typed in decomposed Unicode (NFD, as some keyboards and macOS produce) has a different hash
 * from the composed form most leaked lists hold, so the checks also look up its NFC form.
 * Nothing here is kept, logged or used as a key.
 */
public final class PasswordDigest {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PasswordDigest() {
    }

    /** SHA-1 of the UTF-8 bytes of {@code text}. */
    public static byte[] sha1(String text) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    /** The password as typed, then its NFC form when that differs. */
    public static Set<String> forms(String password) {
        Set<String> forms = new LinkedHashSet<>(2);
        forms.add(password);
        forms.add(Normalizer.normalize(password, Normalizer.Form.NFC));
        return forms;
    }

    /** Upper-case hex, as HIBP writes hashes. */
    public static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /** The first 64 bits of a hash, as a signed long (compare with {@link Long#compareUnsigned}). */
    static long top64(byte[] hash, int from) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (hash[from + i] & 0xffL);
        }
        return v;
    }
}
