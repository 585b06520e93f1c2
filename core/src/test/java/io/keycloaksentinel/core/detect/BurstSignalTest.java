package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("The burst signal: what a realm's last ten seconds count, and how soon they are evaluated")
class BurstSignalTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    /** The runs the detector handed to its scheduler: (delay, run). */
    private final List<Runnable> scheduled = new ArrayList<>();
    private final List<Long> delays = new ArrayList<>();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64,
            SourceKeys.DEFAULT_IPV6_WIDE_PREFIXES, DetectionObserver.NONE, (BurstTrigger.Scheduler) (run, delay) -> {
                scheduled.add(run);
                delays.add(delay);
            });

    private RealmSignals.Burst burst() {
        return detector.states().signals("r1").burst();
    }

    @Nested
    @DisplayName("Counting")
    class Counting {

        @Test
        @DisplayName("Every failure, those with the signature, the successes and the distinct typed names are counted for 10 s")
        void counts() {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "203.0.113.1", "nobody-1");
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "203.0.113.2", "Nobody-1 "); // one name
            detector.record("r1", "demo", LoginOutcome.FAILURE, "203.0.113.3", "alice", "id-alice");
            detector.record("r1", "demo", LoginOutcome.SUCCESS, "203.0.113.4", "bob", "id-bob");
            assertThat(burst()).isEqualTo(new RealmSignals.Burst(3, 2, 1, 2));
            now.addAndGet(10_000);
            assertThat(burst()).as("ten seconds later").isEqualTo(RealmSignals.Burst.NONE);
            assertThat(detector.states().signals("r1").failuresLastMinute()).as("the minute still has them").isEqualTo(3);
        }

        @Test
        @DisplayName("A failed CAPTCHA and a refused post count with the signature (the minute's unknown share does not)")
        void captchaFailedKeepsTheSignature() {
            detector.record("r1", "demo", LoginOutcome.CAPTCHA_FAILED, "203.0.113.1", "victim-1@mail.example");
            detector.record("r1", "demo", LoginOutcome.REFUSED, "203.0.113.2", "victim-2@mail.example");
            assertThat(burst()).isEqualTo(new RealmSignals.Burst(2, 2, 0, 2));
            assertThat(detector.states().signals("r1").unknownUserFailuresLastMinute()).isZero();
        }

        @Test
        @DisplayName("A bot ignoring the CAPTCHA after its first unknown names still drives the realm UNDER_ATTACK")
        void botIgnoringTheCaptcha() {
            for (int i = 0; i < 18; i++) {
                detector.record("r1", "demo", i < 4 ? LoginOutcome.FAILURE_UNKNOWN_USER : LoginOutcome.CAPTCHA_FAILED,
                        "198.51." + i + ".7", "victim-" + i + "@mail.example");
                now.addAndGet(50);
            }
            assertThat(detector.states().signals("r1").unknownUserShare()).as("the minute's share, diluted").isLessThan(0.6);
            RealmAttackStatus status = detector.states().evaluate("r1", "demo");
            assertThat(status.state()).isEqualTo(AttackState.UNDER_ATTACK);
            assertThat(status.reason()).startsWith("burst: 18 failed sign-ins in 10 s, 100% unknown usernames or CAPTCHA refused");
        }
    }

    @Nested
    @DisplayName("Evaluating when the signal arrives")
    class Trigger {

        @Test
        @DisplayName("An attempt with the signature hands one run to the scheduler; the run evaluates the realm")
        void evaluatesOnTheScheduler() {
            for (int i = 0; i < 16; i++) {
                detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "198.51." + i + ".7", "victim-" + i);
            }
            assertThat(scheduled).as("one run for the sixteen attempts").hasSize(1);
            assertThat(detector.states().status("r1").state()).as("nothing evaluated on the request thread")
                    .isEqualTo(AttackState.NORMAL);
            scheduled.get(0).run();
            assertThat(detector.states().status("r1").state()).isEqualTo(AttackState.UNDER_ATTACK);
        }

        @Test
        @DisplayName("Wrong passwords for real accounts and successes hand nothing over")
        void noSignatureNoRun() {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "198.51.100.7", "alice", "id-alice");
            detector.record("r1", "demo", LoginOutcome.SUCCESS, "198.51.100.7", "alice", "id-alice");
            assertThat(scheduled).isEmpty();
        }

        @Test
        @DisplayName("With the burst rule off, nothing is handed over")
        void ruleOff() {
            detector.states().configure("r1", "demo", new DetectionThresholds(300, 10.0, 30, 0.6,
                    java.time.Duration.ofMinutes(5), 100, 500, 50, 10, 10, 0, 0.6));
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "198.51.100.7", "nobody");
            assertThat(scheduled).isEmpty();
        }
    }
}
