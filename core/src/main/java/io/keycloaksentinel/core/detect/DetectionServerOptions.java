package io.keycloaksentinel.core.detect;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * Server-level options of {@code sentinel-infinispan}, read once at start-up
 * ({@code --spi-sentinel-attack-detection--sentinel-infinispan--max-subject-entries=...}). Each
 * is declared once in {@link #NUMBERS} (name, type, bounds, default, help), from which both
 * {@link #read} and {@link #metadata} work.
 */
public record DetectionServerOptions(long maxSubjectEntries, int maxPendingPerFlush, long flushMillis,
                                     long evaluateMillis, int ipv4Prefix, int ipv6Prefix, long maxKnownEntries,
                                     int knownSourceDays, int hashBulkheadPermits, long hashBulkheadWaitMillis,
                                     List<Integer> ipv6WidePrefixes) {

    static final String IPV6_WIDE_PREFIXES = "ipv6-wide-network-prefixes";

    public static final DetectionServerOptions DEFAULTS =
            new DetectionServerOptions(200_000, 100_000, 250, 1000, 24, 64, 100_000, 90, defaultBulkheadPermits(), 500,
                    SourceKeys.DEFAULT_IPV6_WIDE_PREFIXES);

    /** Half the node's cores (at least one): the other half stays free for returning users' hashes. */
    static int defaultBulkheadPermits() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** The node's hash bulkhead as these options set it. */
    public HashBulkhead bulkhead() {
        return new HashBulkhead(hashBulkheadPermits, hashBulkheadWaitMillis);
    }

    /** A numeric option: read as a {@code long} or an {@code int}, refused outside {@code min..max}. */
    private record NumericOption(String name, boolean isLong, long min, long max, ToLongFunction<DetectionServerOptions> value,
                          String help) {

        long read(Config.Scope config) {
            long fallback = value.applyAsLong(DEFAULTS);
            return bounded(isLong ? config.getLong(name, fallback) : config.getInt(name, (int) fallback), min, max, name);
        }

        Object defaultValue() {
            long fallback = value.applyAsLong(DEFAULTS);
            return isLong ? (Object) fallback : (Object) (int) fallback;
        }
    }

    /** The numeric options, in the order of the record's components. */
    private static final List<NumericOption> NUMBERS = List.of(
            new NumericOption("max-subject-entries", true, 1_000, 100_000_000, DetectionServerOptions::maxSubjectEntries,
                    "Most counter entries (per IP, network, username) kept per node; the least recently used go first."),
            new NumericOption("max-pending", false, 1_000, 10_000_000, DetectionServerOptions::maxPendingPerFlush,
                    "Most distinct counters buffered between two flushes to the cluster."),
            new NumericOption("flush-interval-ms", true, 50, 10_000, DetectionServerOptions::flushMillis,
                    "How often a node adds its buffered counts into the cluster cache (ms)."),
            new NumericOption("evaluate-interval-ms", true, 200, 60_000, DetectionServerOptions::evaluateMillis,
                    "How often a node re-evaluates the attack state of the realms it serves (ms)."),
            new NumericOption("ipv4-network-prefix", false, 8, 32, DetectionServerOptions::ipv4Prefix,
                    "Prefix length that groups IPv4 addresses into a network."),
            new NumericOption("ipv6-network-prefix", false, 16, 128, DetectionServerOptions::ipv6Prefix,
                    "Prefix length that groups IPv6 addresses into a network."),
            new NumericOption("max-known-entries", true, 1_000, 100_000_000, DetectionServerOptions::maxKnownEntries,
                    "Most users whose recent sign-in networks are remembered (smart lockout); least recently used go first."),
            new NumericOption("known-source-days", false, 1, 3650, DetectionServerOptions::knownSourceDays,
                    "Days a network stays known for a user after their last successful sign-in from it."),
            new NumericOption("hash-bulkhead-permits", false, 0, 1024, DetectionServerOptions::hashBulkheadPermits,
                    "Most password hashes this node runs at once for requests not known to be safe (a returning user's"
                            + " known device and network never wait for them); 0 turns the bulkhead off. Default: half the cores."),
            new NumericOption("hash-bulkhead-wait-ms", true, 0, 10_000, DetectionServerOptions::hashBulkheadWaitMillis,
                    "How long such a check waits for a free hash before it is refused as a throttled one (ms)."));

    public static DetectionServerOptions read(Config.Scope config) {
        long[] n = new long[NUMBERS.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = NUMBERS.get(i).read(config);
        }
        return new DetectionServerOptions(n[0], (int) n[1], n[2], n[3], (int) n[4], (int) n[5], n[6], (int) n[7],
                (int) n[8], n[9],
                widePrefixes(config.get(IPV6_WIDE_PREFIXES, null), DEFAULTS.ipv6WidePrefixes()));
    }

    /** "56,48": wider IPv6 networks counted too; each 16..63; empty ("") counts none. */
    static List<Integer> widePrefixes(String value, List<Integer> fallback) {
        if (value == null) {
            return fallback;
        }
        List<Integer> prefixes = new ArrayList<>();
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
        ProviderConfigurationBuilder builder = ProviderConfigurationBuilder.create();
        for (NumericOption option : NUMBERS) {
            builder = builder.property().name(option.name()).type(option.isLong() ? "long" : "int")
                    .defaultValue(option.defaultValue()).helpText(option.help()).add();
        }
        return builder.property().name(IPV6_WIDE_PREFIXES).type("string").defaultValue("56,48")
                .helpText("Wider IPv6 networks also counted against the network thresholds (an IPv6 address counts as its /64).").add()
                .property().name(io.keycloaksentinel.core.net.OutboundPolicy.OPTION).type("string").defaultValue("")
                .helpText("Non-public ranges Sentinel's outbound calls (CAPTCHA siteverify, HIBP, alert webhooks) may reach,"
                        + " comma-separated CIDR (e.g. an internal webhook receiver); default none.").add()
                .build();
    }
}
