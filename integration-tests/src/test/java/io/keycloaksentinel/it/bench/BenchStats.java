package io.keycloaksentinel.it.bench;

import java.util.Arrays;
import java.util.Collection;

/** Nearest-rank percentiles of the CAPTCHA benchmarks, in milliseconds. */
final class BenchStats {

    private BenchStats() {
    }

    static double[] sorted(Collection<Double> values) {
        double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** Nearest-rank percentile of sorted values; NaN when there are none. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** "n=.. p50=.. p95=.. p99=.. max=.. ms". */
    static String summary(Collection<Double> millis) {
        double[] s = sorted(millis);
        return String.format("n=%d p50=%.1f p95=%.1f p99=%.1f max=%.1f mean=%.1f ms", s.length, percentile(s, 50),
                percentile(s, 95), percentile(s, 99), s.length == 0 ? Double.NaN : s[s.length - 1], mean(s));
    }
}
