package io.keycloaksentinel.core.net;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where Sentinel's outbound calls (CAPTCHA siteverify, the HIBP range API, alert webhooks) may go,
 * checked when the call is made, not only when the URL was saved: the host is resolved (bounded
 * by the call's own deadline) and every address it resolves to must be public. Refused: loopback,
 * link-local (the cloud metadata service at 169.254.169.254 among them), private (RFC 1918, IPv6
 * unique-local), carrier-grade NAT, unspecified, multicast, and any address of this server's own
 * network interfaces (its management port included). A server option, which only whoever starts
 * Keycloak can set, lets chosen ranges through
 * ({@code --spi-sentinel-attack-detection--sentinel-infinispan--outbound-allowed-networks=10.0.0.0/8}).
 * The JVM keeps a resolution for 30 s, so the client's own lookup right after sees what was checked.
 */
public final class OutboundPolicy {

    /** The option's name, with {@code sentinel-infinispan}'s others. */
    public static final String OPTION = "outbound-allowed-networks";
    private static final List<CidrRange> NEVER_PUBLIC = List.of(CidrRange.parse("100.64.0.0/10"),
            CidrRange.parse("0.0.0.0/8"), CidrRange.parse("fc00::/7"), CidrRange.parse("192.0.0.0/24"),
            CidrRange.parse("198.18.0.0/15"), CidrRange.parse("240.0.0.0/4"));
    private static volatile List<CidrRange> allowed = List.of();
    /** Host lookups: at most 16 at once (a slow resolver holds a lookup thread, never a caller past its deadline). */
    private static final ThreadPoolExecutor LOOKUPS = new ThreadPoolExecutor(0, 16, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "sentinel-outbound-lookup");
                t.setDaemon(true);
                return t;
            });

    private OutboundPolicy() {
    }

    /**
     * The ranges the server option lets through ("10.0.0.0/8,::1"); empty or null: none.
     *
     * @throws IllegalArgumentException naming a value that is not a range
     */
    public static List<CidrRange> parse(String value) {
        List<CidrRange> out = new ArrayList<>();
        if (value != null) {
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    try {
                        out.add(CidrRange.parse(part));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("Sentinel option " + OPTION + ": " + e.getMessage());
                    }
                }
            }
        }
        if (out.size() > 100) {
            throw new IllegalArgumentException("Sentinel option " + OPTION + ": at most 100 ranges");
        }
        return List.copyOf(out);
    }

    /** Sets the ranges let through, for this server (read once at start-up). */
    public static void allow(List<CidrRange> ranges) {
        allowed = List.copyOf(ranges);
    }

    /**
     * Why a call to {@code url} must not be made now, or empty when it may: not http(s) with a
     * host, user info in it, a host that does not resolve within {@code timeoutMillis}, or one that
     * resolves to any address this policy refuses.
     */
    public static Optional<String> refusal(String url, long timeoutMillis) {
        return refusal(url, timeoutMillis, true);
    }

    /**
     * For a URL being saved: as {@link #refusal(String, long)}, except that a host that does not
     * resolve now (DNS down, a name not yet published) is accepted; each call checks it again.
     */
    public static Optional<String> refusalWhenSaved(String url, long timeoutMillis) {
        return refusal(url, timeoutMillis, false);
    }

    private static Optional<String> refusal(String url, long timeoutMillis, boolean mustResolve) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (RuntimeException e) {
            return Optional.of("not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null || uri.getRawUserInfo() != null) {
            return Optional.of("not an http(s) URL with a host");
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetAddress[] addresses;
        Optional<InetAddress> literal = IpAddresses.parse(host);
        if (literal.isPresent()) {
            addresses = new InetAddress[] {literal.get()}; // an address: nothing to look up
        } else {
            try {
                String name = host;
                // on threads of its own (not the common pool, which other code may keep busy), within the deadline
                CompletableFuture<InetAddress[]> lookup = CompletableFuture.supplyAsync(() -> {
                    try {
                        return InetAddress.getAllByName(name);
                    } catch (UnknownHostException e) {
                        throw new IllegalStateException("unknown host", e);
                    }
                }, LOOKUPS);
                addresses = lookup.get(Math.max(1, timeoutMillis), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return mustResolve ? Optional.of("host lookup timed out") : Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of("interrupted");
            } catch (RejectedExecutionException e) {
                return mustResolve ? Optional.of("too many host lookups at once") : Optional.empty();
            } catch (ExecutionException | RuntimeException e) {
                return mustResolve ? Optional.of("unknown host") : Optional.empty();
            }
        }
        for (InetAddress a : addresses) {
            if (forbidden(a) && allowed.stream().noneMatch(r -> r.contains(a))) {
                return Optional.of("resolves to a non-public address (" + a.getHostAddress() + "); a server option ("
                        + OPTION + ") can allow it");
            }
        }
        return Optional.empty();
    }

    /** Whether an address is one an outbound call must not reach unless allowed. */
    static boolean forbidden(InetAddress a) {
        InetAddress address = IpAddresses.unmap(a); // ::ffff:127.0.0.1 is loopback too
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()
                || NEVER_PUBLIC.stream().anyMatch(r -> r.contains(address))) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null; // this server's own address
        } catch (SocketException e) {
            return true;
        }
    }
}
