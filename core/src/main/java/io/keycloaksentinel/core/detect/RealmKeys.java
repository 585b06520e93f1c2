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
     * A 256-bit key for {@code purpose} (for example {@code "captcha"}), derived from the realm's
     * random key held in the cluster, so every node signs and verifies alike and one purpose's
     * key says nothing about another's.
     */
    public byte[] derivedKey(String realmId, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key(realmId));
            return mac.doFinal(("sentinel-key/" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
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
