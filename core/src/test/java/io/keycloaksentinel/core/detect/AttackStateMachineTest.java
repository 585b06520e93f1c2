package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttackStateMachineTest {

    private static final DetectionThresholds T = DetectionThresholds.DEFAULTS; // 300/min, x10, min 30, 60 %, 5 min
    private static final long MIN = 60_000;
    private final AttackStateMachine machine = new AttackStateMachine(T);

    private static RealmSignals signals(long perMinute, long unknown, long perDay) {
        return new RealmSignals(perMinute, unknown, perDay);
    }

    @ParameterizedTest(name = "{0}/min, {1} unknown, {2}/day -> {3}")
    @CsvSource({
            "0, 0, 0, NORMAL",
            "14, 14, 0, NORMAL",           // below half the floor, even if every name is unknown
            "29, 29, 0, ELEVATED",         // below the floor: elevated, not an attack
            "30, 20, 0, UNDER_ATTACK",     // the botnet signature: most names unknown
            "30, 5, 0, UNDER_ATTACK",      // 30/min on a realm that never fails: far above baseline
            "30, 5, 43200, NORMAL",        // a busy realm failing 30/min every minute: its normal
            "160, 5, 43200, ELEVATED",     // half the absolute attack rate
            "300, 5, 43200, UNDER_ATTACK", // the absolute attack rate
            "15, 15, 0, ELEVATED",         // half the floor, all unknown
    })
    @DisplayName("A realm's signals map to a state by rate, baseline and share of unknown usernames")
    void entryLevels(long perMinute, long unknown, long perDay, AttackState expected) {
        RealmAttackStatus next = machine.next(RealmAttackStatus.INITIAL, signals(perMinute, unknown, perDay), 1000);
        assertThat(next.state()).isEqualTo(expected);
        if (expected != AttackState.NORMAL) {
            assertThat(next.sinceMillis()).isEqualTo(1000);
            assertThat(next.reason()).contains(perMinute + " failed logins in the last minute");
        }
    }

    @Test
    @DisplayName("Once under attack, a rate that dips just below the entry level does not end it (no flapping)")
    void hysteresis() {
        RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, signals(300, 200, 0), 0);
        assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
        for (int minute = 1; minute <= 30; minute++) {
            long rate = minute % 2 == 0 ? 310 : 160; // oscillates around the entry level, above half of it
            s = machine.next(s, signals(rate, rate / 2, 0), minute * MIN);
            assertThat(s.state()).as("minute %d", minute).isEqualTo(AttackState.UNDER_ATTACK);
        }
        assertThat(s.sinceMillis()).isZero();
    }

    @Test
    @DisplayName("The state steps down one level after the cool-down of calm signals, and back to NORMAL after another")
    void cooldown() {
        RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, signals(500, 400, 0), 0);
        s = machine.next(s, signals(0, 0, 500), 1 * MIN);           // calm starts
        assertThat(s.calmSinceMillis()).isEqualTo(MIN);
        s = machine.next(s, signals(0, 0, 500), 5 * MIN);           // 4 minutes calm: still under attack
        assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
        s = machine.next(s, signals(0, 0, 500), 6 * MIN);           // 5 minutes calm
        assertThat(s.state()).isEqualTo(AttackState.ELEVATED);
        s = machine.next(s, signals(0, 0, 500), 7 * MIN);
        s = machine.next(s, signals(0, 0, 500), 12 * MIN);
        assertThat(s.state()).isEqualTo(AttackState.NORMAL);
        assertThat(s.frozenBaselinePerMinute()).isNegative();
    }

    @Test
    @DisplayName("A burst during the cool-down restarts it")
    void burstRestartsCooldown() {
        RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, signals(500, 400, 0), 0);
        s = machine.next(s, signals(0, 0, 0), 1 * MIN);
        s = machine.next(s, signals(200, 150, 0), 4 * MIN);         // hot again
        assertThat(s.calmSinceMillis()).isZero();
        s = machine.next(s, signals(0, 0, 0), 5 * MIN);
        s = machine.next(s, signals(0, 0, 0), 9 * MIN);             // only 4 minutes of calm since the burst
        assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
    }

    @Test
    @DisplayName("A long attack cannot raise its own baseline: the baseline is frozen when the state leaves NORMAL")
    void baselineFrozen() {
        RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, signals(100, 10, 1440), 0); // baseline 1/min
        assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
        // a day later the 24 h count is full of the attack itself (100/min), which would make 100/min "normal"
        s = machine.next(s, signals(100, 10, 144_000), 24 * 60 * MIN);
        assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
        assertThat(s.frozenBaselinePerMinute()).isEqualTo(1.0);
    }

    @Test
    @DisplayName("The stored form round-trips; a damaged entry reads as absent")
    void encoding() {
        RealmAttackStatus s = new RealmAttackStatus(AttackState.ELEVATED, 123, 456, 2.5, "a|b");
        assertThat(RealmAttackStatus.decode(s.encode())).contains(new RealmAttackStatus(AttackState.ELEVATED, 123, 456, 2.5, "a/b"));
        assertThat(RealmAttackStatus.decode("PANIC|1|2|3|x")).isEmpty();
        assertThat(RealmAttackStatus.decode("garbage")).isEmpty();
        assertThat(RealmAttackStatus.decode(null)).isEmpty();
        assertThat(new RealmAttackStatus(AttackState.NORMAL, 0, 0, 0, "x".repeat(5000)).reason()).hasSize(300);
    }

    @Test
    @DisplayName("Inconsistent thresholds are refused with a message")
    void badThresholds() {
        assertThatThrownBy(() -> new DetectionThresholds(10, 5, 20, 0.5, Duration.ZERO))
                .hasMessageContaining("minFailuresPerMinute <= attackFailuresPerMinute");
        assertThatThrownBy(() -> new DetectionThresholds(300, 0.5, 30, 0.5, Duration.ZERO))
                .hasMessageContaining("baselineMultiplier");
        assertThatThrownBy(() -> new DetectionThresholds(300, 10, 30, 1.5, Duration.ZERO))
                .hasMessageContaining("unknownUserShare");
    }

    @Test
    @DisplayName("A realm without history and ordinary traffic (mostly successes, a few typos) is not an attack")
    void coldStartWithOrdinaryTypos() {
        // 40 typos in a minute among 400 good logins, on a realm with no failures in its last day
        RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, new RealmSignals(40, 0, 0, 400), 0);
        assertThat(s.state()).isEqualTo(AttackState.NORMAL);
        // the same 40 failures with nothing succeeding is far above the (empty) baseline: an attack
        assertThat(machine.next(RealmAttackStatus.INITIAL, new RealmSignals(40, 0, 0, 2), 0).state())
                .isEqualTo(AttackState.UNDER_ATTACK);
    }
}
