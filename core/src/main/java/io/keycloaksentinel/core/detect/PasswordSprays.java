package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Password spraying: one password tried on many accounts, once each, from many sources. Counted per
 * password fingerprint: the distinct accounts it was tried on from a network new to the account,
 * within {@link #WINDOW}. A fingerprint tried on the realm's {@code sprayAccountsPerHour} accounts
 * is "sprayed".
 *
 * <p>The fingerprint is {@value #FINGERPRINT_BITS} bits of an HMAC-SHA256 of the typed password under
 * a key derived from the realm's random key (held in the cluster cache, never in the database or an
 * export). Truncated on purpose: about one string in a million shares any fingerprint, so a
 * fingerprint read out of memory, even with the key, confirms no password: a list of 14 million
 * leaked passwords leaves about 13 candidates for each. Wide enough for counting: at 100,000 distinct
 * passwords an hour from new networks, the chance that unrelated passwords fill one fingerprint up
 * to 10 accounts is about 10^-11 an hour. Counts live {@link #WINDOW} (plus a bucket) in the bounded
 * subject cache like every other counter; fingerprints are never logged, stored in the database,
 * shown or sent.
 */
public final class PasswordSprays {

    public static final int FINGERPRINT_BITS = 20;
    public static final Window WINDOW = Window.ONE_HOUR;
    /** The sign-ins with one fingerprint from networks new to their accounts that are kept for the window. */
    public static final int MAX_ENTERED = 50;
    private static final String PURPOSE = "password-fingerprint";

    private final CounterStore store;
    private final RealmKeys keys;
    private final LongSupplier clock;
    private final SourceKeys sources;

    PasswordSprays(CounterStore store, RealmKeys keys, LongSupplier clock, SourceKeys sources) {
        this.store = store;
        this.keys = keys;
        this.clock = clock;
        this.sources = sources;
    }

    /**
     * The fingerprint of a typed password in a realm: {@value #FINGERPRINT_BITS} bits, as 5 hex
     * digits. Never log it, store it outside the counters or show it.
     */
    public String fingerprint(String realmId, String password) {
        return truncate(hmac(keys.stableKey(realmId, PURPOSE), password));
    }

    static byte[] hmac(byte[] key, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The first {@value #FINGERPRINT_BITS} bits of a digest, as hex. */
    static String truncate(byte[] digest) {
        int bits = ((digest[0] & 0xff) << 12) | ((digest[1] & 0xff) << 4) | ((digest[2] & 0xff) >>> 4);
        return String.format(Locale.ROOT, "%05x", bits);
    }

    /** How many distinct accounts the fingerprint was tried on from networks new to them, in the window. */
    public long accounts(String realmId, String fingerprint) {
        return store.sum(Scope.SUBJECT, counter(realmId, fingerprint), WINDOW, clock.getAsLong());
    }

    /** An attempt with the fingerprint on an account (its keyed subject) from a network new to the account. Buffered. */
    public void tried(String realmId, String fingerprint, String accountSubject) {
        if (accountSubject != null) {
            store.addDistinct(Scope.SUBJECT, counter(realmId, fingerprint), accountSubject, WINDOW, clock.getAsLong());
        }
    }

    /** A sign-in with the fingerprint to an account from a network new to it, kept for the window (the spray that worked). */
    public Entered entered(String realmId, String fingerprint, String userId, String ip) {
        var address = IpAddresses.parse(ip);
        if (userId == null || userId.indexOf(',') >= 0 || userId.indexOf(' ') >= 0 || address.isEmpty()) {
            return null;
        }
        String canonical = IpAddresses.canonical(address.get());
        Entered in = new Entered(userId, canonical, sources.network(address.get()), clock.getAsLong());
        store.remember(enteredKey(realmId, fingerprint), userId + " " + canonical + " " + in.atMillis(), MAX_ENTERED,
                WINDOW.length());
        return in;
    }

    /** A sign-in with a sprayed password: whose, from where, when. */
    public record Entered(String userId, String ip, String network, long atMillis) {
    }

    /** The sign-ins with the fingerprint from networks new to their accounts, in the window, most recent first. */
    public List<Entered> entered(String realmId, String fingerprint) {
        long from = clock.getAsLong() - WINDOW.length().toMillis();
        List<Entered> out = new ArrayList<>();
        for (String entry : store.recent(enteredKey(realmId, fingerprint))) {
            String[] p = entry.split(" ");
            long at = p.length == 3 ? IncidentLedger.timeOf(p[2]) : -1;
            var address = at < from ? java.util.Optional.<java.net.InetAddress>empty() : IpAddresses.parse(p[1]);
            if (address.isPresent()) {
                out.add(new Entered(p[0], p[1], sources.network(address.get()), at));
            }
        }
        return out;
    }

    /**
     * A sprayed password, as handed to the incident response: when it was flagged and how many
     * accounts it had been tried on. Its fingerprint stays inside (and out of {@link #toString()}).
     */
    public static final class Flag {
        private final String fingerprint;
        private final long atMillis;
        private final long accounts;

        Flag(String fingerprint, long atMillis, long accounts) {
            this.fingerprint = fingerprint;
            this.atMillis = atMillis;
            this.accounts = accounts;
        }

        public long atMillis() {
            return atMillis;
        }

        /** Distinct accounts it was tried on from networks new to them when it was flagged. */
        public long accounts() {
            return accounts;
        }

        String fingerprint() {
            return fingerprint;
        }

        @Override
        public String toString() {
            return "sprayed password (" + accounts + " accounts)";
        }
    }

    /** Claims the flag of a sprayed fingerprint on the whole cluster: one flag per fingerprint and window. */
    Flag claimFlag(String realmId, String fingerprint, long accounts) {
        long now = clock.getAsLong();
        return keys.claimOnce(realmId, "spray|" + fingerprint, WINDOW.length()) ? new Flag(fingerprint, now, accounts) : null;
    }

    /** The sign-ins a flagged spray made (from networks new to their accounts), most recent first. */
    public List<Entered> entered(String realmId, Flag flag) {
        return entered(realmId, flag.fingerprint());
    }

    private static String counter(String realmId, String fingerprint) {
        return "sp|" + realmId + "|" + fingerprint;
    }

    private static String enteredKey(String realmId, String fingerprint) {
        return "spin|" + realmId + "|" + fingerprint;
    }
}
