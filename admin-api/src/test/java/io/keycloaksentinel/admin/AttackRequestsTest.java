package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The bodies of POST /attack/lift and PUT /incident/emergency")
class AttackRequestsTest {

    private static final String EXPECTED = "expected {\"source\": \"<address or network>\"} or {\"username\": \"<username>\"}";

    @Test
    @DisplayName("A source (address or network) is lifted as given; the detector checks and canonicalizes it")
    void source() {
        assertThat(AttackResource.LiftRequest.parse(Map.of("source", " 192.0.2.0/24 ")))
                .isEqualTo(new AttackResource.LiftRequest(" 192.0.2.0/24 ", null));
    }

    @Test
    @DisplayName("A username up to 1024 characters")
    void username() {
        assertThat(AttackResource.LiftRequest.parse(Map.of("username", "u".repeat(1024))))
                .isEqualTo(new AttackResource.LiftRequest(null, "u".repeat(1024)));
    }

    static List<Arguments> badLifts() {
        return List.of(
                Arguments.of(null, EXPECTED),
                Arguments.of(Map.of(), EXPECTED),
                Arguments.of(Map.of("source", 5), EXPECTED),
                Arguments.of(Map.of("user", "alice"), EXPECTED),
                Arguments.of(Map.of("source", "192.0.2.7", "username", "alice"), EXPECTED),
                Arguments.of(Map.of("username", "u".repeat(1025)), "username: too long"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badLifts")
    @DisplayName("A lift body that is not exactly one source or one username is refused")
    void badLift(Map<String, Object> body, String message) {
        assertThatThrownBy(() -> AttackResource.LiftRequest.parse(body)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    @DisplayName("The emergency lasts 1 to 1440 minutes")
    void emergencyMinutes() {
        assertThat(IncidentResource.emergencyMinutes(Map.of("minutes", 1))).isEqualTo(1);
        assertThat(IncidentResource.emergencyMinutes(Map.of("minutes", 1440))).isEqualTo(1440);
        assertThatThrownBy(() -> IncidentResource.emergencyMinutes(Map.of("minutes", 1441)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minutes");
        assertThatThrownBy(() -> IncidentResource.emergencyMinutes(Map.of("minutes", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minutes");
        assertThatThrownBy(() -> IncidentResource.emergencyMinutes(Map.of("hours", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hours");
    }
}
