package io.keycloaksentinel.core.counters;

import java.time.Duration;
import java.util.Arrays;

/**
 * A sliding window made of fixed buckets: {@code length} of time split into buckets of
 * {@code bucket} each. Counting adds to the bucket of "now"; a window's value is the sum of the
 * buckets that overlap it. Bucket ids are absolute ({@code epochMillis / bucketMillis}), so every
 * node of a cluster agrees on them without coordination.
 */
public record Window(String name, Duration length, Duration bucket) {

    /** The burst signal's window: what a realm saw in the last few seconds (1 s buckets). */
    public static final Window TEN_SECONDS = new Window("10s", Duration.ofSeconds(10), Duration.ofSeconds(1));
    public static final Window ONE_MINUTE = new Window("1m", Duration.ofMinutes(1), Duration.ofSeconds(10));
    public static final Window FIFTEEN_MINUTES = new Window("15m", Duration.ofMinutes(15), Duration.ofMinutes(1));
    /** Password spraying's window: one password across many accounts within the hour (5 min buckets). */
    public static final Window ONE_HOUR = new Window("1h", Duration.ofHours(1), Duration.ofMinutes(5));
    public static final Window ONE_DAY = new Window("24h", Duration.ofHours(24), Duration.ofHours(1));

    public Window {
        if (bucket.isZero() || bucket.isNegative() || length.compareTo(bucket) < 0
                || length.toMillis() % bucket.toMillis() != 0) {
            throw new IllegalArgumentException("window " + name + ": length must be a positive multiple of the bucket");
        }
    }

    public long bucketOf(long epochMillis) {
        return Math.floorDiv(epochMillis, bucket.toMillis());
    }

    public int bucketCount() {
        return (int) (length.toMillis() / bucket.toMillis());
    }

    /** The ids of the buckets that make up the window ending at {@code nowMillis}, oldest first. */
    public long[] bucketsAt(long nowMillis) {
        long last = bucketOf(nowMillis);
        long[] ids = new long[bucketCount()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = last - ids.length + 1 + i;
        }
        return ids;
    }

    /** How long a bucket must be kept so that every window containing it can still read it. */
    public Duration retention() {
        return length.plus(bucket);
    }

    /** Sums the counts (indexed like {@link #bucketsAt}) into the window value. */
    public static long sum(long[] counts) {
        return Arrays.stream(counts).sum();
    }
}
