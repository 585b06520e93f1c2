package io.keycloaksentinel.authenticators.guard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The password guard knows the token endpoint (no page: the password grant's rule)")
class PasswordGuardTest {

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({
            "/realms/demo/protocol/openid-connect/token, true",
            "/realms/demo/protocol/openid-connect/token/, true",
            "/realms/demo/protocol/openid-connect/token//, true",
            "/realms/demo/protocol/openid-connect/token;jsessionid=x, true",
            "/realms/demo/protocol/openid-connect/token/;a=b, true",
            "/realms/demo/login-actions/authenticate, false",
            "/realms/demo/protocol/openid-connect/auth, false",
            "/realms/demo/protocol/openid-connect/token/introspect, false",
            "token, false",
            "/, false",
            "'', false",
    })
    void tokenPaths(String path, boolean token) {
        assertThat(PasswordGuard.isTokenPath(path)).isEqualTo(token);
        assertThat(PasswordGuard.isTokenPath(null)).isFalse();
    }
}
