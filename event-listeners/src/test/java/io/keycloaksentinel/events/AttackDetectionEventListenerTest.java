package io.keycloaksentinel.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.detect.LoginOutcome;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.keycloak.events.EventType;

class AttackDetectionEventListenerTest {

    @ParameterizedTest(name = "{0} / {1} -> {2}")
    @CsvSource(nullValues = "null", value = {
            "LOGIN, null, SUCCESS",
            "LOGIN_ERROR, user_not_found, FAILURE_UNKNOWN_USER",
            "LOGIN_ERROR, invalid_user_credentials, FAILURE",
            "LOGIN_ERROR, user_temporarily_disabled, FAILURE",
            "LOGIN_ERROR, user_disabled, FAILURE",
            "LOGIN_ERROR, expired_code, null",
            "LOGIN_ERROR, cookie_not_found, null",
            "LOGIN_ERROR, null, null",
            "CODE_TO_TOKEN, null, null",
            "LOGOUT, null, null",
    })
    @DisplayName("Only password guesses and logins are counted")
    void classify(EventType type, String error, LoginOutcome expected) {
        assertThat(AttackDetectionEventListener.classify(type, error).orElse(null)).isEqualTo(expected);
    }
}
