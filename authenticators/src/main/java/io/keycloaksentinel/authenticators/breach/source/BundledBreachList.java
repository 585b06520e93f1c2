package io.keycloaksentinel.authenticators.breach.source;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The offline list inside the JAR: the 100,000 most common passwords that the password-strength
 * library nbvcxz ships ({@code dictionaries/passwords.txt} of {@code me.gosimple:nbvcxz}, MIT
 * license), taken from its Maven Central artifact at build time. Held as the sorted first 64 bits
 * of each entry's SHA-1 (800 KB of heap, no strings); a collision of 64 bits among 100,000
 * entries is out of reach (about 5e-15 per lookup).
 *
 * <p>A password matches when it, its NFC form or its lower-case form is on the list: the list is
 * lower-case, and "Password1" is as guessable as "password1". The list has no breach counts; its
 * entries are the most frequent passwords of public breaches, so a realm's minimum count does not
 * apply to it.
 */
public final class BundledBreachList {

    static final String RESOURCE = "/io/keycloaksentinel/authenticators/breach/source/passwords.txt";
    private static volatile BundledBreachList shared;

    private final long[] hashes;

    BundledBreachList(long[] sortedHashes) {
        this.hashes = sortedHashes;
    }

    /** The list in the JAR, loaded once per class loader. */
    public static BundledBreachList get() {
        BundledBreachList l = shared;
        if (l == null) {
            synchronized (BundledBreachList.class) {
                if (shared == null) {
                    try (InputStream in = BundledBreachList.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) {
                            throw new IllegalStateException("the bundled password list " + RESOURCE + " is missing from the JAR");
                        }
                        shared = read(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                l = shared;
            }
        }
        return l;
    }

    /** Reads one password a line (UTF-8, blank lines skipped). */
    static BundledBreachList read(InputStream in) throws IOException {
        long[] hashes = new long[1024];
        int n = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String password = line.strip();
                if (password.isEmpty()) {
                    continue;
                }
                if (n == hashes.length) {
                    hashes = Arrays.copyOf(hashes, n * 2);
                }
                hashes[n++] = PasswordDigest.top64(PasswordDigest.sha1(password), 0);
            }
        }
        long[] sorted = Arrays.copyOf(hashes, n);
        sortUnsigned(sorted);
        return new BundledBreachList(sorted);
    }

    /** Entries on the list. */
    public int size() {
        return hashes.length;
    }

    /** Whether {@code password} (as typed, NFC or lower-case) is on the list. */
    public boolean contains(String password) {
        for (String form : PasswordDigest.forms(password)) {
            if (containsExactly(form) || containsExactly(form.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private boolean containsExactly(String text) {
        long key = PasswordDigest.top64(PasswordDigest.sha1(text), 0);
        int lo = 0;
        int hi = hashes.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(hashes[mid], key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    private static void sortUnsigned(long[] values) {
        // flipping the sign bit maps unsigned order onto signed order
        for (int i = 0; i < values.length; i++) {
            values[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(values);
        for (int i = 0; i < values.length; i++) {
            values[i] ^= Long.MIN_VALUE;
        }
    }
}
