package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
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

    @Nested
    @DisplayName("The burst rule: the last ten seconds")
    class Burst {

        /** Signals whose minute holds nothing but the last ten seconds. */
        private RealmSignals burst(long failures, long signature, long successes, long distinct) {
            return new RealmSignals(failures, signature, 0, successes,
                    new RealmSignals.Burst(failures, signature, successes, distinct));
        }

        private AttackState entered(RealmSignals s) {
            return machine.next(RealmAttackStatus.INITIAL, s, 1000).state();
        }

        /** Default burst settings, the minute's rules out of reach (at least 100 failures a minute): the burst rule alone. */
        private final AttackStateMachine burstOnly = new AttackStateMachine(new DetectionThresholds(1000, 10.0, 100, 0.6,
                Duration.ofMinutes(5), 100, 500, 50, 10, 10, 16, 0.6));

        @ParameterizedTest(name = "{0} failures, {1} with the signature, {2} successes, {3} distinct names -> {4}")
        @CsvSource({
                "16, 14, 0, 15, UNDER_ATTACK",  // the botnet's first seconds: unknown names, one each
                "16, 16, 4, 16, UNDER_ATTACK",  // ordinary users signing in meanwhile do not hide it
                "8, 8, 0, 8, ELEVATED",         // half the burst
                "6, 6, 0, 6, NORMAL",           // six unknown names in ten seconds
                "16, 16, 0, 1, NORMAL",         // one user retrying one (unknown) name sixteen times
                "16, 16, 0, 12, NORMAL",        // too few distinct names per failure: retries, not a list
                "16, 9, 0, 16, NORMAL",         // mostly wrong passwords for real accounts
                "16, 16, 20, 16, NORMAL",       // mostly successes: a busy realm
        })
        @DisplayName("The rule alone: many failures in ten seconds, most with the botnet's signature, for many distinct usernames")
        void levels(long failures, long signature, long successes, long distinct, AttackState expected) {
            assertThat(burstOnly.next(RealmAttackStatus.INITIAL, burst(failures, signature, successes, distinct), 1000).state())
                    .isEqualTo(expected);
        }

        @Test
        @DisplayName("With the default thresholds, the botnet's first 16 attempts (14 unknown names, 15 distinct) are an attack")
        void botnetFirstSeconds() {
            assertThat(entered(burst(16, 14, 0, 15))).isEqualTo(AttackState.UNDER_ATTACK);
        }

        @Test
        @DisplayName("A realm's daily peak (100 attempts in 10 s, 25 failures, 40 % for unknown names) stays NORMAL")
        void dailyPeak() {
            RealmSignals peak = new RealmSignals(60, 24, 20_000, 400, new RealmSignals.Burst(25, 10, 75, 24));
            assertThat(entered(peak)).isEqualTo(AttackState.NORMAL);
        }

        @Test
        @DisplayName("Six unknown names in ten seconds stay NORMAL")
        void sixUnknownNames() {
            assertThat(entered(burst(6, 6, 0, 6))).isEqualTo(AttackState.NORMAL);
        }

        @Test
        @DisplayName("One user retrying one name 16 times is no burst: only the minute's rules see it (ELEVATED, as before)")
        void oneUserRetrying() {
            RealmSignals retries = burst(16, 16, 0, 1);
            assertThat(entered(retries)).isEqualTo(AttackState.ELEVATED)
                    .isEqualTo(entered(new RealmSignals(16, 16, 0, 0)));
            assertThat(machine.next(RealmAttackStatus.INITIAL, retries, 0).reason()).startsWith("16 failed logins in the last minute");
        }

        @Test
        @DisplayName("A bot that ignores the CAPTCHA keeps the signature: its refused posts count as it")
        void captchaFailuresKeepTheSignature() {
            // 4 unknown names, then 14 posts without a CAPTCHA answer (each a new name): 18 with the signature
            assertThat(entered(burst(18, 18, 1, 18))).isEqualTo(AttackState.UNDER_ATTACK);
        }

        @Test
        @DisplayName("The reason says it was the burst, with its figures")
        void reason() {
            RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, burst(16, 14, 0, 15), 1000);
            assertThat(s.reason()).isEqualTo("burst: 16 failed sign-ins in 10 s, 88% unknown usernames or CAPTCHA refused,"
                    + " 15 distinct usernames");
        }

        @Test
        @DisplayName("burstFailures 0 turns the rule off: the minute's rules alone decide")
        void off() {
            AttackStateMachine off = new AttackStateMachine(new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ofMinutes(5),
                    100, 500, 50, 10, 10, 0, 0.6));
            // only the minute's rules are left: 16 unknown names in a minute are ELEVATED, as before the burst rule
            assertThat(off.next(RealmAttackStatus.INITIAL, burst(16, 16, 0, 16), 0).state()).isEqualTo(AttackState.ELEVATED);
            assertThat(off.next(RealmAttackStatus.INITIAL, burst(30, 30, 0, 30), 0).reason())
                    .startsWith("30 failed logins in the last minute");
        }

        @Test
        @DisplayName("Leaving goes by the minute's rules and the cool-down: a burst that stops does not end the attack at once")
        void leaving() {
            RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, burst(16, 16, 0, 16), 0);
            assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
            s = machine.next(s, signals(16, 16, 16), 20_000);     // the burst has left the ten seconds
            assertThat(s.state()).isEqualTo(AttackState.UNDER_ATTACK);
            s = machine.next(s, signals(0, 0, 16), 2 * MIN);       // calm starts
            s = machine.next(s, signals(0, 0, 16), 7 * MIN + 1);   // the cool-down
            assertThat(s.state()).isEqualTo(AttackState.ELEVATED);
        }

        @Test
        @DisplayName("Bad burst settings are refused with a message")
        void badSettings() {
            assertThatThrownBy(() -> new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ZERO, 100, 500, 50, 10, 10, 3, 0.6))
                    .hasMessageContaining("burstFailures must be 0 (off) or at least 4");
            assertThatThrownBy(() -> new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ZERO, 100, 500, 50, 10, 10, -1, 0.6))
                    .hasMessageContaining("burstFailures");
            assertThatThrownBy(() -> new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ZERO, 100, 500, 50, 10, 10, 16, 0))
                    .hasMessageContaining("burstSignatureShare must be in (0, 1]");
            assertThat(new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ZERO, 100, 500, 50, 10, 10, 4, 1.0).burstRule())
                    .isTrue();
        }
    }

    @Nested
    @DisplayName("The low-and-slow rule: accounts failing from networks new to them, per hour")
    class LowAndSlow {

        private RealmSignals slow(long hour, long day) {
            return new RealmSignals(1, 0, 100, 0, RealmSignals.Burst.NONE, hour, day);
        }

        @ParameterizedTest(name = "{0} accounts this hour, {1} today -> {2}")
        @CsvSource({
                "0, 0, NORMAL",
                "29, 29, NORMAL",      // under the floor
                "30, 30, ELEVATED",    // a spray too slow for the minute, on a realm where nobody fails from afar
                "40, 40, ELEVATED",
                "30, 100, NORMAL",     // 70 others in the other 23 hours: 3/h, 10x is 30.4: explained
                "31, 100, ELEVATED",   // 69 others: 3/h, 10x is 30: not
                "5000, 5000, ELEVATED" // never UNDER_ATTACK by this rule alone
        })
        @DisplayName("ELEVATED at 30 accounts an hour that the realm's own baseline does not explain, never UNDER_ATTACK")
        void levels(long hour, long day, AttackState expected) {
            RealmAttackStatus next = machine.next(RealmAttackStatus.INITIAL, slow(hour, day), 1000);
            assertThat(next.state()).isEqualTo(expected);
            if (expected == AttackState.ELEVATED) {
                assertThat(next.reason()).contains(hour + " accounts failed to sign in from networks new to them");
            }
        }

        @Test
        @DisplayName("Stays ELEVATED at half the level, then steps down after the cool-down")
        void staysThenCalms() {
            RealmAttackStatus s = machine.next(RealmAttackStatus.INITIAL, slow(30, 30), 0);
            s = machine.next(s, slow(15, 30), MIN);
            assertThat(s.state()).isEqualTo(AttackState.ELEVATED);
            assertThat(s.calmSinceMillis()).isZero();
            s = machine.next(s, slow(14, 30), 2 * MIN);
            s = machine.next(s, slow(14, 30), 2 * MIN + T.cooldown().toMillis());
            assertThat(s.state()).isEqualTo(AttackState.NORMAL);
        }

        @Test
        @DisplayName("Off with newNetworkAccountsPerHour 0, or without smart lockout (which reads the networks)")
        void off() {
            DetectionThresholds noRule = new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ofMinutes(5), 100, 500, 50, 10, 10,
                    16, 0.6, 10, 0);
            DetectionThresholds noLockout = new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ofMinutes(5), 100, 500, 50, 0,
                    10, 16, 0.6, 10, 30);
            assertThat(new AttackStateMachine(noRule).next(RealmAttackStatus.INITIAL, slow(500, 500), 0).state())
                    .isEqualTo(AttackState.NORMAL);
            assertThat(new AttackStateMachine(noLockout).next(RealmAttackStatus.INITIAL, slow(500, 500), 0).state())
                    .isEqualTo(AttackState.NORMAL);
            assertThatThrownBy(() -> new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ofMinutes(5), 100, 500, 50, 10, 10,
                    16, 0.6, 10, -1)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
