package io.keycloaksentinel.benchmarks.hibp;

import io.keycloaksentinel.authenticators.breach.index.HibpIndex;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The measured false-positive rate: SHA-1 of {@code count} passwords that are not in the corpus
 * ({@link HibpBench#nonMember}), looked up on {@code threads} threads; and every known member
 * must be listed. Prints the observed rate with a 95 % interval beside entries / 2^(k+s).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.keycloaksentinel.benchmarks.hibp.HibpFalsePositives \
 *     /tmp/hibp-bench/pwned.idx /tmp/hibp-bench/members.txt 100000000 2</pre>
 */
public final class HibpFalsePositives {

    private HibpFalsePositives() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Path members = Path.of(args[1]);
        long count = args.length > 2 ? Long.parseLong(args[2].replace("_", "")) : 100_000_000L;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        try (HibpIndex index = HibpIndex.open(file)) {
            HibpIndex.Info info = index.info();
            MessageDigest sha1 = HibpBench.sha1();
            List<String> known = HibpBench.readLines(members, Integer.MAX_VALUE);
            long missing = known.stream().filter(p -> !index.contains(HibpBench.sha1(sha1, p))).count();
            System.out.printf("[fp] %,d known members: %,d not listed%n", known.size(), missing);

            long started = System.nanoTime();
            AtomicLong positives = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                tasks.add(pool.submit(() -> {
                    MessageDigest digest = HibpBench.sha1();
                    long hits = 0;
                    for (long i = thread; i < count; i += threads) {
                        if (index.contains(HibpBench.sha1(digest, HibpBench.nonMember(i)))) {
                            hits++;
                        }
                    }
                    positives.addAndGet(hits);
                }));
            }
            for (Future<?> task : tasks) {
                task.get();
            }
            pool.shutdown();
            double seconds = (System.nanoTime() - started) / 1e9;
            long hits = positives.get();
            double rate = hits / (double) count;
            // exact Poisson 95 % interval from the chi-square quantiles, by the Wilson-Hilferty approximation
            double low = hits == 0 ? 0 : chiSquareQuantile(0.025, 2 * hits) / 2 / count;
            double high = chiSquareQuantile(0.975, 2 * hits + 2) / 2 / count;
            System.out.printf("[fp] %,d non-member lookups in %.0f s on %d threads: %,d listed, rate %.3g"
                            + " (95 %% interval %.2g .. %.2g); formula entries / 2^(k+s) = %,d / 2^%d = %.3g%n",
                    count, seconds, threads, hits, rate, low, high, info.entries(),
                    info.bucketBits() + info.fingerprintBits(), info.falsePositiveRate());
        }
    }

    private static double chiSquareQuantile(double p, long dof) {
        double z = p < 0.5 ? -1.959964 : 1.959964;
        double k = dof;
        double t = 1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k));
        return k * t * t * t;
    }
}
