package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.risk.Usernames;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A realm's random key, held in the cluster store so every node uses the same one, and what is
 * derived from it: the keyed hashes under which usernames and accounts are counted, and keys for
 * other purposes (CAPTCHA, device cookies). Also the realm's single-use claims on the whole
 * cluster (one-time tokens, hourly slots).
 */
public final class RealmKeys {

    /** Usernames are hashed, so any length is safe; beyond this only the length adds to the hash. */
    static final int MAX_USERNAME_CHARS_HASHED = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ACCOUNT_MARK = "account\u0001";

    private final CounterStore store;
    private final LongSupplier clock;
    /** How long a node uses its copy of a realm's keys before it reads the cluster's again (a rotation elsewhere). */
    static final long REFRESH_MILLIS = 10_000L;
    /** The longest grace period a rotation may give the previous signing key. */
    public static final java.time.Duration MAX_GRACE = java.time.Duration.ofDays(365);
    private final Map<String, Cached> rings = new ConcurrentHashMap<>();
    private volatile PersistedKeys persisted = PersistedKeys.NONE;
    /** Realms whose key is not stored yet, and when to try again (bounded by the realms of this node). */
    private final Map<String, Long> unsaved = new ConcurrentHashMap<>();
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RealmKeys.class);

    RealmKeys(CounterStore store, LongSupplier clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * HMAC-SHA256 of the lower-cased username under a random per-realm key that lives in the
     * cluster cache: counts per username without storing or logging the name, and without a
     * hash anyone could recompute from a list of names.
     */
    String usernameHash(String realmId, String username) {
        String trimmed = username.strip();
        String normalized = trimmed.length() > MAX_USERNAME_CHARS_HASHED
                ? trimmed.substring(0, MAX_USERNAME_CHARS_HASHED) + "#" + trimmed.length()
                : trimmed;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(ring(realmId).root(), "HmacSHA256"));
            byte[] digest = mac.doFinal(normalized.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 16));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * The counted subject of a typed username ({@link Usernames#canonical}: every spelling Keycloak
     * signs in with counts as one), as a keyed hash; null for none and for a name with a control
     * character inside (no real name has one; such names are refused before any lookup).
     */
    public String typedSubject(String realmId, String username) {
        if (Usernames.hasControlCharacters(username)) {
            return null; // refused before any lookup; never counted as (or for) a name
        }
        String canonical = Usernames.canonical(username);
        return canonical == null ? null : usernameHash(realmId, canonical);
    }

    /**
     * The counted subject of an account, whatever name it was typed as (username or email), as a
     * keyed hash of its id; null for none. Cannot collide with a typed name: it holds a control
     * character, which typed names never keep.
     */
    public String accountSubject(String realmId, String userId) {
        return userId == null || userId.isBlank() ? null : usernameHash(realmId, ACCOUNT_MARK + userId);
    }

    /**
     * A 256-bit signing key for {@code purpose} (device cookies, CAPTCHA challenges, breach memos),
     * derived from the realm's current signing key held in the cluster, so every node signs and
     * verifies alike and one purpose's key says nothing about another's. Changes when the realm's
     * keys are rotated ({@link #rotate}); until then it is derived from the root key, as before
     * rotation existed.
     */
    public byte[] derivedKey(String realmId, String purpose) {
        return derive(ring(realmId).signing(), purpose);
    }

    /**
     * The signing key for {@code purpose} from before the last rotation, while its grace period
     * lasts (what was signed with it still verifies); null otherwise.
     */
    public byte[] previousDerivedKey(String realmId, String purpose) {
        Ring ring = ring(realmId);
        return ring.previous() != null && clock.getAsLong() < ring.previousUntil() ? derive(ring.previous(), purpose) : null;
    }

    /**
     * A 256-bit key for {@code purpose} that a rotation never changes, derived from the realm's root
     * key: for pseudonyms that index stored state (the ids a user's device list stores, password
     * fingerprints), which a new key would orphan. Equal to {@link #derivedKey} until the first rotation.
     */
    public byte[] stableKey(String realmId, String purpose) {
        return derive(ring(realmId).root(), purpose);
    }

    private static byte[] derive(byte[] key, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(("sentinel-key/" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** When the realm's signing key was last rotated and until when the one before it still verifies (null: never). */
    public record Rotation(Long rotatedAtMillis, Long previousValidUntilMillis) {
    }

    /** The realm's rotation state (never the keys). */
    public Rotation rotation(String realmId) {
        Ring ring = ring(realmId);
        return new Rotation(ring.rotatedAt() == 0 ? null : ring.rotatedAt(),
                ring.previous() == null ? null : ring.previousUntil());
    }

    /**
     * Rotates the realm's signing key on the whole cluster and stores it: a new random key signs from
     * now on (other nodes take it within {@value #REFRESH_MILLIS} ms), and the current one still
     * verifies for {@code grace} (zero: no longer at all, for a key that leaked). What was signed with
     * the key before the current one no longer verifies. The root key, behind counted names and
     * stored device ids, stays.
     *
     * @throws IllegalStateException when the cluster's keys cannot be read or changed (nothing rotated)
     */
    public Rotation rotate(String realmId, java.time.Duration grace) {
        if (grace.isNegative() || grace.compareTo(MAX_GRACE) > 0) {
            throw new IllegalArgumentException("the grace period must be between 0 and " + MAX_GRACE.toDays() + " days");
        }
        ring(realmId); // loaded (and in the cluster) first
        String clusterKey = "hash-key|" + realmId;
        for (int attempt = 0; attempt < 5; attempt++) {
            String before = store.get(clusterKey).orElse(null);
            Ring current = before == null ? null : Ring.parse(before);
            if (current == null) {
                throw new IllegalStateException("the realm's keys are not in the cluster store");
            }
            byte[] fresh = new byte[32];
            RANDOM.nextBytes(fresh);
            long now = clock.getAsLong();
            Ring next = new Ring(current.root(), fresh, current.signing(), now + grace.toMillis(), now);
            String encoded = next.encode();
            if (store.compareAndSet(clusterKey, before, encoded)) {
                rings.put(realmId, new Cached(next, encoded, now));
                unsaved.put(realmId, 0L);
                save(realmId, encoded);
                LOG.infof("Sentinel: the signing key of realm %s was rotated; the previous one verifies until %s", realmId,
                        java.time.Instant.ofEpochMilli(next.previousUntil()));
                return rotation(realmId);
            }
        }
        throw new IllegalStateException("the realm's keys changed concurrently; try again");
    }

    /**
     * Claims one of {@code perHour} slots of the current hour for {@code purpose} and
     * {@code subject} (a user id, an email address) on the whole cluster: false when all are taken.
     * The subject is kept only as a keyed hash, like counted usernames; slots expire by themselves.
     */
    public boolean claimHourlySlot(String realmId, String purpose, String subject, int perHour) {
        long hour = clock.getAsLong() / 3_600_000L;
        String who = usernameHash(realmId, subject);
        for (int i = 0; i < perHour; i++) {
            if (claimOnce(realmId, purpose + "|" + who + "|" + hour + "|" + i, java.time.Duration.ofHours(2))) {
                return true;
            }
        }
        return false;
    }

    /** Claims a one-time token of the realm on the whole cluster; see {@link CounterStore#claimOnce}. */
    public boolean claimOnce(String realmId, String token, java.time.Duration ttl) {
        return store.claimOnce("once|" + realmId + "|" + token, ttl);
    }

    /** Keeps each realm's key in {@code keys} too, so that it outlives a full restart of the cluster. */
    public void persistWith(PersistedKeys keys) {
        persisted = keys == null ? PersistedKeys.NONE : keys;
    }

    /** Drops this node's copy of a deleted realm's key (the cluster's copy stays with the realm's other entries). */
    void forget(String realmId) {
        rings.remove(realmId);
        unsaved.remove(realmId);
    }

    /**
     * Once per realm and node: the cluster's key; when the cluster has none (its first use, or the
     * whole cluster restarted), the stored one, or a new one. The stored key is then made the
     * cluster's (so a key a running cluster made before keys were stored is kept from then on).
     */
    private String loadOrCreateHashKey(String realmId) {
        String key = "hash-key|" + realmId;
        Optional<String> existing = store.get(key);
        String stored = null;
        if (existing.isEmpty()) {
            try {
                // null also for a realm still being created: its key is stored on a later use
                stored = valid(persisted.loadOrCreate(realmId));
            } catch (RuntimeException e) {
                // the database cannot be read: never make a key that would then replace the stored one (every known
                // device and open challenge lost); this call gets a key of its own, and the next one tries again
                LOG.warnf("Sentinel: the stored key of realm %s cannot be read (%s); tried again on the next use",
                        realmId, e.getClass().getSimpleName());
                throw new KeyUnavailable();
            }
            String candidate = stored;
            if (candidate == null) {
                byte[] fresh = new byte[32];
                RANDOM.nextBytes(fresh);
                candidate = Base64.getEncoder().encodeToString(fresh);
            }
            store.compareAndSet(key, null, candidate);
            existing = store.get(key);
        }
        String chosen = existing.orElseThrow();
        if (Ring.parse(chosen) == null) {
            // damaged in the cluster store (no node writes such a value): never used, never stored
            throw new KeyUnavailable();
        }
        if (!chosen.equals(stored)) {
            unsaved.put(realmId, 0L);
            save(realmId, chosen);
        }
        return chosen;
    }

    /** The stored key could not be read: this one use gets a throwaway key. */
    private static final class KeyUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KeyUnavailable() {
            super(null, null, false, false);
        }
    }

    /**
     * The keys of a realm, stored if that has not been done yet (tried again at most every 5 s until
     * it works); this node's copy, read again from the cluster every {@value #REFRESH_MILLIS} ms.
     */
    private Ring ring(String realmId) {
        long now = clock.getAsLong();
        Cached cached = rings.get(realmId);
        if (cached == null) {
            // loaded outside the map's lock: the load may wait on the database, and must not hold up other realms
            String encoded;
            try {
                encoded = loadOrCreateHashKey(realmId);
            } catch (KeyUnavailable e) {
                byte[] throwaway = new byte[32];
                RANDOM.nextBytes(throwaway);
                return new Ring(throwaway, throwaway, null, 0, 0);
            }
            Cached loaded = new Cached(Ring.parse(encoded), encoded, now);
            Cached before = rings.putIfAbsent(realmId, loaded);
            cached = before != null ? before : loaded;
        } else if (now - cached.readAt() >= REFRESH_MILLIS) {
            cached = refreshed(realmId, cached, now);
        }
        Long retryAt = unsaved.get(realmId);
        if (retryAt != null && now >= retryAt) {
            save(realmId, cached.encoded());
        }
        return cached.ring();
    }

    /** This node's copy after a look at the cluster's: a rotation made on another node is taken. */
    private Cached refreshed(String realmId, Cached cached, long now) {
        Cached next = new Cached(cached.ring(), cached.encoded(), now);
        try {
            String clusterKey = "hash-key|" + realmId;
            Optional<String> current = store.get(clusterKey);
            if (current.isEmpty()) {
                // the cluster lost it (every other node restarted while this one ran on): this node's copy is put back
                store.compareAndSet(clusterKey, null, cached.encoded());
            } else if (!current.get().equals(cached.encoded())) {
                Ring ring = Ring.parse(current.get());
                if (ring != null && java.util.Arrays.equals(ring.root(), cached.ring().root())
                        && ring.rotatedAt() >= cached.ring().rotatedAt()) {
                    next = new Cached(ring, current.get(), now);
                }
            }
        } catch (RuntimeException e) {
            // the cluster store cannot be read now: this node's copy is used a while longer
        }
        rings.put(realmId, next);
        return next;
    }

    /** One node's copy of a realm's keys, and when it was read from the cluster. */
    private record Cached(Ring ring, String encoded, long readAt) {
    }

    /**
     * A realm's keys: the root (counted names, stored device ids, password fingerprints; never
     * rotated), the signing key (cookies, challenges, memos; the root until the first rotation), and
     * the signing key before it with the end of its grace period. Stored as the root alone (base64 of
     * 32 bytes) until the first rotation, so keys stored by earlier versions read as they are.
     */
    record Ring(byte[] root, byte[] signing, byte[] previous, long previousUntil, long rotatedAt) {

        private static final String PREFIX = "ring1:";

        /** The keys of a stored value; null when it is not one (a masked value, damage). */
        static Ring parse(String stored) {
            if (stored == null) {
                return null;
            }
            if (!stored.startsWith(PREFIX)) {
                byte[] root = decode(stored);
                return root == null ? null : new Ring(root, root, null, 0, 0);
            }
            String[] parts = stored.substring(PREFIX.length()).split(":", -1);
            if (parts.length != 5) {
                return null;
            }
            byte[] root = decode(parts[0]);
            byte[] signing = decode(parts[1]);
            byte[] previous = parts[2].isEmpty() ? null : decode(parts[2]);
            if (root == null || signing == null || (!parts[2].isEmpty() && previous == null)) {
                return null;
            }
            try {
                return new Ring(root, signing, previous, Long.parseLong(parts[3]), Long.parseLong(parts[4]));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        String encode() {
            Base64.Encoder b64 = Base64.getEncoder();
            if (previous == null && rotatedAt == 0 && java.util.Arrays.equals(root, signing)) {
                return b64.encodeToString(root);
            }
            return PREFIX + b64.encodeToString(root) + ":" + b64.encodeToString(signing) + ":"
                    + (previous == null ? "" : b64.encodeToString(previous)) + ":" + previousUntil + ":" + rotatedAt;
        }

        private static byte[] decode(String s) {
            try {
                byte[] b = Base64.getDecoder().decode(s);
                return b.length == 32 ? b : null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return "Ring[rotatedAt=" + rotatedAt + "]"; // never the keys
        }
    }

    private void save(String realmId, String key) {
        boolean saved = false;
        try {
            // false for a realm still being created (its transaction not committed): tried again on a later use
            saved = persisted.settle(realmId, key);
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the key of realm %s could not be stored (%s); tried again in a few seconds",
                    realmId, e.getClass().getSimpleName());
        }
        if (saved) {
            unsaved.remove(realmId);
        } else {
            // the first retry on the next use (the realm's creation has usually committed by then), later ones every 5 s
            Long before = unsaved.put(realmId, clock.getAsLong() + 5_000L);
            if (before != null && before == 0L) {
                unsaved.put(realmId, clock.getAsLong() + 1);
            }
            LOG.debugf("Sentinel: the key of realm %s is not stored yet (the realm is not visible yet)", realmId);
        }
    }

    /** A stored value that holds the realm's keys (a root of 32 bytes, or a rotated ring), else null (a masked value, damage). */
    static String valid(String stored) {
        return Ring.parse(stored) == null ? null : stored;
    }
}
