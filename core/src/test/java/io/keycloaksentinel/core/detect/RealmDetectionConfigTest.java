package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
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

    @Test
    @DisplayName("Rates above ten million a minute are refused, whichever threshold carries them")
    void rates() {
        assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("attackFailuresPerMinute", 20_000_000)))
                .hasMessageContaining("rates above 10000000 per minute are not meaningful");
        assertThat(RealmDetectionConfig.fromUpdate(Map.of())).as("an empty update is the defaults")
                .isEqualTo(DetectionThresholds.DEFAULTS);
    }

    @Test
    @DisplayName("The allowlist, mode and failClosed of an update: checked, known to the thresholds' key check, defaults when left out")
    void allowlistModeFailClosed() {
        Map<String, Object> update = Map.of("allowlist", java.util.List.of("10.1.2.3/8", "192.0.2.1"), "mode", "monitor",
                "failClosed", true, "cooldownSeconds", 60);
        assertThat(RealmDetectionConfig.fromUpdate(update).cooldown()).isEqualTo(Duration.ofSeconds(60));
        assertThat(RealmDetectionConfig.allowlistFromUpdate(update)).contains("10.0.0.0/8,192.0.2.1/32");
        assertThat(RealmDetectionConfig.modeFromUpdate(update)).isEqualTo("monitor");
        assertThat(RealmDetectionConfig.failClosedFromUpdate(update)).isTrue();
        assertThat(RealmDetectionConfig.allowlistFromUpdate(Map.of())).isEmpty();
        assertThat(RealmDetectionConfig.modeFromUpdate(Map.of())).isEqualTo("enforce");
        assertThat(RealmDetectionConfig.failClosedFromUpdate(Map.of())).isFalse();
        assertThatThrownBy(() -> RealmDetectionConfig.allowlistFromUpdate(Map.of("allowlist", java.util.List.of("office"))))
                .hasMessage("allowlist: 'office' is not an IP address or CIDR range");
        assertThatThrownBy(() -> RealmDetectionConfig.allowlistFromUpdate(Map.of("allowlist", "10.0.0.0/8")))
                .hasMessageContaining("must be an array");
        assertThatThrownBy(() -> RealmDetectionConfig.modeFromUpdate(Map.of("mode", "sometimes")))
                .hasMessage("mode must be \"enforce\" or \"monitor\"");
        assertThatThrownBy(() -> RealmDetectionConfig.failClosedFromUpdate(Map.of("failClosed", "yes")))
                .hasMessage("failClosed must be true or false");
    }

    @Test
    @DisplayName("Stored allowlist, mode and failClosed: damaged entries skipped, anything but the known words the default")
    void storedAllowlistModeFailClosed() {
        Map<String, String> stored = Map.of("sentinel.detection.allowlist", "10.0.0.0/8,office,192.0.2.0/24",
                "sentinel.detection.mode", "monitor", "sentinel.detection.failClosed", "true");
        assertThat(RealmDetectionConfig.allowlist(stored::get)).extracting(Object::toString)
                .containsExactly("10.0.0.0/8", "192.0.2.0/24");
        assertThat(RealmDetectionConfig.allowlisted(stored::get, "10.9.8.7")).isTrue();
        assertThat(RealmDetectionConfig.allowlisted(stored::get, "198.51.100.1")).isFalse();
        assertThat(RealmDetectionConfig.monitorOnly(stored::get)).isTrue();
        assertThat(RealmDetectionConfig.failClosed(stored::get)).isTrue();
        Map<String, String> damaged = Map.of("sentinel.detection.mode", "MONITOR", "sentinel.detection.failClosed", "yes");
        assertThat(RealmDetectionConfig.monitorOnly(damaged::get)).isFalse();
        assertThat(RealmDetectionConfig.failClosed(damaged::get)).isFalse();
    }

    @Nested
    @DisplayName("The burst rule's settings")
    class BurstSettings {

        @Test
        @DisplayName("Defaults 16 and 0.6, shown with the others, stored as sentinel.detection.burstFailures and burstSignatureShare")
        void defaultsAndStorage() {
            Map<String, Object> shown = RealmDetectionConfig.toMap(DetectionThresholds.DEFAULTS);
            assertThat(shown).containsEntry("burstFailures", 16L).containsEntry("burstSignatureShare", 0.6);
            DetectionThresholds t = RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 24, "burstSignatureShare", 0.75));
            assertThat(t.burstFailures()).isEqualTo(24);
            assertThat(t.burstSignatureShare()).isEqualTo(0.75);
            Map<String, String> stored = RealmDetectionConfig.toAttributes(t);
            assertThat(stored).containsEntry("sentinel.detection.burstFailures", "24")
                    .containsEntry("sentinel.detection.burstSignatureShare", "0.75");
            assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(t);
        }

        @Test
        @DisplayName("0 turns the rule off; 1 to 3, a negative number, a fraction or a share outside (0, 1] are refused")
        void validation() {
            assertThat(RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 0)).burstRule()).isFalse();
            assertThat(RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 4)).burstRule()).isTrue();
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 3)))
                    .hasMessageContaining("burstFailures must be 0 (off) or at least 4");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstFailures", -1)))
                    .hasMessageContaining("burstFailures");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 8.5)))
                    .hasMessageContaining("burstFailures must be a whole number");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 20_000_000)))
                    .hasMessageContaining("not meaningful");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstSignatureShare", 0)))
                    .hasMessageContaining("burstSignatureShare must be in (0, 1]");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstSignatureShare", 1.5)))
                    .hasMessageContaining("burstSignatureShare");
            assertThatThrownBy(() -> RealmDetectionConfig.fromUpdate(Map.of("burstSignatureShare", "most")))
                    .hasMessageContaining("burstSignatureShare must be a number");
        }

        @Test
        @DisplayName("A damaged stored burst setting falls back to the defaults")
        void damaged() {
            Map<String, String> stored = new HashMap<>(RealmDetectionConfig.toAttributes(DetectionThresholds.DEFAULTS));
            stored.put("sentinel.detection.burstFailures", "2");
            assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(DetectionThresholds.DEFAULTS);
            stored.put("sentinel.detection.burstFailures", "x");
            assertThat(RealmDetectionConfig.fromAttributes(stored::get)).isEqualTo(DetectionThresholds.DEFAULTS);
        }

        @Test
        @DisplayName("An emergency keeps the realm's burst settings")
        void emergency() {
            DetectionThresholds t = RealmDetectionConfig.fromUpdate(Map.of("burstFailures", 0));
            assertThat(Emergency.strict(t).burstFailures()).isZero();
        }
    }
}
