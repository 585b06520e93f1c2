package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The server option ipv6-wide-network-prefixes")
class DetectionServerOptionsTest {

    private static final List<Integer> DEFAULT = List.of(56, 48);

    @Test
    @DisplayName("Unset keeps the default; a list is read in order; empty counts no wider network")
    void values() {
        assertThat(DetectionServerOptions.widePrefixes(null, DEFAULT)).isEqualTo(DEFAULT);
        assertThat(DetectionServerOptions.widePrefixes(" 60, 40 ", DEFAULT)).containsExactly(60, 40);
        assertThat(DetectionServerOptions.widePrefixes("", DEFAULT)).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"abc", "56;48", "64", "15", "-48", "56,48,40,32,24", "99999999999"})
    @DisplayName("A value that is not 1 to 4 prefix lengths of 16..63 stops the server with a message naming the option")
    void refused(String value) {
        assertThatThrownBy(() -> DetectionServerOptions.widePrefixes(value, DEFAULT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ipv6-wide-network-prefixes");
    }
}
