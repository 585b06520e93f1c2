package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The low-and-slow signal: distinct accounts failing from networks new to them, and a sprayed password kept flagged")
class LowAndSlowSignalTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);

    private void fail(int account, String ip) {
        detector.record("r1", "realm", LoginOutcome.FAILURE, ip, "user" + account, "id-" + account);
    }

    @Test
    @DisplayName("counts each account once per hour, not the owner's home, not unknown usernames; 30 an hour make the realm ELEVATED")
    void counts() {
        detector.known().rememberSource("r1", List.of(), "id-0", "198.51.100.7"); // user 0's home
        store.flush();
        fail(0, "198.51.100.9");                       // at home: not new
        detector.record("r1", "realm", LoginOutcome.FAILURE_UNKNOWN_USER, "203.0.113.1", "nobody", null);
        for (int i = 1; i <= 29; i++) {                // one account a minute: under every minute's rule
            now.addAndGet(60_000);
            fail(i, "10." + i + ".0.1");
            fail(i, "10." + i + ".0.2");              // the same account again
        }
        store.flush();
        RealmSignals s = detector.states().signals("r1");
        assertThat(s.newNetworkAccountsLastHour()).isEqualTo(29);
        assertThat(detector.states().evaluate("r1", "realm").state()).isEqualTo(AttackState.NORMAL);
        now.addAndGet(60_000);
        fail(30, "10.30.0.1");
        store.flush();
        assertThat(detector.states().evaluate("r1", "realm").state()).isEqualTo(AttackState.ELEVATED);
        assertThat(detector.states().status("r1").reason()).startsWith("low and slow: 30 accounts");
        now.addAndGet(Duration.ofMinutes(95).toMillis());
        s = detector.states().signals("r1");
        assertThat(s.newNetworkAccountsLastHour()).as("an hour later").isZero();
        assertThat(s.newNetworkAccountsLastDay()).isEqualTo(30);
        assertThat(s.newNetworkBaselinePerHour()).isEqualTo(30 / 23.0);
    }

    @Test
    @DisplayName("a sprayed password stays flagged on the node that saw it for the hour, however its count decays")
    void sticky() {
        String fp = detector.sprays().fingerprint("r1", "Summer2026!");
        assertThat(detector.sprayedHere("r1", fp)).isFalse();
        detector.sprayed("r1", "realm", fp, 10);
        assertThat(detector.sprayedHere("r1", fp)).isTrue();
        assertThat(detector.sprayedHere("r2", fp)).isFalse();
        now.addAndGet(Duration.ofMinutes(59).toMillis());
        assertThat(detector.sprayedHere("r1", fp)).isTrue();
        now.addAndGet(Duration.ofMinutes(2).toMillis());
        assertThat(detector.sprayedHere("r1", fp)).isFalse();
    }
}
