package io.keycloaksentinel.core.detect;

import java.util.List;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * Server-level options of {@code sentinel-infinispan}, read once at start-up
 * ({@code --spi-sentinel-attack-detection--sentinel-infinispan--max-subject-entries=...}).
 */
public record DetectionServerOptions(long maxSubjectEntries, int maxPendingPerFlush, long flushMillis,
                                     long evaluateMillis, int ipv4Prefix, int ipv6Prefix, long maxKnownEntries,
                                     int knownSourceDays, List<Integer> ipv6WidePrefixes) {

    static final String MAX_SUBJECT_ENTRIES = "max-subject-entries";
    static final String MAX_PENDING = "max-pending";
    static final String FLUSH_MILLIS = "flush-interval-ms";
    static final String EVALUATE_MILLIS = "evaluate-interval-ms";
    static final String IPV4_PREFIX = "ipv4-network-prefix";
    static final String IPV6_PREFIX = "ipv6-network-prefix";
    static final String MAX_KNOWN_ENTRIES = "max-known-entries";
    static final String KNOWN_SOURCE_DAYS = "known-source-days";
    static final String IPV6_WIDE_PREFIXES = "ipv6-wide-network-prefixes";

    public static final DetectionServerOptions DEFAULTS =
            new DetectionServerOptions(200_000, 100_000, 250, 1000, 24, 64, 100_000, 90, SourceKeys.DEFAULT_IPV6_WIDE_PREFIXES);

    public static DetectionServerOptions read(Config.Scope config) {
        DetectionServerOptions d = DEFAULTS;
        return new DetectionServerOptions(
                bounded(config.getLong(MAX_SUBJECT_ENTRIES, d.maxSubjectEntries()), 1_000, 100_000_000, MAX_SUBJECT_ENTRIES),
                (int) bounded(config.getInt(MAX_PENDING, d.maxPendingPerFlush()), 1_000, 10_000_000, MAX_PENDING),
                bounded(config.getLong(FLUSH_MILLIS, d.flushMillis()), 50, 10_000, FLUSH_MILLIS),
                bounded(config.getLong(EVALUATE_MILLIS, d.evaluateMillis()), 200, 60_000, EVALUATE_MILLIS),
                (int) bounded(config.getInt(IPV4_PREFIX, d.ipv4Prefix()), 8, 32, IPV4_PREFIX),
                (int) bounded(config.getInt(IPV6_PREFIX, d.ipv6Prefix()), 16, 128, IPV6_PREFIX),
                bounded(config.getLong(MAX_KNOWN_ENTRIES, d.maxKnownEntries()), 1_000, 100_000_000, MAX_KNOWN_ENTRIES),
                (int) bounded(config.getInt(KNOWN_SOURCE_DAYS, d.knownSourceDays()), 1, 3650, KNOWN_SOURCE_DAYS),
                widePrefixes(config.get(IPV6_WIDE_PREFIXES, null), d.ipv6WidePrefixes()));
    }

    /** "56,48": wider IPv6 networks counted too; each 16..63; empty ("") counts none. */
    static List<Integer> widePrefixes(String value, List<Integer> fallback) {
        if (value == null) {
            return fallback;
        }
        List<Integer> prefixes = new java.util.ArrayList<>();
        for (String part : value.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int p;
            try {
                p = Integer.parseInt(part.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Sentinel option " + IPV6_WIDE_PREFIXES + ": '" + part.strip()
                        + "' is not a prefix length");
            }
            prefixes.add((int) bounded(p, 16, 63, IPV6_WIDE_PREFIXES));
        }
        if (prefixes.size() > 4) {
            throw new IllegalArgumentException("Sentinel option " + IPV6_WIDE_PREFIXES + ": at most 4 prefixes");
        }
        return List.copyOf(prefixes);
    }

    private static long bounded(long value, long min, long max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("Sentinel option " + name + "=" + value + " is outside " + min + ".." + max);
        }
        return value;
    }

    public static List<ProviderConfigProperty> metadata() {
        DetectionServerOptions d = DEFAULTS;
        return ProviderConfigurationBuilder.create()
                .property().name(MAX_SUBJECT_ENTRIES).type("long").defaultValue(d.maxSubjectEntries())
                .helpText("Most counter entries (per IP, network, username) kept per node; the least recently used go first.").add()
                .property().name(MAX_PENDING).type("int").defaultValue(d.maxPendingPerFlush())
                .helpText("Most distinct counters buffered between two flushes to the cluster.").add()
                .property().name(FLUSH_MILLIS).type("long").defaultValue(d.flushMillis())
                .helpText("How often a node adds its buffered counts into the cluster cache (ms).").add()
                .property().name(EVALUATE_MILLIS).type("long").defaultValue(d.evaluateMillis())
                .helpText("How often a node re-evaluates the attack state of the realms it serves (ms).").add()
                .property().name(IPV4_PREFIX).type("int").defaultValue(d.ipv4Prefix())
                .helpText("Prefix length that groups IPv4 addresses into a network.").add()
                .property().name(IPV6_PREFIX).type("int").defaultValue(d.ipv6Prefix())
                .helpText("Prefix length that groups IPv6 addresses into a network.").add()
                .property().name(MAX_KNOWN_ENTRIES).type("long").defaultValue(d.maxKnownEntries())
                .helpText("Most users whose recent sign-in networks are remembered (smart lockout); least recently used go first.").add()
                .property().name(KNOWN_SOURCE_DAYS).type("int").defaultValue(d.knownSourceDays())
                .helpText("Days a network stays known for a user after their last successful sign-in from it.").add()
                .property().name(IPV6_WIDE_PREFIXES).type("string").defaultValue("56,48")
                .helpText("Wider IPv6 networks also counted against the network thresholds (an IPv6 address counts as its /64).").add()
                .build();
    }
}
