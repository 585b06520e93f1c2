package io.keycloaksentinel.core.risk;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("One spelling of a typed username")
class UsernamesTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"alice", " alice", "alice ", "ALICE", "\u0001alice", "alice\u0000", "\talice\n", "\u2003Alice\u2003",
            "\u001falice\u0000"})
    @DisplayName("Every spelling Keycloak signs in as alice counts as alice")
    void spellings(String typed) {
        assertThat(Usernames.canonical(typed)).isEqualTo("alice");
        assertThat(Usernames.hasControlCharacters(typed)).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"al\u0001ice", "a\nlice", "ali\u0000ce", "alice\u2028x", "alice\u007f"})
    @DisplayName("A control character inside a name is refused (no real name has one)")
    void controlInside(String typed) {
        assertThat(Usernames.hasControlCharacters(typed)).isTrue();
    }

    @Test
    @DisplayName("Nothing typed is no subject")
    void empty() {
        assertThat(Usernames.canonical(null)).isNull();
        assertThat(Usernames.canonical(" \u0001 ")).isNull();
    }
}
