package io.keycloaksentinel.authenticators.breach.source;

import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.breach.BreachSettings.Source;
import java.util.ArrayList;
import java.util.List;

/**
 * Looks a password up in the sources a realm enabled, cheapest first: the list in the JAR (in
 * memory), the server's offline HIBP index (memory-mapped), the HIBP range API (a network call,
 * cached). Stops at the first source that lists the password. Holds no state per password: the
 * password and its hashes live only for the call.
 */
public final class BreachChecker {

    /** The server's offline index, as far as the checker needs it. */
    @FunctionalInterface
    public interface IndexSource {
        /** TRUE: listed; FALSE: not listed; null: the index cannot answer (missing, damaged). */
        Boolean listed(byte[] sha1);
    }

    private final BundledBreachList bundled;
    private final IndexSource index;
    private final HibpRangeClient api;

    /**
     * @param index the server's offline index, or null when the server has none configured (the
     *              {@code index} source is then skipped, not failed)
     */
    public BreachChecker(BundledBreachList bundled, IndexSource index, HibpRangeClient api) {
        this.bundled = bundled;
        this.index = index;
        this.api = api;
    }

    public boolean hasIndex() {
        return index != null;
    }

    /**
     * @param minCount the smallest API count that makes a password breached (the policy's value);
     *                 the bundled list and the index (built with its own minimum) have no counts
     */
    public BreachVerdict check(String password, BreachSettings settings, long minCount) {
        if (settings.sources().contains(Source.BUNDLED) && bundled.contains(password)) {
            return BreachVerdict.breached(Source.BUNDLED, -1);
        }
        List<byte[]> hashes = new ArrayList<>(2);
        for (String form : PasswordDigest.forms(password)) {
            hashes.add(PasswordDigest.sha1(form));
        }
        BreachVerdict unknown = null;
        if (settings.sources().contains(Source.INDEX) && index != null) {
            for (byte[] h : hashes) {
                Boolean listed = index.listed(h);
                if (listed == null) {
                    unknown = BreachVerdict.unknown(Source.INDEX, "the offline index is unavailable");
                    break;
                }
                if (listed) {
                    return BreachVerdict.breached(Source.INDEX, -1);
                }
            }
        }
        if (settings.sources().contains(Source.API)) {
            for (byte[] h : hashes) {
                try {
                    long count = api.count(h, settings.apiUrl(), settings.apiTimeoutMillis());
                    if (count >= Math.max(1, minCount)) {
                        return BreachVerdict.breached(Source.API, count);
                    }
                } catch (HibpRangeClient.Unavailable e) {
                    if (unknown == null) {
                        unknown = BreachVerdict.unknown(Source.API, "the range API: " + e.getMessage());
                    }
                    break;
                }
            }
        }
        return unknown != null ? unknown : BreachVerdict.CLEAN;
    }
}
