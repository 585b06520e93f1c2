package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.keycloaksentinel.core.risk.ThrottleDecision;
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
        RealmSignals signals = detector.states().signals("r1");
        assertThat(signals.failuresLastMinute()).isEqualTo(40);
        assertThat(signals.unknownUserShare()).isEqualTo(1.0);
        assertThat(detector.source("r1", "127.0.0.1").orElseThrow().ipFailures15m()).isEqualTo(1);
        assertThat(detector.source("r1", "127.0.0.1").orElseThrow().networkFailures15m()).isEqualTo(40);

        RealmAttackStatus status = detector.states().evaluate("r1", "demo");
        assertThat(status.state()).isEqualTo(AttackState.UNDER_ATTACK);
        assertThat(detector.states().status("r1")).isEqualTo(status);
    }

    @Test
    @DisplayName("Ordinary traffic with a few typos keeps the realm NORMAL")
    void ordinaryTraffic() {
        for (int i = 0; i < 200; i++) {
            detector.record("r1", "demo", i % 20 == 0 ? LoginOutcome.FAILURE : LoginOutcome.SUCCESS, "10.0.0." + (i % 50),
                    "user" + (i % 50));
            now.addAndGet(300);
        }
        assertThat(detector.states().evaluate("r1", "demo").state()).isEqualTo(AttackState.NORMAL);
        assertThat(detector.states().signals("r1").successesLastMinute()).isPositive();
    }

    @Test
    @DisplayName("Realms are counted apart")
    void realmsApart() {
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "one", LoginOutcome.FAILURE_UNKNOWN_USER, "127.0.0.1", "x" + i);
        }
        assertThat(detector.states().signals("r2").failuresLastMinute()).isZero();
        assertThat(detector.states().evaluate("r2", "two").state()).isEqualTo(AttackState.NORMAL);
    }

    @Test
    @DisplayName("Usernames are counted under a keyed hash: case-insensitive, any length")
    void usernames() {
        String huge = "a".repeat(100_000);
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.1", "Alice");
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.2", "alice");
        detector.record("r1", "demo", LoginOutcome.FAILURE, "127.0.0.3", huge);
        assertThat(detector.usernameFailures15m("r1", "ALICE")).isEqualTo(2);
        assertThat(detector.usernameFailures15m("r1", huge)).isEqualTo(1);
        assertThat(detector.usernameFailures15m("r1", huge + "b")).isZero();
    }

    @Test
    @DisplayName("Junk in place of an IP is counted for the realm only; forged-looking values never reach DNS")
    void junkIp() {
        detector.record("r1", "demo", LoginOutcome.FAILURE, "evil.example, 1.2.3.4", "bob");
        detector.record("r1", "demo", LoginOutcome.FAILURE, null, null);
        assertThat(detector.states().signals("r1").failuresLastMinute()).isEqualTo(2);
        assertThat(detector.source("r1", "evil.example")).isEmpty();
    }

    @Test
    @DisplayName("A deleted realm is forgotten: it is no longer evaluated, and its observer is told")
    void forget() {
        java.util.List<String> forgotten = new java.util.ArrayList<>();
        AttackDetector observed = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64,
                new DetectionObserver() {
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
        observed.states().evaluateActiveRealms();
        assertThat(observed.states().status("gone").state()).isEqualTo(AttackState.NORMAL); // never evaluated again
        assertThat(forgotten).containsExactly("gone");
    }

    @Test
    @DisplayName("One network trying many distinct usernames is refused before the password; a busy network of few users is not")
    void distinctUsernamesPerNetwork() {
        for (int i = 0; i < 49; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "198.51.100." + (i % 200), "victim" + i);
        }
        assertThat(detector.throttle("r1", "198.51.100.250").throttled()).isFalse();
        detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "198.51.100.7", "victim49");
        ThrottleDecision d = detector.throttle("r1", "198.51.100.250");
        assertThat(d.throttled()).isTrue();
        assertThat(d.why()).isEqualTo(RefusalReason.NETWORK_USERNAMES);
        assertThat(detector.source("r1", "198.51.100.7").orElseThrow().networkUsernames15m()).isEqualTo(50);

        for (int i = 0; i < 80; i++) { // the same 3 users mistyping again and again: 3 distinct names
            detector.record("r1", "demo", LoginOutcome.FAILURE, "203.0.113." + (i % 3), "user" + (i % 3));
        }
        assertThat(detector.throttle("r1", "203.0.113.1").throttled()).isFalse();
        assertThat(detector.source("r1", "203.0.113.1").orElseThrow().networkUsernames15m()).isEqualTo(3);
    }

    @Test
    @DisplayName("Smart lockout: failures from unknown networks refuse only unknown networks; the user's own network still gets through")
    void smartLockout() {
        detector.known().rememberSource("r1", java.util.List.of("alice", "alice@example.test"), "192.0.2.10");
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "10.9." + i + ".1", "alice");
        }
        detector.record("r1", "demo", LoginOutcome.FAILURE, "192.0.2.10", "alice"); // her own typo
        assertThat(detector.unknownSourceFailures15m("r1", "alice")).isEqualTo(10);

        ThrottleDecision attacker = detector.check("r1", "10.99.0.1", "alice", false);
        assertThat(attacker.throttled()).isTrue();
        assertThat(attacker.why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
        assertThat(detector.check("r1", "192.0.2.77", "Alice", false).throttled()).as("her network, any case").isFalse();
        assertThat(detector.check("r1", "10.99.0.1", "alice@example.test", false).throttled())
                .as("her email is counted apart from her username").isFalse();
        assertThat(detector.known().knownSource("r1", "ALICE@example.test", "192.0.2.1")).isTrue();

        // an unknown username is refused the same way: the answer does not reveal whether an account exists
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "10.8." + i + ".1", "nobody");
        }
        assertThat(detector.check("r1", "10.99.0.1", "nobody", false).why())
                .isEqualTo(RefusalReason.UNKNOWN_SOURCE);

        detector.admin().liftUsername("r1", "alice");
        assertThat(detector.check("r1", "10.99.0.1", "alice", false).throttled()).isFalse();

        detector.states().configure("r1", "demo", new DetectionThresholds(300, 10.0, 30, 0.6,
                java.time.Duration.ofMinutes(5), 100, 500, 50, 0, 10));
        assertThat(detector.check("r1", "10.99.0.1", "nobody", false).throttled()).as("0 turns it off").isFalse();
    }

    @Test
    @DisplayName("When the store fails, a login goes on by default and is refused only with fail-closed")
    void failOpenOrClosed() {
        AttackDetector broken = new AttackDetector(new InMemoryCounterStore() {
            @Override
            public long[] sumAll(Scope scope, java.util.List<String> counters, java.util.List<Window> windows, long now) {
                throw new IllegalStateException("cache unavailable");
            }
        }, DetectionThresholds.DEFAULTS, now::get, 24, 64);
        assertThat(broken.check("r1", "192.0.2.1", "alice", false).throttled()).isFalse();
        ThrottleDecision closed = broken.check("r1", "192.0.2.1", "alice", true);
        assertThat(closed.throttled()).isTrue();
        assertThat(closed.why()).isEqualTo(RefusalReason.UNAVAILABLE);
        assertThat(closed.retryAfterSeconds()).isPositive();
    }

    @Test
    @DisplayName("Risk: LOW for a quiet request, MEDIUM at half a threshold, HIGH when refused or under attack")
    void risk() {
        assertThat(detector.assess("r1", "192.0.2.1", "alice").level()).isEqualTo(RiskLevel.LOW);
        for (int i = 0; i < 50; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "192.0.2.1", "alice");
            now.addAndGet(2_000);
        }
        AttackDetector.RiskAssessment medium = detector.assess("r1", "192.0.2.1", null);
        assertThat(medium.level()).isEqualTo(RiskLevel.MEDIUM);
        assertThat(medium.reasons()).anyMatch(r -> r.contains("50 failed logins from this address"));
        for (int i = 0; i < 50; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "192.0.2.1", "alice");
        }
        assertThat(detector.assess("r1", "192.0.2.1", null).level()).isEqualTo(RiskLevel.HIGH);
        assertThat(detector.assess("r1", "198.51.100.1", "bob").level()).isEqualTo(RiskLevel.LOW);
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "10.1." + i + ".1", "x" + i);
        }
        detector.states().evaluate("r1", "demo");
        assertThat(detector.assess("r1", "198.51.100.1", "bob").level()).isEqualTo(RiskLevel.HIGH);
    }

    @Test
    @DisplayName("Sign-ups and reset requests are counted per realm and per address; ten from one address make it risky")
    void accountActivity() {
        for (int i = 0; i < 6; i++) {
            detector.recordActivity("r1", "demo", AccountActivity.REGISTERED, "192.0.2.5");
        }
        for (int i = 0; i < 4; i++) {
            detector.recordActivity("r1", "demo", AccountActivity.RESET_UNKNOWN_USER, "192.0.2.5");
        }
        detector.recordActivity("r1", "demo", AccountActivity.PASSWORD_RESET, "192.0.2.6");
        detector.recordActivity("r1", "demo", AccountActivity.REGISTERED, "not an ip");
        assertThat(detector.activity("r1").get(AccountActivity.REGISTERED)).containsExactly(7, 7);
        assertThat(detector.activity("r1").get(AccountActivity.RESET_UNKNOWN_USER)).containsExactly(4, 4);
        assertThat(detector.activity("r2").get(AccountActivity.REGISTERED)).containsExactly(0, 0);
        AttackDetector.SourceCounts c = detector.source("r1", "192.0.2.5").orElseThrow();
        assertThat(c.ipRegistrations15m()).isEqualTo(6);
        assertThat(c.ipResetRequests15m()).isEqualTo(4);
        assertThat(detector.source("r1", "192.0.2.6").orElseThrow().ipAccountRequests15m()).as("a completed reset").isZero();
        AttackDetector.RiskAssessment risk = detector.assess("r1", "192.0.2.5", null);
        assertThat(risk.level()).isEqualTo(RiskLevel.MEDIUM);
        assertThat(risk.reasons()).anyMatch(r -> r.contains("10 sign-ups and password-reset requests"));
        assertThat(detector.states().signals("r1").failuresLastMinute()).as("not login failures").isZero();
        now.addAndGet(16 * 60_000);
        assertThat(detector.source("r1", "192.0.2.5").orElseThrow().ipAccountRequests15m()).isZero();
        assertThat(detector.activity("r1").get(AccountActivity.REGISTERED)[1]).isEqualTo(7);
    }
}
