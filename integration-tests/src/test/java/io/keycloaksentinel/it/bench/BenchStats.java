package io.keycloaksentinel.it.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Random;

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

    static void print(String tag, String label, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("[%s] %s: n=%d p50=%.1f p95=%.1f p99=%.1f mean=%.1f ms%n", tag, label, sorted.length,
                ms(percentileNanos(sorted, 50)), ms(percentileNanos(sorted, 95)), ms(percentileNanos(sorted, 99)),
                ms((long) Arrays.stream(sorted).average().orElse(Double.NaN)));
    }

    /**
     * The difference of the p50s, and the median of the paired differences (login i on each side,
     * back to back) with a 95 % bootstrap interval, to tell a difference from the noise.
     */
    static void printDifference(String tag, String[] labels, long[] first, long[] second) {
        long[] p = first.clone();
        long[] s = second.clone();
        Arrays.sort(p);
        Arrays.sort(s);
        long[] paired = new long[Math.min(first.length, second.length)];
        for (int i = 0; i < paired.length; i++) {
            paired[i] = second[i] - first[i];
        }
        Random random = new Random(20261123);
        long[] medians = new long[2000];
        long[] resample = new long[paired.length];
        for (int b = 0; b < medians.length; b++) {
            for (int i = 0; i < resample.length; i++) {
                resample[i] = paired[random.nextInt(paired.length)];
            }
            Arrays.sort(resample);
            medians[b] = percentileNanos(resample, 50);
        }
        Arrays.sort(medians);
        Arrays.sort(paired);
        double p50 = ms(percentileNanos(p, 50));
        double diff = ms(percentileNanos(s, 50)) - p50;
        double pairedMedian = ms(percentileNanos(paired, 50));
        System.out.printf("[%s] %s - %s: p50 %+.2f ms (%+.1f %%); median of paired differences %+.2f ms"
                        + " (%+.1f %%), 95 %% bootstrap interval [%+.2f, %+.2f] ms%n",
                tag, labels[1], labels[0], diff, 100 * diff / p50, pairedMedian, 100 * pairedMedian / p50,
                ms(medians[(int) (0.025 * medians.length)]), ms(medians[(int) (0.975 * medians.length) - 1]));
    }


    /** Nearest-rank percentile of sorted nanosecond values; -1 when there are none. */
    static long percentileNanos(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
