package io.keycloaksentinel.core.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Parses the client address Keycloak reports (never a header we read ourselves) without ever
 * touching DNS, and unwraps IPv4-mapped IPv6 addresses so that {@code ::ffff:10.1.2.3} and
 * {@code 10.1.2.3} count as one client.
 */
public final class IpAddresses {

    /** The longest textual IPv6 address with a zone id that we accept; anything longer is junk. */
    static final int MAX_LENGTH = 64;

    private IpAddresses() {
    }

    /** The address, or empty for null, blank, oversize, or anything that is not an IP literal. */
    public static Optional<InetAddress> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.strip();
        if (s.isEmpty() || s.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        boolean v6 = s.indexOf(':') >= 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.' || (v6 && (c == ':' || c == '%'
                    || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok) {
                // letters outside hex (a hostname) would make InetAddress do a DNS lookup
                return Optional.empty();
            }
        }
        if (!v6 && !isDottedQuad(s)) {
            return Optional.empty();
        }
        try {
            return Optional.of(unmap(InetAddress.getByName(s)));
        } catch (UnknownHostException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static boolean isDottedQuad(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3) {
                return false;
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code ::ffff:a.b.c.d} becomes {@code a.b.c.d}; everything else is returned as is. */
    public static InetAddress unmap(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException impossible) {
                    throw new IllegalStateException(impossible);
                }
            }
        }
        return address;
    }

    /** The canonical text: dotted quad for IPv4, RFC 5952-style compressed form for IPv6. */
    public static String canonical(InetAddress address) {
        InetAddress a = unmap(address);
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        return compressIpv6(a.getAddress());
    }

    /** The network an address belongs to, as CIDR text, e.g. {@code 203.0.113.0/24}. */
    public static String network(InetAddress address, int ipv4Prefix, int ipv6Prefix) {
        InetAddress a = unmap(address);
        int prefix = a instanceof Inet4Address ? ipv4Prefix : ipv6Prefix;
        byte[] masked = mask(a.getAddress(), prefix);
        String base = a instanceof Inet4Address
                ? (masked[0] & 0xff) + "." + (masked[1] & 0xff) + "." + (masked[2] & 0xff) + "." + (masked[3] & 0xff)
                : compressIpv6(masked);
        return base + "/" + prefix;
    }

    static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int bitsHere = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - bitsHere)));
        }
        return out;
    }

    private static String compressIpv6(byte[] b) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
