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

        final java.util.Map<String, String> signingByRealm = new java.util.HashMap<>();

        @Override
        public String loadSigning(String realmId) {
            if (down) {
                throw new IllegalStateException("database down");
            }
            return signingByRealm.get(realmId);
        }

        @Override
        public boolean settleSigning(String realmId, String encoded) {
            if (down || !byRealm.containsKey(realmId)) {
                return false;
            }
            RealmKeys.Signing had = RealmKeys.Signing.parse(signingByRealm.get(realmId));
            if (had == null || had.generation() < RealmKeys.Signing.parse(encoded).generation()) {
                signingByRealm.put(realmId, encoded);
            }
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

    @Test
    @DisplayName("Rotation: a new signing key, the previous one verifying for the grace period only; counted names,"
            + " stored ids and the stored root unchanged")
    void rotationWithGrace() {
        StoredKeys db = new StoredKeys();
        InMemoryCounterStore cluster = new InMemoryCounterStore();
        RealmKeys nodeA = new RealmKeys(cluster, now::get);
        nodeA.persistWith(db);
        RealmKeys nodeB = new RealmKeys(cluster, now::get);
        nodeB.persistWith(db);

        byte[] signedBefore = nodeA.derivedKey("r1", "device-cookie");
        byte[] stable = nodeA.stableKey("r1", "device-cookie");
        String counted = nodeA.usernameHash("r1", "alice");
        assertThat(stable).as("before any rotation the stable key is the signing key").isEqualTo(signedBefore);
        assertThat(nodeB.derivedKey("r1", "device-cookie")).isEqualTo(signedBefore);
        assertThat(nodeA.previousDerivedKey("r1", "device-cookie")).isNull();
        assertThat(nodeA.rotation("r1")).isEqualTo(new RealmKeys.Rotation(null, null, true));
        String root = db.byRealm.get("r1");

        RealmKeys.Rotation r = nodeA.rotate("r1", java.time.Duration.ofDays(7));
        assertThat(r).isEqualTo(new RealmKeys.Rotation(now.get(), now.get() + java.time.Duration.ofDays(7).toMillis(), true));
        assertThat(nodeA.derivedKey("r1", "device-cookie")).isNotEqualTo(signedBefore);
        assertThat(nodeA.previousDerivedKey("r1", "device-cookie")).isEqualTo(signedBefore);
        assertThat(nodeA.stableKey("r1", "device-cookie")).isEqualTo(stable);
        assertThat(nodeA.usernameHash("r1", "alice")).isEqualTo(counted);
        assertThat(db.byRealm.get("r1")).as("the root is stored as earlier versions stored it, unchanged").isEqualTo(root);
        assertThat(db.signingByRealm.get("r1")).as("the signing state beside it").startsWith("sign1:1:").doesNotContain(root);

        // another node signs with its copy until it reads the cluster's again, and verifies with both meanwhile
        assertThat(nodeB.derivedKey("r1", "device-cookie")).isEqualTo(signedBefore);
        now.addAndGet(RealmKeys.REFRESH_MILLIS);
        assertThat(nodeB.derivedKey("r1", "device-cookie")).isEqualTo(nodeA.derivedKey("r1", "device-cookie"));
        assertThat(nodeB.previousDerivedKey("r1", "device-cookie")).isEqualTo(signedBefore);

        // a node meeting what it cannot verify reads the cluster's state early, at most every EARLY_REFRESH_MILLIS
        RealmKeys nodeC = new RealmKeys(cluster, now::get);
        nodeC.persistWith(db);
        byte[] cBefore = nodeC.derivedKey("r1", "device-cookie");
        nodeA.rotate("r1", java.time.Duration.ZERO);
        assertThat(nodeC.refreshSigning("r1")).as("read a moment ago: not yet").isFalse();
        now.addAndGet(RealmKeys.EARLY_REFRESH_MILLIS);
        assertThat(nodeC.refreshSigning("r1")).isTrue();
        assertThat(nodeC.derivedKey("r1", "device-cookie")).isNotEqualTo(cBefore)
                .isEqualTo(nodeA.derivedKey("r1", "device-cookie"));
        assertThat(nodeC.refreshSigning("r1")).as("nothing new").isFalse();
        now.addAndGet(RealmKeys.REFRESH_MILLIS);
        byte[] third = nodeA.derivedKey("r1", "device-cookie");
        nodeA.rotate("r1", java.time.Duration.ofDays(7));
        assertThat(nodeA.previousDerivedKey("r1", "device-cookie")).isEqualTo(third);
        signedBefore = third;

        // a second rotation with a grace during the first one's grace would end it early: refused
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> nodeB.rotate("r1", java.time.Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grace period runs until");

        // a full restart keeps the rotation
        RealmKeys restarted = new RealmKeys(new InMemoryCounterStore(), now::get);
        restarted.persistWith(db);
        assertThat(restarted.derivedKey("r1", "device-cookie")).isEqualTo(nodeA.derivedKey("r1", "device-cookie"));
        assertThat(restarted.previousDerivedKey("r1", "device-cookie")).isEqualTo(signedBefore);
        assertThat(restarted.usernameHash("r1", "alice")).isEqualTo(counted);

        // the grace period ends
        now.addAndGet(java.time.Duration.ofDays(7).toMillis());
        assertThat(nodeA.previousDerivedKey("r1", "device-cookie")).isNull();

        // a rotation with no grace: the key before is refused at once; an older state never replaces the stored one
        byte[] second = nodeA.derivedKey("r1", "captcha");
        String generation1 = db.signingByRealm.get("r1");
        nodeA.rotate("r1", java.time.Duration.ZERO);
        assertThat(nodeA.derivedKey("r1", "captcha")).isNotEqualTo(second);
        assertThat(nodeA.previousDerivedKey("r1", "captcha")).isNull();
        assertThat(nodeA.usernameHash("r1", "alice")).isEqualTo(counted);
        assertThat(db.signingByRealm.get("r1")).startsWith("sign1:4:");
        db.settleSigning("r1", generation1);
        assertThat(db.signingByRealm.get("r1")).startsWith("sign1:4:");
    }

    @Test
    @DisplayName("A node whose stored signing state cannot be read signs with the root for a while, never minting a key")
    void signingStateUnreadable() {
        StoredKeys db = new StoredKeys();
        RealmKeys node = new RealmKeys(new InMemoryCounterStore(), now::get);
        node.persistWith(db);
        byte[] root = node.stableKey("r1", "captcha");
        db.down = true;
        RealmKeys other = new RealmKeys(new InMemoryCounterStore(), now::get);
        other.persistWith(db);
        db.down = false;
        other.stableKey("r1", "captcha");
        db.down = true;
        assertThat(other.derivedKey("r1", "captcha")).as("the root signs").isEqualTo(root);
        assertThat(db.signingByRealm).isEmpty();
    }

    @Test
    @DisplayName("A grace period beyond a year, or negative, is refused")
    void graceBounds() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> keys.rotate("r1", java.time.Duration.ofDays(366)))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> keys.rotate("r1", java.time.Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("Stored signing states: none, a rotation; a mask, a truncated state or damage do not read")
    void storedForms() {
        String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        assertThat(RealmKeys.Signing.parse("sign1:0")).isEqualTo(RealmKeys.Signing.NONE);
        RealmKeys.Signing one = RealmKeys.Signing.parse("sign1:1:" + key + "::9:5");
        assertThat(one.generation()).isEqualTo(1);
        assertThat(one.previous()).isNull();
        assertThat(RealmKeys.Signing.parse(one.encode()).previousUntil()).isEqualTo(9);
        assertThat(RealmKeys.Signing.parse("**********")).isNull();
        assertThat(RealmKeys.Signing.parse("sign1:1:" + key)).isNull();
        assertThat(RealmKeys.Signing.parse("sign1:1:xx::9:5")).isNull();
        assertThat(RealmKeys.Signing.parse("sign1:0:" + key + "::9:5")).isNull();
        assertThat(RealmKeys.Signing.parse("sign1:1:" + key + "::nine:5")).isNull();
        assertThat(one.toString()).doesNotContain(key);
    }
}
