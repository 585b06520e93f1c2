package io.keycloaksentinel.core.net;

import java.net.InetAddress;
import java.util.Arrays;

/** An IPv4 or IPv6 range in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address). */
public final class CidrRange {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private CidrRange(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses CIDR text.
     *
     * @throws IllegalArgumentException with a message fit for an admin, for anything else
     */
    public static CidrRange parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("empty CIDR range");
        }
        String s = cidr.strip();
        int slash = s.indexOf('/');
        String addressText = slash < 0 ? s : s.substring(0, slash);
        InetAddress address = IpAddresses.parse(addressText)
                .orElseThrow(() -> new IllegalArgumentException("'" + abbreviate(cidr) + "' is not an IP address or CIDR range"));
        int max = address.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!isShortNumber(p) || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException("'" + abbreviate(cidr) + "' has an invalid prefix length (0-" + max + ")");
            }
            prefix = Integer.parseInt(p);
        }
        byte[] network = IpAddresses.mask(address.getAddress(), prefix);
        return new CidrRange(network, prefix, IpAddresses.network(address, prefix, prefix));
    }

    public boolean contains(InetAddress address) {
        byte[] a = IpAddresses.unmap(address).getAddress();
        return a.length == network.length && Arrays.equals(IpAddresses.mask(a, prefix), network);
    }

    /** One to three ASCII digits (no regex: this runs on the login path when an allowlist is set). */
    private static boolean isShortNumber(String s) {
        if (s.isEmpty() || s.length() > 3) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
