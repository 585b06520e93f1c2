package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The body of POST /incident/contain")
class ContainmentTest {

    @Test
    @DisplayName("By default: sign out and require a new password, keep the password, notify no one, for real")
    void defaults() {
        assertThat(Containment.parse(Map.of("userIds", List.of("a", "b", "a"))))
                .isEqualTo(new Containment(List.of("a", "b"), true, true, false, false, false));
    }

    @Test
    @DisplayName("Every action can be chosen, and a dry run asked")
    void chosen() {
        assertThat(Containment.parse(Map.of("userIds", List.of("a"), "signOut", false, "requirePasswordReset", false,
                "disablePassword", true, "notify", true, "dryRun", true)))
                .isEqualTo(new Containment(List.of("a"), false, false, true, true, true));
    }

    static List<Arguments> bad() {
        Map<String, Object> nullIds = new LinkedHashMap<>();
        nullIds.put("userIds", Collections.singletonList(null));
        return List.of(
                Arguments.of(null, "the body must be a JSON object with userIds and the actions to take"),
                Arguments.of(Map.of(), "the body must be a JSON object with userIds and the actions to take"),
                Arguments.of(Map.of("userIds", List.of("a"), "logout", true), "unknown field 'logout'; known: "
                        + "[userIds, signOut, requirePasswordReset, disablePassword, notify, dryRun]"),
                Arguments.of(Map.of("x".repeat(50), 1), "unknown field '" + "x".repeat(40) + "...'"),
                Arguments.of(Map.of("userIds", List.of()), "userIds must be a non-empty list of user ids"),
                Arguments.of(Map.of("userIds", "a"), "userIds must be a non-empty list of user ids"),
                Arguments.of(Map.of("userIds", IntStream.range(0, 1001).mapToObj(Integer::toString).toList()),
                        "userIds may hold at most 1000 ids; split the list"),
                Arguments.of(nullIds, "userIds must hold user ids (strings of at most 64 characters)"),
                Arguments.of(Map.of("userIds", List.of(" ")), "userIds must hold user ids (strings of at most 64 characters)"),
                Arguments.of(Map.of("userIds", List.of("u".repeat(65))),
                        "userIds must hold user ids (strings of at most 64 characters)"),
                Arguments.of(Map.of("userIds", List.of("a"), "dryRun", "yes"), "dryRun must be true or false"),
                Arguments.of(Map.of("userIds", List.of("a"), "signOut", false, "requirePasswordReset", false),
                        "no action: set signOut, requirePasswordReset or disablePassword"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("bad")
    @DisplayName("A bad body is refused with the message the 400 answers")
    void refused(Map<String, Object> body, String message) {
        assertThatThrownBy(() -> Containment.parse(body)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
