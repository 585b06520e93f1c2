package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The realm's keys: counted subjects and single-use claims")
class RealmKeysTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final RealmKeys keys = new RealmKeys(new InMemoryCounterStore(), now::get);

    @Test
    @DisplayName("Usernames are hashed under a per-realm key, never the name itself")
    void usernameHash() {
        assertThat(keys.usernameHash("r1", "alice")).hasSize(22).doesNotContainIgnoringCase("alice")
                .isNotEqualTo(keys.usernameHash("r2", "alice"));
    }

    @Test
    @DisplayName("An account subject never equals a typed name's")
    void accountIsNotATypedName() {
        assertThat(keys.accountSubject("r1", "x")).isNotEqualTo(keys.typedSubject("r1", "x"))
                .isNotEqualTo(keys.typedSubject("r1", "account\u0001x"));
    }

    @Test
    @DisplayName("Hourly slots: perHour claims per subject and purpose, any letter case alike, a fresh budget the next hour")
    void hourlySlots() {
        for (int i = 0; i < 3; i++) {
            assertThat(keys.claimHourlySlot("r1", "signup-mail", "Alice@Example.test", 3)).isTrue();
        }
        assertThat(keys.claimHourlySlot("r1", "signup-mail", "alice@example.test", 3)).isFalse();
        assertThat(keys.claimHourlySlot("r1", "mail-code", "alice@example.test", 3)).isTrue();
        assertThat(keys.claimHourlySlot("r1", "signup-mail", "bob@example.test", 3)).isTrue();
        assertThat(keys.claimHourlySlot("r2", "signup-mail", "alice@example.test", 3)).isTrue();
        now.addAndGet(3_600_000L);
        assertThat(keys.claimHourlySlot("r1", "signup-mail", "alice@example.test", 3)).isTrue();
    }

    /** A database of one key per realm, as {@link RealmKeyStore} keeps it. */
    private static final class StoredKeys implements PersistedKeys {
        final java.util.Map<String, String> byRealm = new java.util.HashMap<>();
        int created;
        boolean visible = true;
        boolean down;

        @Override
        public String loadOrCreate(String realmId) {
            if (down) {
                throw new IllegalStateException("database down");
            }
            if (!visible) {
                return null;
            }
            return byRealm.computeIfAbsent(realmId, r -> {
                created++;
                byte[] k = new byte[32];
                new java.security.SecureRandom().nextBytes(k);
                return java.util.Base64.getEncoder().encodeToString(k);
            });
        }

        @Override
        public boolean settle(String realmId, String key) {
            if (!visible) {
                return false;
            }
            byRealm.put(realmId, key);
            return true;
        }
    }

    @Test
    @DisplayName("A full restart (a new, empty cluster store) finds the stored key: the same derived keys and hashes")
    void storedKeyOutlivesTheCluster() {
        StoredKeys db = new StoredKeys();
        RealmKeys first = new RealmKeys(new InMemoryCounterStore(), now::get);
        first.persistWith(db);
        byte[] cookieKey = first.derivedKey("r1", "device-cookie");
        String hash = first.usernameHash("r1", "alice");

        RealmKeys restarted = new RealmKeys(new InMemoryCounterStore(), now::get);
        restarted.persistWith(db);
        assertThat(restarted.derivedKey("r1", "device-cookie")).isEqualTo(cookieKey);
        assertThat(restarted.usernameHash("r1", "alice")).isEqualTo(hash);
        assertThat(db.created).isEqualTo(1);

        RealmKeys forgetful = new RealmKeys(new InMemoryCounterStore(), now::get);
        assertThat(forgetful.derivedKey("r1", "device-cookie")).as("without the stored key: another key").isNotEqualTo(cookieKey);
    }

    @Test
    @DisplayName("A key the running cluster already holds is stored; a damaged or masked stored key is replaced")
    void clusterKeyStoredAndDamageReplaced() {
        InMemoryCounterStore cluster = new InMemoryCounterStore();
        byte[] before = new RealmKeys(cluster, now::get).derivedKey("r1", "captcha"); // made before keys were stored
        StoredKeys db = new StoredKeys();
        RealmKeys upgraded = new RealmKeys(cluster, now::get);
        upgraded.persistWith(db);
        assertThat(upgraded.derivedKey("r1", "captcha")).isEqualTo(before);
        assertThat(db.byRealm).containsKey("r1");
        RealmKeys restarted = new RealmKeys(new InMemoryCounterStore(), now::get);
        restarted.persistWith(db);
        assertThat(restarted.derivedKey("r1", "captcha")).as("the running cluster's key, kept").isEqualTo(before);

        db.byRealm.put("r2", "**********");
        RealmKeys masked = new RealmKeys(new InMemoryCounterStore(), now::get);
        masked.persistWith(db);
        masked.derivedKey("r2", "captcha");
        assertThat(RealmKeys.valid(db.byRealm.get("r2"))).as("replaced by a real key").isNotNull();
    }

    @Test
    @DisplayName("A realm still being created (not yet visible to another transaction) gets its key stored on a later use")
    void storedOnceTheRealmIsVisible() {
        StoredKeys db = new StoredKeys();
        db.visible = false;
        RealmKeys keys = new RealmKeys(new InMemoryCounterStore(), now::get);
        keys.persistWith(db);
        byte[] key = keys.derivedKey("r1", "device-cookie");
        assertThat(db.byRealm).isEmpty();
        db.visible = true;
        keys.derivedKey("r1", "device-cookie");
        assertThat(db.byRealm).as("not before 5 s").isEmpty();
        now.addAndGet(5_000);
        keys.derivedKey("r1", "device-cookie");
        RealmKeys restarted = new RealmKeys(new InMemoryCounterStore(), now::get);
        restarted.persistWith(db);
        assertThat(restarted.derivedKey("r1", "device-cookie")).isEqualTo(key);
    }

    @Test
    @DisplayName("A database that cannot be read never gets its stored key replaced: that use gets a throwaway key, the next the stored one")
    void databaseDownKeepsTheStoredKey() {
        StoredKeys db = new StoredKeys();
        RealmKeys first = new RealmKeys(new InMemoryCounterStore(), now::get);
        first.persistWith(db);
        byte[] key = first.derivedKey("r1", "device-cookie");

        RealmKeys restarted = new RealmKeys(new InMemoryCounterStore(), now::get);
        restarted.persistWith(db);
        db.down = true;
        assertThat(restarted.derivedKey("r1", "device-cookie")).isNotEqualTo(key);
        db.down = false;
        assertThat(restarted.derivedKey("r1", "device-cookie")).as("the stored key, once readable").isEqualTo(key);
    }
}
