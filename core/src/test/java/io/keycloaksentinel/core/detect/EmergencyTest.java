package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EmergencyTest {

    private static final long NOW = 1_800_000_000_000L;

    @Test
    @DisplayName("Active until its end, not after; a damaged value or one further ahead than a day (a clock jump, a hand edit) is not trusted")
    void active() {
        assertThat(Emergency.active(Map.of(Emergency.UNTIL, Long.toString(NOW + 60_000))::get, NOW)).isTrue();
        assertThat(Emergency.active(Map.of(Emergency.UNTIL, Long.toString(NOW - 1))::get, NOW)).isFalse();
        assertThat(Emergency.active(Map.of(Emergency.UNTIL, "soon")::get, NOW)).isFalse();
        assertThat(Emergency.active(Map.<String, String>of()::get, NOW)).isFalse();
        assertThat(Emergency.active(Map.of(Emergency.UNTIL, Long.toString(NOW + 30L * 24 * 3600 * 1000))::get, NOW)).isFalse();
    }

    @Test
    @DisplayName("Strict thresholds: the throttle limits divided by 5, at least 1; the attack-state thresholds unchanged")
    void strict() {
        DetectionThresholds t = DetectionThresholds.DEFAULTS;
        DetectionThresholds s = Emergency.strict(t);
        assertThat(s.ipFailuresPerDay()).isEqualTo(t.ipFailuresPerDay() / 5);
        assertThat(s.networkFailuresPer15m()).isEqualTo(t.networkFailuresPer15m() / 5);
        assertThat(s.networkUsernamesPer15m()).isEqualTo(t.networkUsernamesPer15m() / 5);
        assertThat(s.unknownSourceFailuresPer15m()).isEqualTo(2);
        assertThat(s.attackFailuresPerMinute()).isEqualTo(t.attackFailuresPerMinute());
        assertThat(s.minFailuresPerMinute()).isEqualTo(t.minFailuresPerMinute());
        assertThat(Emergency.strict(Emergency.strict(Emergency.strict(t))).unknownSourceFailuresPer15m()).isEqualTo(1);
    }
}
