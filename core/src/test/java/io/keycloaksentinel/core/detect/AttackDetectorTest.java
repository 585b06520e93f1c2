package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AttackDetectorTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);

    @Test
    @DisplayName("A botnet trying one unknown account per IP drives the realm UNDER_ATTACK; per-IP counts stay at 1")
    void oneAttemptPerAccountBotnet() {
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "127.0." + (i / 200) + "." + (i % 200 + 1),
                    "victim" + i + "@example.test");
            now.addAndGet(50);
        }
        RealmSignals signals = detector.signals("r1");
        assertThat(signals.failuresLastMinute()).isEqualTo(40);
        assertThat(signals.unknownUserShare()).isEqualTo(1.0);
        assertThat(detector.source("r1", "127.0.0.1").orElseThrow().ipFailures15m()).isEqualTo(1);
        assertThat(detector.source("r1", "127.0.0.1").orElseThrow().networkFailures15m()).isEqualTo(40);

        RealmAttackStatus status = detector.evaluate("r1", "demo");
        assertThat(status.state()).isEqualTo(AttackState.UNDER_ATTACK);
        assertThat(detector.status("r1")).isEqualTo(status);
    }

    @Test
    @DisplayName("Ordinary traffic with a few typos keeps the realm NORMAL")
    void ordinaryTraffic() {
        for (int i = 0; i < 200; i++) {
            detector.record("r1", "demo", i % 20 == 0 ? LoginOutcome.FAILURE : LoginOutcome.SUCCESS, "10.0.0." + (i % 50),
                    "user" + (i % 50));
            now.addAndGet(300);
        }
        assertThat(detector.evaluate("r1", "demo").state()).isEqualTo(AttackState.NORMAL);
        assertThat(detector.signals("r1").successesLastMinute()).isPositive();
    }

    @Test
    @DisplayName("Realms are counted apart")
    void realmsApart() {
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "one", LoginOutcome.FAILURE_UNKNOWN_USER, "127.0.0.1", "x" + i);
        }
        assertThat(detector.signals("r2").failuresLastMinute()).isZero();
        assertThat(detector.evaluate("r2", "two").state()).isEqualTo(AttackState.NORMAL);
    }

    @Test
    @DisplayName("Usernames are counted under a keyed hash: case-insensitive, any length, never the name itself")
    void usernames() {
        String huge = "a".repeat(100_000);
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.1", "Alice");
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.2", "alice");
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.3", huge);
        assertThat(detector.usernameFailures15m("r1", "ALICE")).isEqualTo(2);
        assertThat(detector.usernameFailures15m("r1", huge)).isEqualTo(1);
        assertThat(detector.usernameFailures15m("r1", huge + "b")).isZero();
        assertThat(detector.usernameHash("r1", "alice")).hasSize(22).doesNotContainIgnoringCase("alice")
                .isNotEqualTo(detector.usernameHash("r2", "alice"));
    }

    @Test
    @DisplayName("Junk in place of an IP is counted for the realm only; forged-looking values never reach DNS")
    void junkIp() {
        detector.record("r1", "demo", LoginOutcome.FAILURE, "evil.example, 1.2.3.4", "bob");
        detector.record("r1", "demo", LoginOutcome.FAILURE, null, null);
        assertThat(detector.signals("r1").failuresLastMinute()).isEqualTo(2);
        assertThat(detector.source("r1", "evil.example")).isEmpty();
    }

    @Test
    @DisplayName("Counts leave the one-minute window after a minute, and the state calms down after the cool-down")
    void calmsDown() {
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "127.1.0." + i, "n" + i);
        }
        assertThat(detector.evaluate("r1", "demo").state()).isEqualTo(AttackState.UNDER_ATTACK);
        now.addAndGet(70_000);
        assertThat(detector.signals("r1").failuresLastMinute()).isZero();
        detector.evaluate("r1", "demo");                        // calm starts
        now.addAndGet(DetectionThresholds.DEFAULTS.cooldown().toMillis());
        assertThat(detector.evaluate("r1", "demo").state()).isEqualTo(AttackState.ELEVATED);
    }

    @Test
    @DisplayName("A deleted realm is forgotten: it is no longer evaluated, and its observer is told")
    void forget() {
        java.util.List<String> forgotten = new java.util.ArrayList<>();
        AttackDetector observed = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64,
                new AttackDetector.Observer() {
                    @Override
                    public void recorded(String realmId, String realmName, LoginOutcome outcome) {
                    }

                    @Override
                    public void forgotten(String realmId) {
                        forgotten.add(realmId);
                    }
                });
        for (int i = 0; i < 40; i++) {
            observed.record("gone", "gone", LoginOutcome.FAILURE_UNKNOWN_USER, "127.0.0.1", "u" + i);
        }
        observed.forget("gone");
        observed.evaluateActiveRealms();
        assertThat(observed.status("gone").state()).isEqualTo(AttackState.NORMAL); // never evaluated again
        assertThat(forgotten).containsExactly("gone");
    }
}
