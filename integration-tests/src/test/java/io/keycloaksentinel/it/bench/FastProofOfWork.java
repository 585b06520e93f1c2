package io.keycloaksentinel.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The search of the harness's {@code ProofOfWork.solve} (SHA-256(salt + n) = challenge, n from
 * 0 up to {@code maxnumber}), without building a hex string per number: the digest of the salt
 * is computed once and cloned, and digests are compared as bytes. Same protocol, same answer,
 * a few times faster, so that ordinary users in the flood benchmark take less of the two cores
 * the server runs on. Encode the number with {@code ProofOfWork.answer}.
 */
final class FastProofOfWork {

    private FastProofOfWork() {
    }

    /** The number that solves {@code challenge} (as the widget's workers search it). */
    static long search(JsonNode challenge) {
        byte[] salt = challenge.get("salt").asText().getBytes(StandardCharsets.UTF_8);
        byte[] target = HexFormat.of().parseHex(challenge.get("challenge").asText());
        long max = challenge.get("maxnumber").asLong();
        MessageDigest prefix;
        try {
            prefix = MessageDigest.getInstance("SHA-256");
            prefix.update(salt);
            for (long n = 0; n <= max; n++) {
                MessageDigest sha = (MessageDigest) prefix.clone();
                sha.update(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
                if (Arrays.equals(sha.digest(), target)) {
                    return n;
                }
            }
        } catch (NoSuchAlgorithmException | CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        throw new AssertionError("no solution below maxnumber " + max);
    }
}
