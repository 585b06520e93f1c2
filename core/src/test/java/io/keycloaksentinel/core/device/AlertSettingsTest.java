package io.keycloaksentinel.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AlertSettingsTest {

    /** Stored realm attributes, keyed without the prefix (as an admin writes them). */
    private static AlertSettings read(Map<String, String> stored) {
        return AlertSettings.read(name -> name.startsWith(AlertSettings.PREFIX)
                ? stored.get(name.substring(AlertSettings.PREFIX.length())) : null);
    }

    /** What the admin REST does: validate, then store each value or remove it (null). */
    private static void apply(Map<String, String> stored, Map<String, Object> update) {
        AlertSettings.validateUpdate(update).forEach((k, v) -> {
            if (v == null) {
                stored.remove(k);
            } else {
                stored.put(k, v);
            }
        });
    }

    @Test
    @DisplayName("Nothing stored: every alert and notice is off, so installing Sentinel mails nobody")
    void defaultsAllOff() {
        AlertSettings s = AlertSettings.read(name -> null);
        assertThat(s).isEqualTo(AlertSettings.DEFAULTS);
        assertThat(s.anyOn()).isFalse();
        assertThat(s.newDeviceAlerts()).isFalse();
        assertThat(s.alertFirstDevice()).isFalse();
        assertThat(s.notMeDisablesAccount()).isFalse();
        assertThat(s.notifyPasswordChange()).isFalse();
        assertThat(s.notifyMfaChange()).isFalse();
        assertThat(s.notifyEmailChange()).isFalse();
        assertThat(s.maxAlertsPerHour()).isEqualTo(3);
        assertThat(s.deviceDays()).isEqualTo(90);
        assertThat(s.maxDevices()).isEqualTo(10);
        assertThat(s.deviceTtlMillis()).isEqualTo(90L * 24 * 3600 * 1000);
        assertThat(s.toMap()).containsOnlyKeys(AlertSettings.KEYS);
    }

    @Test
    @DisplayName("Stored values are read under the sentinel.alerts. prefix; any one notice turns the listener on")
    void stored() {
        Map<String, String> stored = new HashMap<>();
        stored.put("notifyMfaChange", "true");
        stored.put("maxAlertsPerHour", "7");
        stored.put("deviceDays", "3650");
        stored.put("maxDevices", "1");
        AlertSettings s = read(stored);
        assertThat(s.notifyMfaChange()).isTrue();
        assertThat(s.anyOn()).isTrue();
        assertThat(s.newDeviceAlerts()).isFalse();
        assertThat(s.maxAlertsPerHour()).isEqualTo(7);
        assertThat(s.deviceDays()).isEqualTo(3650);
        assertThat(s.deviceTtlMillis()).as("no int overflow").isEqualTo(3650L * 24 * 3600 * 1000);
        assertThat(s.maxDevices()).isEqualTo(1);
        assertThat(s.toMap()).containsEntry("notifyMfaChange", true).containsEntry("maxAlertsPerHour", 7);
        assertThat(AlertSettings.read(Map.of("notifyMfaChange", "true")::get).notifyMfaChange())
                .as("without the prefix it is not ours").isFalse();
    }

    @Test
    @DisplayName("A value damaged by hand falls back to its default instead of breaking a login")
    void damagedValues() {
        Map<String, String> stored = new HashMap<>();
        stored.put("newDeviceAlerts", "yes");
        stored.put("alertFirstDevice", "1");
        stored.put("notifyPasswordChange", "");
        stored.put("notifyMfaChange", "on");
        stored.put("notifyEmailChange", "true ");
        stored.put("notMeDisablesAccount", "maybe");
        stored.put("maxAlertsPerHour", "0");
        stored.put("deviceDays", "forever");
        stored.put("maxDevices", "51");
        assertThat(read(stored)).isEqualTo(AlertSettings.DEFAULTS);

        stored.put("maxAlertsPerHour", "101");
        stored.put("deviceDays", "-1");
        stored.put("maxDevices", "9".repeat(30));
        assertThat(read(stored)).isEqualTo(AlertSettings.DEFAULTS);
        stored.put("deviceDays", "2.5");
        stored.put("maxDevices", " 12 ");
        assertThat(read(stored).deviceDays()).isEqualTo(90);
        assertThat(read(stored).maxDevices()).as("surrounding blanks are tolerated").isEqualTo(12);
    }

    @Test
    @DisplayName("A valid partial update is stored as strings; unnamed settings are untouched")
    void validUpdate() {
        Map<String, String> stored = new HashMap<>(Map.of("maxDevices", "20"));
        apply(stored, Map.of("newDeviceAlerts", true, "maxAlertsPerHour", 100, "deviceDays", 1, "notifyEmailChange", false));
        assertThat(stored).containsEntry("newDeviceAlerts", "true").containsEntry("maxAlertsPerHour", "100")
                .containsEntry("deviceDays", "1").containsEntry("notifyEmailChange", "false").containsEntry("maxDevices", "20");
        AlertSettings s = read(stored);
        assertThat(s.newDeviceAlerts()).isTrue();
        assertThat(s.maxAlertsPerHour()).isEqualTo(100);
        assertThat(s.deviceDays()).isEqualTo(1);
        assertThat(s.maxDevices()).isEqualTo(20);
        assertThat(AlertSettings.validateUpdate(Map.of("maxDevices", 50.0))).as("a whole JSON double").containsEntry("maxDevices", "50");
    }

    @Test
    @DisplayName("null restores a setting's default")
    void nullRestoresDefault() {
        Map<String, String> stored = new HashMap<>();
        apply(stored, Map.of("newDeviceAlerts", true, "maxAlertsPerHour", 9, "deviceDays", 30));
        assertThat(read(stored).newDeviceAlerts()).isTrue();
        Map<String, Object> reset = new HashMap<>();
        reset.put("newDeviceAlerts", null);
        reset.put("maxAlertsPerHour", null);
        assertThat(AlertSettings.validateUpdate(reset)).containsEntry("newDeviceAlerts", null).containsEntry("maxAlertsPerHour", null);
        apply(stored, reset);
        AlertSettings s = read(stored);
        assertThat(s.newDeviceAlerts()).isFalse();
        assertThat(s.maxAlertsPerHour()).isEqualTo(AlertSettings.DEFAULTS.maxAlertsPerHour());
        assertThat(s.deviceDays()).as("not named: kept").isEqualTo(30);
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                Arguments.of("newDeviceAlerts", "true"),
                Arguments.of("notifyPasswordChange", 1),
                Arguments.of("notifyMfaChange", "yes"),
                Arguments.of("alertFirstDevice", List.of(true)),
                Arguments.of("maxAlertsPerHour", 0),
                Arguments.of("maxAlertsPerHour", 101),
                Arguments.of("maxAlertsPerHour", 2.5),
                Arguments.of("maxAlertsPerHour", "3"),
                Arguments.of("deviceDays", 3651),
                Arguments.of("deviceDays", -1L),
                Arguments.of("maxDevices", 51),
                Arguments.of("maxDevices", true));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidValues")
    @DisplayName("A wrong value is refused with a message naming the field; nothing of the update is stored")
    void invalidUpdate(String key, Object value) {
        Map<String, String> stored = new HashMap<>();
        Map<String, Object> update = new java.util.LinkedHashMap<>();
        update.put("notifyEmailChange", true);
        update.put(key, value);
        assertThatThrownBy(() -> apply(stored, update)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(key + " must be");
        assertThat(stored).isEmpty();
    }

    @Test
    @DisplayName("Ranges are named in the message")
    void rangesNamed() {
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of("maxAlertsPerHour", 0)))
                .hasMessage("maxAlertsPerHour must be a whole number from 1 to 100");
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of("deviceDays", 0)))
                .hasMessage("deviceDays must be a whole number from 1 to 3650");
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of("maxDevices", 0)))
                .hasMessage("maxDevices must be a whole number from 1 to 50");
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of("notifyEmailChange", "true")))
                .hasMessage("notifyEmailChange must be true or false");
    }

    @Test
    @DisplayName("An unknown key or an empty update is refused, naming the key and the known ones")
    void unknownOrEmpty() {
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of("notifyEverything", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("notifyEverything")
                .hasMessageContaining("newDeviceAlerts");
        assertThatThrownBy(() -> AlertSettings.validateUpdate(Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AlertSettings.validateUpdate(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
