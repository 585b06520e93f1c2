package io.keycloaksentinel.benchmarks.hibp;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Writes a Pwned Passwords-like file: {@code lines} lines {@code SHA1HEX:COUNT\r\n}, sorted,
 * hashes uniformly distributed, plus a file of known member passwords whose SHA-1s are among
 * them. Streaming, nothing sorted in memory: the top 64 bits of successive hashes advance by
 * exponentially distributed random gaps (the order statistics of uniform samples), the low 96
 * bits are random, and the member hashes (sorted, few) are merged in. Deterministic for a seed.
 * Counts follow a power law (most 1, a few in the millions) like HIBP's.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.keycloaksentinel.benchmarks.hibp.HibpCorpusGenerator \
 *     /tmp/hibp-bench 100000000 100000 2026</pre>
 *
 * Output: dir/pwned.txt, dir/members.txt (one password per line). Non-members are
 * {@code HibpBench.nonMember(i)}.
 */
public final class HibpCorpusGenerator {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private HibpCorpusGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : HibpBench.DEFAULT_DIR;
        long lines = args.length > 1 ? Long.parseLong(args[1].replace("_", "")) : 100_000_000L;
        int members = args.length > 2 ? Integer.parseInt(args[2].replace("_", "")) : 100_000;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 2026;
        Files.createDirectories(dir);
        long started = System.nanoTime();

        // the members' hashes, sorted by their 160 bits
        MessageDigest sha1 = HibpBench.sha1();
        byte[][] memberHashes = new byte[members][];
        try (BufferedWriter out = Files.newBufferedWriter(dir.resolve("members.txt"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < members; i++) {
                String password = HibpBench.member(seed, i);
                out.write(password);
                out.write('\n');
                memberHashes[i] = HibpBench.sha1(sha1, password);
            }
        }
        Arrays.sort(memberHashes, Arrays::compareUnsigned);

        SplittableRandom random = new SplittableRandom(seed);
        long fillers = lines - members;
        // mean gap chosen so that the sum of the gaps stays below 2^64 with overwhelming probability
        double meanGap = Math.pow(2, 64) / (fillers + 10 * Math.sqrt(fillers) + 1);
        long top = 0;
        int nextMember = 0;
        long written = 0;
        byte[] line = new byte[64];
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("pwned.txt")), 1 << 20)) {
            for (long i = 0; i < fillers; i++) {
                long gap = 1 + (long) (-Math.log(1 - random.nextDouble()) * meanGap);
                long next = top + gap;
                if (Long.compareUnsigned(next, top) < 0) {
                    break; // would wrap around: stop a few lines short
                }
                top = next;
                long mid = random.nextLong();
                int low = random.nextInt();
                // members that sort before this filler hash
                while (nextMember < members && compare(memberHashes[nextMember], top, mid, low) < 0) {
                    byte[] h = memberHashes[nextMember++];
                    out.write(line, 0, format(line, h, random));
                    written++;
                }
                out.write(line, 0, format(line, top, mid, low, count(random)));
                written++;
            }
            while (nextMember < members) {
                out.write(line, 0, format(line, memberHashes[nextMember++], random));
                written++;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("wrote %s: %,d lines (%,d known members in %s), %,d bytes, %.0f s%n", dir.resolve("pwned.txt"),
                written, members, dir.resolve("members.txt"), Files.size(dir.resolve("pwned.txt")), seconds);
    }

    private static int compare(byte[] hash, long top, long mid, int low) {
        int c = Long.compareUnsigned(word(hash, 0), top);
        if (c == 0) {
            c = Long.compareUnsigned(word(hash, 8), mid);
        }
        if (c == 0) {
            c = Integer.compareUnsigned((int) (word(hash, 12) & 0xFFFF_FFFFL), low);
        }
        return c;
    }

    private static long word(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    /** A power law: P(count >= c) ~ c^-1.1, 1 for two thirds of the hashes. */
    private static long count(SplittableRandom random) {
        double c = Math.pow(1 - random.nextDouble(), -1 / 1.1);
        return (long) Math.min(50_000_000, Math.floor(c));
    }

    private static int format(byte[] line, byte[] hash, SplittableRandom random) {
        return format(line, word(hash, 0), word(hash, 8), (int) (word(hash, 12) & 0xFFFF_FFFFL), 1 + count(random));
    }

    private static int format(byte[] line, long top, long mid, int low, long count) {
        for (int i = 0; i < 16; i++) {
            line[i] = HEX[(int) (top >>> (60 - 4 * i)) & 0xf];
            line[16 + i] = HEX[(int) (mid >>> (60 - 4 * i)) & 0xf];
        }
        for (int i = 0; i < 8; i++) {
            line[32 + i] = HEX[(low >>> (28 - 4 * i)) & 0xf];
        }
        line[40] = ':';
        int n = 41;
        String digits = Long.toString(count);
        for (int i = 0; i < digits.length(); i++) {
            line[n++] = (byte) digits.charAt(i);
        }
        line[n++] = '\r';
        line[n++] = '\n';
        return n;
    }
}
