package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.detect.AttackDetector.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The detector's risk decision: subjects and sources")
class AttackDetectorRiskTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);
    private final DetectionThresholds t = DetectionThresholds.DEFAULTS;

    private static String stranger(int i) {
        return "127.61." + i + ".1"; // every attempt from its own /24
    }

    @ParameterizedTest(name = "[{index}] typed as {0}")
    @ValueSource(strings = {"\u0001alice", " alice", "ALICE", "alice\t"})
    @DisplayName("Failures typed in any spelling of a name lock that name against unknown networks")
    void spellingsCountAsOne(String spelling) {
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, stranger(i), i % 2 == 0 ? "alice" : spelling, "id-alice");
        }
        Risk risk = detector.decide("r1", stranger(99), detector.typedSubject("r1", spelling), t, false);
        assertThat(risk.throttle().why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
    }

    @Test
    @DisplayName("Failures typed as the email and as the username lock the account as one")
    void usernameAndEmailAreOneAccount() {
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, stranger(i), i % 2 == 0 ? "alice" : "alice@example.test",
                    "id-alice");
        }
        assertThat(detector.decide("r1", stranger(99), detector.typedSubject("r1", "alice"), t, false).throttled())
                .as("5 under the typed username alone").isFalse();
        Risk account = detector.decide("r1", stranger(99), detector.accountSubject("r1", "id-alice"), t, false);
        assertThat(account.throttle().why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
        // her own network stays open
        detector.rememberSource("r1", List.of("alice", "alice@example.test"), "id-alice", "10.1.2.3");
        detector.flush();
        assertThat(detector.decide("r1", "10.1.2.77", detector.accountSubject("r1", "id-alice"), t, false).throttled()).isFalse();
    }

    @Test
    @DisplayName("An account subject never equals a typed name's")
    void accountIsNotATypedName() {
        assertThat(detector.accountSubject("r1", "x")).isNotEqualTo(detector.typedSubject("r1", "x"))
                .isNotEqualTo(detector.typedSubject("r1", "account\u0001x"));
    }

    @ParameterizedTest(name = "[{index}] address {0}")
    @ValueSource(strings = {"", "unknown", "999.1.1.1", "example.com"})
    @DisplayName("Requests whose address does not parse share one bucket that is throttled like any other")
    void unparsedAddresses(String ip) {
        for (int i = 0; i < t.ipFailuresPerDay(); i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, i % 2 == 0 ? null : "garbage-" + i, "u" + i);
        }
        Risk risk = detector.decide("r1", ip, null, t, false);
        assertThat(risk.throttled()).isTrue();
        assertThat(detector.decide("r1", "192.0.2.1", null, t, false).throttled()).as("a parsed address").isFalse();
    }
}
