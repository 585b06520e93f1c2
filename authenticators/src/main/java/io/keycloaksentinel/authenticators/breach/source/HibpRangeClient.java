package io.keycloaksentinel.authenticators.breach.source;

import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.net.BoundedHttp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Have I Been Pwned range API with k-anonymity: only the first five hex digits of the
 * password's SHA-1 leave the server ({@code GET <base>/range/<5 hex>}), the reply lists every
 * known hash of that range (35 more hex digits and a count), and the match is made here. The
 * request asks for padding ({@code Add-Padding: true}), so the reply's size does not tell an
 * observer of the encrypted traffic which range was asked; padding entries have count 0 and are
 * dropped.
 *
 * <p>Bounded like every remote call on the login path ({@link BoundedHttp}): one deadline, a
 * reply of at most {@value #MAX_REPLY_BYTES} bytes, no redirects. A reply that does not parse
 * line by line is a failure, never a guess. Ranges are cached through a {@link RangeCache}
 * (keyed by the service and the five hex digits, which the service sees anyway; never by a full
 * hash).
 */
public final class HibpRangeClient {

    public static final String DEFAULT_BASE_URL = BreachSettings.DEFAULT_API_URL;
    /** A padded range is 800-1,000 lines of 40 bytes or so; a reply this long is not one. */
    static final int MAX_REPLY_BYTES = 1 << 20;
    static final int MAX_ENTRIES = 20_000;
    private static final String USER_AGENT = "keycloak-sentinel";

    /** Where ranges are kept between calls; values are opaque bytes. */
    public interface RangeCache {
        byte[] get(String key);

        void put(String key, byte[] range);

        RangeCache NONE = new RangeCache() {
            @Override
            public byte[] get(String prefix) {
                return null;
            }

            @Override
            public void put(String prefix, byte[] range) {
            }
        };
    }

    /** The service could not answer: a short reason for the log (never the hash). */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }

    private final RangeCache cache;

    public HibpRangeClient(RangeCache cache) {
        this.cache = cache;
    }

    /**
     * How often the password with this SHA-1 appears in the corpus (0: not in it).
     *
     * @param baseUrl       the service's base URL (the range path is appended)
     * @param timeoutMillis the deadline for the call
     */
    public long count(byte[] sha1, String baseUrl, int timeoutMillis) throws Unavailable {
        String hex = PasswordDigest.hex(sha1);
        String prefix = hex.substring(0, 5);
        long suffix = Long.parseUnsignedLong(hex.substring(5, 21), 16);
        String key = cacheKey(baseUrl, prefix);
        byte[] range = cache.get(key);
        if (range == null) {
            range = fetch(prefix, baseUrl, timeoutMillis);
            cache.put(key, range);
        }
        return lookup(range, suffix);
    }

    /**
     * The cache key of a range: which service answered (a digest of its base URL, so that one
     * realm's mirror or test server cannot answer for another realm) and the five hex digits.
     */
    static String cacheKey(String baseUrl, String prefix) {
        byte[] service;
        try {
            service = java.security.MessageDigest.getInstance("SHA-256").digest(baseUrl.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return PasswordDigest.hex(java.util.Arrays.copyOf(service, 8)).toLowerCase(java.util.Locale.ROOT) + ":" + prefix;
    }

    private static byte[] fetch(String prefix, String baseUrl, int timeoutMillis) throws Unavailable {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        BoundedHttp.Call request = BoundedHttp.get(base + "/range/" + prefix)
                .orElseThrow(() -> new Unavailable("bad base URL"))
                .header("Add-Padding", "true")
                .header("User-Agent", USER_AGENT)
                .header("Accept", "text/plain");
        try {
            return parse(BoundedHttp.send(request, MAX_REPLY_BYTES, timeoutMillis));
        } catch (BoundedHttp.Failure e) {
            throw new Unavailable(e.getMessage());
        }
    }

    /**
     * Parses a range reply ({@code SUFFIX35:COUNT} lines, CRLF or LF) into the cached form: for
     * each entry with a count above 0, the first 64 bits of its suffix and its count, sorted.
     */
    static byte[] parse(byte[] body) throws Unavailable {
        String text = new String(body, StandardCharsets.US_ASCII);
        String[] lines = text.split("\r?\n");
        long[] suffixes = new long[Math.min(lines.length, MAX_ENTRIES)];
        long[] counts = new long[suffixes.length];
        int n = 0;
        int seen = 0;
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            if (++seen > MAX_ENTRIES) {
                throw new Unavailable("garbage reply: more than " + MAX_ENTRIES + " entries");
            }
            if (line.length() < 37 || line.length() > 35 + 1 + 19 || line.charAt(35) != ':') {
                throw new Unavailable("garbage reply: line " + seen + " is not SUFFIX:COUNT");
            }
            long count;
            long top;
            try {
                checkHex(line, 35);
                top = Long.parseUnsignedLong(line.substring(0, 16), 16);
                count = Long.parseLong(line.substring(36));
            } catch (NumberFormatException e) {
                throw new Unavailable("garbage reply: line " + seen + " is not SUFFIX:COUNT");
            }
            if (count < 0) {
                throw new Unavailable("garbage reply: line " + seen + " has a negative count");
            }
            if (count > 0) { // padding entries have count 0
                suffixes[n] = top;
                counts[n] = count;
                n++;
            }
        }
        if (seen == 0) {
            throw new Unavailable("garbage reply: empty range");
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long[] s = suffixes;
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(s[a], s[b]));
        ByteBuffer out = ByteBuffer.allocate(n * 16);
        for (int i : order) {
            out.putLong(suffixes[i]).putLong(counts[i]);
        }
        return out.array();
    }

    private static void checkHex(String line, int length) {
        for (int i = 0; i < length; i++) {
            char c = line.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f')) {
                throw new NumberFormatException();
            }
        }
    }

    /** The count of {@code suffix} in a cached range (0 when absent). */
    static long lookup(byte[] range, long suffix) {
        ByteBuffer b = ByteBuffer.wrap(range);
        int lo = 0;
        int hi = range.length / 16 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(b.getLong(mid * 16), suffix);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return b.getLong(mid * 16 + 8);
            }
        }
        return 0;
    }
}
