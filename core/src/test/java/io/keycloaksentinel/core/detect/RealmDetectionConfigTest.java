package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RealmDetectionConfigTest {

    @Test
    @DisplayName("No attributes means the defaults; stored attributes round-trip")
    void attributes() {
        assertThat(RealmDetectionConfig.fromAttributes(k -> null)).isEqualTo(DetectionThresholds.DEFAULTS);
        DetectionThresholds t = new DetectionThresholds(100, 4.0, 10, 0.5, Duration.ofSeconds(90));
        Map<String, String> stored = RealmDetectionConfig.toAttributes(t);
        assertThat(stored).containsEntry("sentinel.detection.cooldownSeconds", "90");
        assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(t);
    }

    @Test
    @DisplayName("A damaged stored value falls back to its default instead of breaking logins")
    void damagedAttributes() {
        Map<String, String> stored = new HashMap<>(RealmDetectionConfig.toAttributes(DetectionThresholds.DEFAULTS));
        stored.put("sentinel.detection.baselineMultiplier", "NaN");
        stored.put("sentinel.detection.minFailuresPerMinute", "lots");
        assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(DetectionThresholds.DEFAULTS);
        stored.put("sentinel.detection.minFailuresPerMinute", "999999"); // above the attack rate: inconsistent
        assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(DetectionThresholds.DEFAULTS);
    }

    @Test
    @DisplayName("An admin's update is validated: partial updates keep defaults, typos and bad values are refused with a message")
    void updates() {
        assertThat(RealmDetectionConfig.fromUpdate(Map.of("minFailuresPerMinute", 5)).minFailuresPerMinute()).isEqualTo(5);
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("minFailurePerMinute", 5)))
                .hasMessageContaining("unknown setting 'minFailurePerMinute'");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("attackFailuresPerMinute", "many")))
                .hasMessageContaining("attackFailuresPerMinute must be a number");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("attackFailuresPerMinute", 2.5)))
                .hasMessageContaining("must be a whole number");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("cooldownSeconds", -1)))
                .hasMessageContaining("cooldownSeconds must be between 0 and 86400");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("minFailuresPerMinute", 500)))
                .hasMessageContaining("minFailuresPerMinute <= attackFailuresPerMinute");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("unknownUserShare", 7)))
                .hasMessageContaining("unknownUserShare");
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(null)).hasMessageContaining("JSON object");
    }
}
