package io.keycloaksentinel.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every realm-settings record of Sentinel checks the same way: an admin's partial update
 * (a JSON object of known keys), whole numbers in a range, stored numbers that fall back to their
 * default when damaged, and URLs of remote services that may carry secrets.
 */
public final class SettingsValues {

    private SettingsValues() {
    }

    /**
     * Refuses an empty update or one with a key not in {@code keys}.
     *
     * @throws IllegalArgumentException naming the first unknown key (shortened) and the known ones
     */
    public static void checkKeys(Map<String, Object> update, List<String> keys) {
        if (update == null || update.isEmpty()) {
            throw new IllegalArgumentException("the body must be a JSON object with at least one of " + keys);
        }
        for (String key : update.keySet()) {
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + shorten(key) + "'; known: " + keys);
            }
        }
    }

    /** {@code s} cut to 40 characters, for a message that quotes what an admin sent. */
    public static String shorten(String s) {
        return s == null ? "null" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** A JSON number that is whole and within {@code min..max}, else a message naming {@code key}. */
    public static long integer(String key, Object v, long min, long max) {
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.longValue() < min || n.longValue() > max) {
            throw new IllegalArgumentException(key + " must be a whole number from " + min + " to " + max);
        }
        return n.longValue();
    }

    /** A stored whole number within {@code min..max}, or {@code fallback} when missing or damaged. */
    public static long stored(String v, long min, long max, long fallback) {
        try {
            long n = Long.parseLong(v == null ? "" : v.strip());
            return n < min || n > max ? fallback : n;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * An {@code https} URL naming a host, or plain {@code http} to a loopback address (a local
     * proxy, a test server): what a remote call that may carry a secret may be sent to. No user
     * info, no fragment.
     */
    public static Optional<String> serviceUrl(String v) {
        if (v == null || v.isBlank() || v.length() > 2048) {
            return Optional.empty();
        }
        java.net.URI uri;
        try {
            uri = java.net.URI.create(v.strip());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String host = uri.getHost();
        if (host == null || uri.getUserInfo() != null || uri.getFragment() != null) {
            return Optional.empty();
        }
        boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
        if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && loopback)) {
            return Optional.empty();
        }
        return Optional.of(v.strip());
    }
}
