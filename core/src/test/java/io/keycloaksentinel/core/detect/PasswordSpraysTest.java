package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Password spraying: fingerprints, distinct accounts per fingerprint, the window, the flag, the memory bound")
class PasswordSpraysTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final List<PasswordSprays.Flag> flags = new ArrayList<>();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64,
            new DetectionObserver() {
                @Override
                public void recorded(String realmId, String realmName, LoginOutcome outcome) {
                }

                @Override
                public void sprayFlagged(String realmId, String realmName, PasswordSprays.Flag flag) {
                    flags.add(flag);
                }
            });
    private final PasswordSprays sprays = detector.sprays();

    private String account(int i) {
        return detector.keys().accountSubject("r1", "user-" + i);
    }

    @Nested
    @DisplayName("The fingerprint")
    class Fingerprint {

        @Test
        @DisplayName("is 20 bits: the first two and a half bytes of the keyed hash, as five hex digits")
        void truncation() {
            byte[] digest = new byte[32];
            java.util.Arrays.fill(digest, (byte) 0xff);
            digest[0] = (byte) 0xab;
            digest[1] = (byte) 0xcd;
            digest[2] = (byte) 0xe1;
            assertThat(PasswordSprays.truncate(digest)).isEqualTo("abcde");
            digest[2] = (byte) 0xef;
            assertThat(PasswordSprays.truncate(digest)).as("the low half of the third byte is cut").isEqualTo("abcde");
            assertThat(sprays.fingerprint("r1", "Summer2026!")).matches("[0-9a-f]{5}")
                    .isEqualTo(sprays.fingerprint("r1", "Summer2026!"))
                    .isNotEqualTo(sprays.fingerprint("r1", "Summer2026?"));
        }

        @Test
        @DisplayName("cannot serve as a password hash: 300,000 passwords share about 261,000 fingerprints, as 20 random bits would")
        void collides() {
            Set<String> seen = new HashSet<>();
            int n = 300_000;
            for (int i = 0; i < n; i++) {
                seen.add(sprays.fingerprint("r1", "password-" + i));
            }
            // n balls in m = 2^20 bins: m (1 - e^(-n/m)) = 260,901 occupied, standard deviation 163
            assertThat(seen.size()).isBetween(260_000, 261_800);
        }

        @Test
        @DisplayName("is keyed by the realm: the same password has unrelated fingerprints in two realms")
        void keyed() {
            int same = 0;
            for (int i = 0; i < 1_000; i++) {
                if (sprays.fingerprint("r1", "pw" + i).equals(sprays.fingerprint("r2", "pw" + i))) {
                    same++;
                }
            }
            assertThat(same).isLessThan(3);
        }
    }

    @Nested
    @DisplayName("Counting")
    class Counting {

        @Test
        @DisplayName("counts each account once, however often it is tried, and other passwords not at all")
        void distinctAccounts() {
            String fp = sprays.fingerprint("r1", "Summer2026!");
            for (int i = 0; i < 7; i++) {
                sprays.tried("r1", fp, account(i));
                sprays.tried("r1", fp, account(i));
                sprays.tried("r1", sprays.fingerprint("r1", "other-" + i), account(i));
            }
            assertThat(sprays.accounts("r1", fp)).isEqualTo(7);
            assertThat(sprays.accounts("r2", fp)).as("another realm").isZero();
        }

        @Test
        @DisplayName("forgets an attempt an hour (and one bucket) later")
        void windowExpiry() {
            String fp = sprays.fingerprint("r1", "Summer2026!");
            for (int i = 0; i < 5; i++) {
                sprays.tried("r1", fp, account(i));
            }
            now.addAndGet(Duration.ofMinutes(40).toMillis());
            for (int i = 5; i < 10; i++) {
                sprays.tried("r1", fp, account(i));
            }
            assertThat(sprays.accounts("r1", fp)).isEqualTo(10);
            now.addAndGet(Duration.ofMinutes(25).toMillis());
            assertThat(sprays.accounts("r1", fp)).as("the first five are over an hour old").isEqualTo(5);
            now.addAndGet(Duration.ofMinutes(45).toMillis());
            assertThat(sprays.accounts("r1", fp)).isZero();
            sprays.tried("r1", fp, account(0));
            assertThat(sprays.accounts("r1", fp)).as("an account tried again after the window counts again").isEqualTo(1);
        }

        @Test
        @DisplayName("keeps the sign-ins it made for the window, with their network, and drops damaged ones")
        void entered() {
            String fp = sprays.fingerprint("r1", "Summer2026!");
            assertThat(sprays.entered("r1", fp, "u1", "203.0.113.9")).isNotNull();
            assertThat(sprays.entered("r1", fp, "u,2", "203.0.113.9")).isNull();
            assertThat(sprays.entered("r1", fp, "u3", "not an address")).isNull();
            store.flush();
            assertThat(sprays.entered("r1", fp)).singleElement()
                    .satisfies(e -> assertThat(e.network()).isEqualTo("203.0.113.0/24"));
            now.addAndGet(Duration.ofMinutes(61).toMillis());
            assertThat(sprays.entered("r1", fp)).isEmpty();
        }
    }

    @Nested
    @DisplayName("The flag")
    class Flag {

        @Test
        @DisplayName("is raised once per password and window, records the spray and its sign-ins, and never shows the password")
        void once() {
            String fp = sprays.fingerprint("r1", "Summer2026!");
            sprays.entered("r1", fp, "u1", "203.0.113.9");
            store.flush();
            detector.sprayed("r1", "realm", fp, 10);
            detector.sprayed("r1", "realm", fp, 11);
            store.flush();
            assertThat(flags).singleElement().satisfies(f -> {
                assertThat(f.accounts()).isEqualTo(10);
                assertThat(f.toString()).doesNotContain(fp).doesNotContain("Summer");
            });
            assertThat(detector.incidents().sprays("r1", 0)).singleElement()
                    .satisfies(s -> assertThat(s.accounts()).isEqualTo(10));
            assertThat(detector.incidents().sprayedSignIns("r1", 0, Long.MAX_VALUE)).singleElement()
                    .satisfies(s -> assertThat(s.userId()).isEqualTo("u1"));
        }
    }

    @Test
    @DisplayName("A million distinct passwords, each on its own account, stay within the subject cache's bound")
    void memoryBound() {
        DefaultCacheManager manager = new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
        try {
            long max = 20_000;
            InfinispanCounterStore cache = InfinispanCounterStore.open(manager, max, 10_000, 1_000)
                    .withReplayRegister(manager, 1_000);
            AttackDetector d = new AttackDetector(cache, DetectionThresholds.DEFAULTS, System::currentTimeMillis, 24, 64);
            PasswordSprays s = d.sprays();
            for (int i = 0; i < 1_000_000; i++) {
                s.tried("r1", s.fingerprint("r1", "random-" + i), "account-" + i);
                if (i % 5_000 == 4_999) {
                    cache.flush();
                }
            }
            cache.flush();
            assertThat(cache.subjectEntries()).isPositive().isLessThanOrEqualTo(max);
            assertThat(cache.dropped()).as("nothing dropped before the cache: flushed often enough").isZero();
        } finally {
            manager.stop();
        }
    }
}
