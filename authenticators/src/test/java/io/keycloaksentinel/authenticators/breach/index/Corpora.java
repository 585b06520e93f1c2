package io.keycloaksentinel.authenticators.breach.index;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Small generated Pwned Passwords files for the tests: known passwords plus random filler. */
final class Corpora {

    private Corpora() {
    }

    static byte[] sha1(String password) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] sha1) {
        return HexFormat.of().withUpperCase().formatHex(sha1);
    }

    static List<String> passwords(String prefix, int count) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(prefix + i);
        }
        return list;
    }

    /** Random 20-byte values (SHA-1s of nothing in particular). */
    static List<byte[]> randomHashes(long seed, int count) {
        Random random = new Random(seed);
        List<byte[]> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] hash = new byte[20];
            random.nextBytes(hash);
            list.add(hash);
        }
        return list;
    }

    /** A corpus: the hashes sorted, one line each, count from the function (by sorted position). */
    static final class Builder {
        private final List<byte[]> hashes = new ArrayList<>();
        private java.util.function.IntUnaryOperator count = i -> 1 + (i % 7);
        private String newline = "\n";

        Builder passwords(List<String> passwords) {
            passwords.forEach(p -> hashes.add(sha1(p)));
            return this;
        }

        Builder hashes(List<byte[]> list) {
            hashes.addAll(list);
            return this;
        }

        Builder counts(java.util.function.IntUnaryOperator count) {
            this.count = count;
            return this;
        }

        Builder crlf() {
            newline = "\r\n";
            return this;
        }

        List<String> lines() {
            List<byte[]> sorted = new ArrayList<>(hashes);
            sorted.sort(Arrays::compareUnsigned);
            List<String> lines = new ArrayList<>(sorted.size());
            for (int i = 0; i < sorted.size(); i++) {
                lines.add(hex(sorted.get(i)) + ":" + count.applyAsInt(i));
            }
            return lines;
        }

        String text() {
            return String.join(newline, lines()) + newline;
        }

        Path write(Path file) throws IOException {
            Files.writeString(file, text(), StandardCharsets.US_ASCII);
            return file;
        }
    }

    static Builder corpus() {
        return new Builder();
    }

    static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Converts text into dir/name with the default layout. */
    static HibpIndexConverter.Summary convert(String text, Path output) throws Exception {
        return HibpIndexConverter.convert(stream(text), output, 1, Math.max(1, text.length() / 43), HibpIndexConverter.Progress.NONE);
    }
}
