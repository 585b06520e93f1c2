package io.keycloaksentinel.benchmarks.hibp;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/** What the HIBP benchmarks share: the member and non-member passwords, SHA-1, memory figures. */
final class HibpBench {

    static final Path DEFAULT_DIR = Path.of("/tmp/hibp-bench");

    private HibpBench() {
    }

    /** The i-th known member of a generated corpus (its SHA-1 is in the corpus). */
    static String member(long seed, long i) {
        return "member-" + seed + "-" + i;
    }

    /** The i-th non-member: no corpus line is its SHA-1 except by a 2^-100 chance. */
    static String nonMember(long i) {
        return "not-breached-" + i;
    }

    static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha1(MessageDigest digest, String password) {
        return digest.digest(password.getBytes(StandardCharsets.UTF_8));
    }

    static List<String> readLines(Path file, int max) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (lines.size() < max && (line = in.readLine()) != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** VmRSS, RssAnon and RssFile of this process in kB, from /proc (Linux). */
    static String rss() {
        try {
            StringBuilder out = new StringBuilder();
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS") || line.startsWith("RssAnon") || line.startsWith("RssFile")) {
                    String[] parts = line.split("\\s+");
                    out.append(parts[0]).append(' ').append(Long.parseLong(parts[1]) / 1024).append(" MB  ");
                }
            }
            return out.toString().trim();
        } catch (IOException | RuntimeException e) {
            return "(no /proc/self/status)";
        }
    }
}
