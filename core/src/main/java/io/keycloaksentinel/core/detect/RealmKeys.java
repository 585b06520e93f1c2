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
    private final Map<String, SecretKeySpec> hashKeys = new ConcurrentHashMap<>();
    /** How long a node uses its copy of a realm's signing state before it reads the cluster's again (a rotation elsewhere). */
    public static final long REFRESH_MILLIS = 3_000L;
    /** The longest grace period a rotation may give the previous signing key. */
    public static final java.time.Duration MAX_GRACE = java.time.Duration.ofDays(365);
    /** Each realm's signing state as this node last read it from the cluster. */
    private final Map<String, Cached> signing = new ConcurrentHashMap<>();
    /** Realms whose signing state this node took from the cluster and has to store (another node's rotation). */
    private final Map<String, Boolean> signingUnsaved = new ConcurrentHashMap<>();
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
            mac.init(key(realmId));
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
     * shared by every node, so every node signs and verifies alike and one purpose's key says nothing
     * about another's. Until the realm's first rotation ({@link #rotate}) it is derived from the
     * realm's root key, as before rotation existed; from then on from the current signing key.
     */
    public byte[] derivedKey(String realmId, String purpose) {
        Signing state = signing(realmId);
        return state.key() == null ? stableKey(realmId, purpose) : derive(state.key(), purpose);
    }

    /**
     * The signing key for {@code purpose} from before the last rotation, while its grace period
     * lasts (what was signed with it still verifies); null otherwise.
     */
    public byte[] previousDerivedKey(String realmId, String purpose) {
        Signing state = signing(realmId);
        if (state.generation() == 0 || clock.getAsLong() >= state.previousUntil()) {
            return null;
        }
        return state.previous() == null ? stableKey(realmId, purpose) : derive(state.previous(), purpose);
    }

    /**
     * A 256-bit key for {@code purpose} that a rotation never changes, derived from the realm's root
     * key: for pseudonyms that index stored state (the ids a user's device list stores, password
     * fingerprints), which a new key would orphan. Equal to {@link #derivedKey} until the first rotation.
     */
    public byte[] stableKey(String realmId, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key(realmId));
            return mac.doFinal(("sentinel-key/" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
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

    /**
     * A realm's rotation state (never a key): when the signing key was last rotated and until when
     * the one before it still verifies (null: never rotated); {@code stored}: whether the database
     * holds it (false: tried again on later uses).
     */
    public record Rotation(Long rotatedAtMillis, Long previousValidUntilMillis, boolean stored) {
    }

    /** The realm's rotation state. */
    public Rotation rotation(String realmId) {
        Signing state = signing(realmId);
        return state.generation() == 0 ? new Rotation(null, null, true)
                : new Rotation(state.rotatedAt(), state.previousUntil(), !signingUnsaved.containsKey(realmId));
    }

    /**
     * Rotates the realm's signing key on the whole cluster and stores it: a new random key signs from
     * now on (other nodes take it within {@value #REFRESH_MILLIS} ms), and the current one still
     * verifies for {@code grace} (zero: no longer at all, for a key that leaked). The root key, behind
     * counted names and stored device ids, stays.
     *
     * @throws IllegalArgumentException for a grace out of bounds, or a rotation with a grace while the
     *                                  last one's grace still runs (it would end that one early)
     * @throws IllegalStateException    when the cluster's state cannot be changed now (nothing rotated)
     */
    public Rotation rotate(String realmId, java.time.Duration grace) {
        if (grace.isNegative() || grace.compareTo(MAX_GRACE) > 0) {
            throw new IllegalArgumentException("graceDays must be a whole number from 0 to " + MAX_GRACE.toDays());
        }
        key(realmId); // the root stored first: the signing state is stored beside it
        signing(realmId); // loaded into the cluster first
        String clusterKey = SIGNING_PREFIX + realmId;
        for (int attempt = 0; attempt < 5; attempt++) {
            String before = store.get(clusterKey).orElse(null);
            Signing current = Signing.parse(before);
            if (current == null) {
                throw new IllegalStateException("the realm's signing state is not in the cluster store");
            }
            long now = clock.getAsLong();
            if (!grace.isZero() && current.generation() > 0 && now < current.previousUntil()) {
                throw new IllegalArgumentException("the last rotation's grace period runs until "
                        + java.time.Instant.ofEpochMilli(current.previousUntil()) + "; a rotation now would end it: wait,"
                        + " or rotate with graceDays 0 (what the keys before signed is then refused at once)");
            }
            byte[] fresh = new byte[32];
            RANDOM.nextBytes(fresh);
            Signing next = new Signing(current.generation() + 1, fresh, current.key(), now + grace.toMillis(), now);
            String encoded = next.encode();
            if (store.compareAndSet(clusterKey, before, encoded)) {
                take(realmId, next, encoded, now);
                boolean stored = saveSigning(realmId, encoded);
                LOG.infof("Sentinel: the signing key of realm %s was rotated (generation %d); the one before verifies until %s",
                        realmId, next.generation(), java.time.Instant.ofEpochMilli(next.previousUntil()));
                return new Rotation(next.rotatedAt(), next.previousUntil(), stored);
            }
        }
        throw new IllegalStateException("the realm's signing state changed concurrently; try again");
    }

    private static final String SIGNING_PREFIX = "signing-key|";
    /** The least time between two early reads of the cluster's signing state on one node, per realm. */
    static final long EARLY_REFRESH_MILLIS = 500L;

    /**
     * Reads the realm's signing state from the cluster now, rather than when this node's copy is
     * {@value #REFRESH_MILLIS} ms old: for a value signed elsewhere that this node's keys do not
     * verify (another node may have rotated the key a moment ago). At most every
     * {@value #EARLY_REFRESH_MILLIS} ms per realm, so forged values cannot make a node read the
     * cluster on every request. True when this node's keys changed.
     */
    public boolean refreshSigning(String realmId) {
        Cached cached = signing.get(realmId);
        if (cached == null || clock.getAsLong() - cached.readAt() < EARLY_REFRESH_MILLIS) {
            return false;
        }
        long generation = cached.state().generation();
        signing.computeIfPresent(realmId, (id, c) -> c == cached ? new Cached(c.state(), c.encoded(), 0L) : c);
        return signing(realmId).generation() != generation;
    }

    /**
     * This node's copy of the realm's signing state, read again from the cluster every
     * {@value #REFRESH_MILLIS} ms; on the first use after a full restart, from the database.
     */
    private Signing signing(String realmId) {
        long now = clock.getAsLong();
        Cached cached = signing.get(realmId);
        if (cached != null && now - cached.readAt() < REFRESH_MILLIS) {
            retrySave(realmId, cached);
            return cached.state();
        }
        String clusterKey = SIGNING_PREFIX + realmId;
        try {
            Optional<String> current = store.get(clusterKey);
            Signing state = current.map(Signing::parse).orElse(null);
            if (state == null) {
                // not in the cluster (its first use, or the whole cluster restarted): the stored one, or none yet
                String stored = persisted.loadSigning(realmId);
                Signing fromDb = Signing.parse(stored);
                String put = fromDb == null ? Signing.NONE.encode() : stored;
                if (cached != null && cached.state().generation() > (fromDb == null ? 0 : fromDb.generation())) {
                    put = cached.encoded(); // this node knows a later rotation than the database: it is kept
                }
                store.compareAndSet(clusterKey, current.orElse(null), put);
                String chosen = store.get(clusterKey).orElse(put);
                state = Signing.parse(chosen);
                if (state == null) {
                    throw new IllegalStateException("damaged signing state");
                }
                current = Optional.of(chosen);
            }
            if (cached != null && state.generation() < cached.state().generation()) {
                return cached.state(); // never back to an older rotation
            }
            Cached taken = take(realmId, state, current.get(), now);
            if (cached != null && state.generation() > cached.state().generation() && state.generation() > 0) {
                signingUnsaved.put(realmId, Boolean.TRUE); // another node's rotation: stored from here too, should it not be yet
            }
            retrySave(realmId, taken);
            return taken.state();
        } catch (RuntimeException e) {
            if (cached != null) {
                return cached.state(); // the cluster or the database cannot be read now: this node's copy a while longer
            }
            LOG.warnf("Sentinel: the signing state of realm %s cannot be read (%s); the root key signs for a few seconds",
                    realmId, e.getClass().getSimpleName());
            signing.putIfAbsent(realmId, new Cached(Signing.NONE, Signing.NONE.encode(), now)); // tried again after REFRESH_MILLIS
            return Signing.NONE;
        }
    }

    /** Makes {@code state} this node's copy, unless it already holds a later rotation. */
    private Cached take(String realmId, Signing state, String encoded, long now) {
        return signing.compute(realmId, (id, had) -> had != null && had.state().generation() > state.generation()
                ? new Cached(had.state(), had.encoded(), now) : new Cached(state, encoded, now));
    }

    private void retrySave(String realmId, Cached cached) {
        if (signingUnsaved.containsKey(realmId) && cached.state().generation() > 0) {
            saveSigning(realmId, cached.encoded());
        }
    }

    private boolean saveSigning(String realmId, String encoded) {
        SecretKeySpec root = hashKeys.get(realmId);
        if (root != null && unsaved.containsKey(realmId)) {
            // the signing state is stored beside the root key: the root first, now, whenever its retry was due
            save(realmId, Base64.getEncoder().encodeToString(root.getEncoded()));
        }
        try {
            if (persisted.settleSigning(realmId, encoded)) {
                signingUnsaved.remove(realmId);
                return true;
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the signing key of realm %s could not be stored (%s); tried again on later uses", realmId,
                    e.getClass().getSimpleName());
        }
        signingUnsaved.put(realmId, Boolean.TRUE);
        return false;
    }

    /** One node's copy of a realm's signing state, and when it was read from the cluster. */
    private record Cached(Signing state, String encoded, long readAt) {
        @Override
        public String toString() {
            return "Cached[generation=" + state.generation() + "]"; // never the keys
        }
    }

    /**
     * A realm's signing state: generation 0 until the first rotation (the root key signs); then the
     * current signing key, the one before it (null: the root) with the end of its grace period, and
     * when it was rotated. The generation only grows, so no node or store ever goes back to an
     * older state, whatever the clocks say.
     */
    record Signing(long generation, byte[] key, byte[] previous, long previousUntil, long rotatedAt) {

        static final Signing NONE = new Signing(0, null, null, 0, 0);
        private static final String PREFIX = "sign1:";

        /** The state of a stored value; null when it is not one (a masked value, damage). */
        static Signing parse(String stored) {
            if (stored == null || !stored.startsWith(PREFIX)) {
                return null;
            }
            String[] parts = stored.substring(PREFIX.length()).split(":", -1);
            try {
                if (parts.length == 1 && Long.parseLong(parts[0]) == 0) {
                    return NONE;
                }
                if (parts.length != 5) {
                    return null;
                }
                long generation = Long.parseLong(parts[0]);
                byte[] key = decode(parts[1]);
                byte[] previous = parts[2].isEmpty() ? null : decode(parts[2]);
                if (generation < 1 || key == null || (!parts[2].isEmpty() && previous == null)) {
                    return null;
                }
                return new Signing(generation, key, previous, Long.parseLong(parts[3]), Long.parseLong(parts[4]));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        String encode() {
            if (generation == 0) {
                return PREFIX + "0";
            }
            Base64.Encoder b64 = Base64.getEncoder();
            return PREFIX + generation + ":" + b64.encodeToString(key) + ":" + (previous == null ? "" : b64.encodeToString(previous))
                    + ":" + previousUntil + ":" + rotatedAt;
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
            return "Signing[generation=" + generation + "]"; // never the keys
        }
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
        hashKeys.remove(realmId);
        unsaved.remove(realmId);
        signing.remove(realmId);
        signingUnsaved.remove(realmId);
    }

    /**
     * Once per realm and node: the cluster's key; when the cluster has none (its first use, or the
     * whole cluster restarted), the stored one, or a new one. The stored key is then made the
     * cluster's (so a key a running cluster made before keys were stored is kept from then on).
     */
    private SecretKeySpec loadOrCreateHashKey(String realmId) {
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
        if (!chosen.equals(stored)) {
            unsaved.put(realmId, 0L);
            save(realmId, chosen);
        }
        return new SecretKeySpec(Base64.getDecoder().decode(chosen), "HmacSHA256");
    }

    /** The stored key could not be read: this one use gets a throwaway key. */
    private static final class KeyUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KeyUnavailable() {
            super(null, null, false, false);
        }
    }

    /** The key of a realm, stored if that has not been done yet (tried again at most every 5 s until it works). */
    private SecretKeySpec key(String realmId) {
        SecretKeySpec spec = hashKeys.get(realmId);
        if (spec == null) {
            // loaded outside the map's lock: the load may wait on the database, and must not hold up other realms
            try {
                spec = loadOrCreateHashKey(realmId);
            } catch (KeyUnavailable e) {
                byte[] throwaway = new byte[32];
                RANDOM.nextBytes(throwaway);
                return new SecretKeySpec(throwaway, "HmacSHA256");
            }
            SecretKeySpec before = hashKeys.putIfAbsent(realmId, spec);
            if (before != null) {
                spec = before;
            }
        }
        Long retryAt = unsaved.get(realmId);
        if (retryAt != null && clock.getAsLong() >= retryAt) {
            save(realmId, java.util.Base64.getEncoder().encodeToString(spec.getEncoded()));
        }
        return spec;
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

    /** A stored key that decodes to 32 bytes, else null (a masked value from a partial export, damage). */
    static String valid(String stored) {
        if (stored == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(stored).length == 32 ? stored : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
