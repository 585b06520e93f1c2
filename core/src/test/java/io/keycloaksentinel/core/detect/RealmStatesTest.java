package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The realms' attack state")
class RealmStatesTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);

    @Test
    @DisplayName("Counts leave the one-minute window after a minute, and the state calms down after the cool-down")
    void calmsDown() {
        for (int i = 0; i < 40; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "127.1.0." + i, "n" + i);
        }
        assertThat(detector.states().evaluate("r1", "demo").state()).isEqualTo(AttackState.UNDER_ATTACK);
        now.addAndGet(70_000);
        assertThat(detector.states().signals("r1").failuresLastMinute()).isZero();
        detector.states().evaluate("r1", "demo"); // calm starts
        now.addAndGet(DetectionThresholds.DEFAULTS.cooldown().toMillis());
        assertThat(detector.states().evaluate("r1", "demo").state()).isEqualTo(AttackState.ELEVATED);
    }

    @Test
    @DisplayName("A state change is told to the observer exactly once")
    void stateChangeObserved() {
        java.util.List<String> changes = new java.util.ArrayList<>();
        AttackDetector observed = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64,
                new DetectionObserver() {
                    @Override
                    public void recorded(String realmId, String realmName, LoginOutcome outcome) {
                    }

                    @Override
                    public void stateChanged(String realmId, String realmName, RealmAttackStatus from, RealmAttackStatus to) {
                        changes.add(from.state() + "->" + to.state());
                    }
                });
        for (int i = 0; i < 40; i++) {
            observed.record("r9", "nine", LoginOutcome.FAILURE_UNKNOWN_USER, "10.2." + i + ".1", "y" + i);
        }
        observed.states().evaluate("r9", "nine");
        observed.states().evaluate("r9", "nine");
        assertThat(changes).containsExactly("NORMAL->UNDER_ATTACK");
    }
}
