package io.keycloaksentinel.benchmarks.hibp;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.keycloak.policy.DenylistPasswordPolicyProviderFactory;

/**
 * Keycloak's own deny-list (password policy {@code passwordBlacklist}) on the same machine: its
 * {@code FileBasedPasswordDenylist} (Keycloak 26.7.3, keycloak-server-spi-private) loads a plain
 * text file of passwords into a Guava Bloom filter on the heap. For N generated passwords, at
 * Keycloak's default false-positive probability (1e-4) and at the one of Sentinel's index
 * (given as an argument): load time, heap used after a full GC, and lookup time (median and p99
 * of batches, members and non-members).
 *
 * <pre>java -Xmx3g -cp benchmarks/target/benchmarks.jar io.keycloaksentinel.benchmarks.hibp.KeycloakDenylistComparison \
 *     /tmp/hibp-bench/denylist 100000000 1e-4 4.4e-8</pre>
 */
public final class KeycloakDenylistComparison {

    private KeycloakDenylistComparison() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long n = Long.parseLong(args[1].replace("_", ""));
        Files.createDirectories(dir);
        String name = "passwords-" + n + ".txt";
        Path list = dir.resolve(name);
        if (!Files.exists(list)) {
            long started = System.nanoTime();
            try (BufferedWriter out = Files.newBufferedWriter(list, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW)) {
                for (long i = 0; i < n; i++) {
                    out.write(HibpBench.member(7, i));
                    out.write('\n');
                }
            }
            System.out.printf("[denylist] wrote %s: %,d passwords, %,d bytes, %.0f s%n", list, n, Files.size(list),
                    (System.nanoTime() - started) / 1e9);
        }
        for (int a = 2; a < args.length; a++) {
            double fpp = Double.parseDouble(args[a]);
            long before = HibpBench.usedHeapAfterGc();
            long started = System.nanoTime();
            // check interval 0: no reload checks on lookups
            DenylistPasswordPolicyProviderFactory.FileBasedPasswordDenylist denylist =
                    new DenylistPasswordPolicyProviderFactory.FileBasedPasswordDenylist(dir, name, fpp, 0);
            double loadSeconds = (System.nanoTime() - started) / 1e9;
            long after = HibpBench.usedHeapAfterGc();
            System.out.printf("[denylist] %,d passwords, false-positive probability %.2g: loaded in %.1f s,"
                            + " heap %+,d bytes (%.2f bytes per password); %s%n", n, fpp, loadSeconds, after - before,
                    (after - before) / (double) n, HibpBench.rss());
            // lookups, as the policy calls them (lower-cased password)
            for (int round = 0; round < 2; round++) {
                lookups(denylist, n, true, round == 1);
                lookups(denylist, n, false, round == 1);
            }
            long falsePositives = 0;
            int probes = 2_000_000;
            for (int i = 0; i < probes; i++) {
                if (denylist.contains(HibpBench.nonMember(i))) {
                    falsePositives++;
                }
            }
            System.out.printf("[denylist] %,d non-members: %,d listed (rate %.2g)%n", probes, falsePositives,
                    falsePositives / (double) probes);
            denylist = null;
        }
    }

    /** Batches of 1,000 lookups, 1,000 batches: the median and p99 of a batch's mean. */
    private static void lookups(DenylistPasswordPolicyProviderFactory.FileBasedPasswordDenylist denylist, long n,
            boolean members, boolean print) {
        int batches = 1_000;
        int batch = 1_000;
        String[] passwords = new String[batch];
        double[] micros = new double[batches];
        java.util.SplittableRandom random = new java.util.SplittableRandom(members ? 1 : 2);
        long listed = 0;
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < batch; i++) {
                long k = random.nextLong(n);
                passwords[i] = members ? HibpBench.member(7, k) : HibpBench.nonMember(k);
            }
            long started = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                if (denylist.contains(passwords[i].toLowerCase(java.util.Locale.ROOT))) {
                    listed++;
                }
            }
            micros[b] = (System.nanoTime() - started) / 1e3 / batch;
        }
        Arrays.sort(micros);
        if (print) {
            System.out.printf("[denylist] %s lookups: %.2f us median, %.2f us p99 (per lookup, batches of %d); %,d of %,d listed%n",
                    members ? "member" : "non-member", micros[batches / 2], micros[batches * 99 / 100], batch, listed,
                    (long) batches * batch);
        }
    }
}
