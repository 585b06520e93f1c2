package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.net.IpAddresses;
import java.net.InetAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How a client address is counted (IPv4 by address and network, IPv6 by its /64, its network and
 * the wider networks; anything unparseable in one shared bucket), and the names of the counters
 * in the {@link io.keycloaksentinel.core.counters.CounterStore}: one place, so the pieces that
 * count, read, flag and lift spell every name alike.
 */
final class SourceKeys {

    /** An IPv6 "address" is its /64: one host can use every address of its subnet. */
    static final int IPV6_ADDRESS_PREFIX = 64;
    /** The wider IPv6 networks counted by default. */
    static final List<Integer> DEFAULT_IPV6_WIDE_PREFIXES = List.of(56, 48);
    /** The shared bucket of requests whose address does not parse: throttled like any other source. */
    static final String UNPARSED = "unparsed";

    private final int ipv4Prefix;
    private final int ipv6Prefix;
    /** Wider IPv6 networks counted too (an attacker rotating through its /64s, /56s): their prefixes, widest last. */
    private final List<Integer> ipv6WidePrefixes;

    SourceKeys(int ipv4Prefix, int ipv6Prefix, List<Integer> ipv6WidePrefixes) {
        this.ipv6WidePrefixes = ipv6WidePrefixes.stream().filter(p -> p < ipv6Prefix).distinct()
                .sorted(Comparator.reverseOrder()).toList();
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
    }

    int ipv4Prefix() {
        return ipv4Prefix;
    }

    int ipv6Prefix() {
        return ipv6Prefix;
    }

    List<Integer> ipv6WidePrefixes() {
        return ipv6WidePrefixes;
    }

    /**
     * How many times the network thresholds a wider IPv6 network (the {@code i}-th of
     * {@link #ipv6WidePrefixes}) must reach: 4 for every 8 bits wider than the network prefix (a /56
     * holds 256 /64s, a /48 65,536: a hosting or mobile pool shared by many customers must not be
     * throttled by one of them at a /64's thresholds).
     */
    long wideScale(int i) {
        int bits = Math.max(0, ipv6Prefix - ipv6WidePrefixes.get(i));
        return 1L << Math.min(30, bits / 4);
    }

    /**
     * How a client address is counted: by address (IPv6: its /64), network, and for IPv6 the wider
     * networks; anything unparseable in one shared bucket.
     */
    record Source(boolean parsed, String address, String network, List<String> wide) {
    }

    Source sourceOf(String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isEmpty()) {
            warnUnparsed();
            return new Source(false, UNPARSED, UNPARSED, List.of());
        }
        InetAddress a = IpAddresses.unmap(address.get());
        List<String> wide = a instanceof java.net.Inet6Address
                ? ipv6WidePrefixes.stream().map(p -> IpAddresses.network(a, ipv4Prefix, p)).toList() : List.of();
        return new Source(true, addressKey(a), network(a), wide);
    }

    /** An address as counted: IPv4 as itself, IPv6 as its /64. */
    String addressKey(InetAddress address) {
        InetAddress a = IpAddresses.unmap(address);
        return a instanceof java.net.Inet6Address ? IpAddresses.network(a, ipv4Prefix, IPV6_ADDRESS_PREFIX)
                : IpAddresses.canonical(a);
    }

    /** The network an address is counted in (IPv4 /{@code ipv4Prefix}, IPv6 /{@code ipv6Prefix}). */
    String network(InetAddress a) {
        return IpAddresses.network(a, ipv4Prefix, ipv6Prefix);
    }

    String ipCounter(String realmId, InetAddress a) {
        return ipCounter(realmId, addressKey(a));
    }

    String networkCounter(String realmId, InetAddress a) {
        return networkCounter(realmId, network(a));
    }

    // The names. Before an address's or a network's counter, "d" names its distinct usernames and
    // "a" (with "|registration" or "|reset" after it) its sign-ups and reset requests.

    /** Failed logins from an address as counted ({@link #addressKey}, {@link #UNPARSED}). */
    static String ipCounter(String realmId, String address) {
        return ipPrefix(realmId) + address;
    }

    static String ipPrefix(String realmId) {
        return "i|" + realmId + "|";
    }

    /** Failed logins from a network (in CIDR notation, or {@link #UNPARSED}). */
    static String networkCounter(String realmId, String network) {
        return networkPrefix(realmId) + network;
    }

    static String networkPrefix(String realmId) {
        return "n|" + realmId + "|";
    }

    static String usernameCounter(String realmId, String hash) {
        return "u|" + realmId + "|" + hash;
    }

    static String unknownSourceCounter(String realmId, String hash) {
        return "uu|" + realmId + "|" + hash;
    }

    static String realmCounter(String realmId, String what) {
        return "r|" + realmId + "|" + what;
    }

    /** When this node last warned that a client address did not parse (at most once a minute). */
    private final java.util.concurrent.atomic.AtomicLong lastUnparsedWarning = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Requests whose address does not parse share one bucket: a proxy that hides client addresses
     * (or a server without {@code --proxy-headers} behind one) would put every user in it, so say
     * so, at most once a minute per node.
     */
    private void warnUnparsed() {
        long now = System.currentTimeMillis();
        long last = lastUnparsedWarning.get();
        if (now - last >= 60_000 && lastUnparsedWarning.compareAndSet(last, now)) {
            org.jboss.logging.Logger.getLogger(SourceKeys.class).warn("Sentinel: a request's client address is not an IP "
                    + "address; such requests share one throttling bucket. Behind a proxy, run Keycloak with --proxy-headers "
                    + "and --proxy-trusted-addresses so that it sees the client's address");
        }
    }
}
