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
}
