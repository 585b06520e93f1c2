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

    @ParameterizedTest(name = "{0} / {1} -> {2}")
    @CsvSource(nullValues = "null", value = {
            "REGISTER, null, REGISTERED",
            "REGISTER_ERROR, invalid_registration, REGISTRATION_FAILED",
            "SEND_RESET_PASSWORD, null, RESET_REQUESTED",
            "SEND_RESET_PASSWORD_ERROR, email_send_failed, RESET_REQUEST_FAILED",
            "RESET_PASSWORD_ERROR, user_not_found, RESET_UNKNOWN_USER",
            "RESET_PASSWORD_ERROR, user_disabled, RESET_REQUEST_FAILED",
            "RESET_PASSWORD_ERROR, invalid_email, RESET_REQUEST_FAILED",
            "RESET_PASSWORD_ERROR, expired_code, null",
            "RESET_PASSWORD, null, PASSWORD_RESET",
            "UPDATE_CREDENTIAL, null, CREDENTIAL_UPDATED",
            "UPDATE_PASSWORD, null, CREDENTIAL_UPDATED",
            "LOGIN, null, null",
    })
    @DisplayName("Sign-up and password events are counted as account activity")
    void activity(EventType type, String error, io.keycloaksentinel.core.detect.AccountActivity expected) {
        assertThat(AttackDetectionEventListener.activity(type, error).orElse(null)).isEqualTo(expected);
    }
}
