package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;

@DisplayName("The server options of sentinel-infinispan")
class DetectionServerOptionsTest {

    private static final List<Integer> DEFAULT = List.of(56, 48);

    /** Options as {@code --spi-...} would give them. */
    private static Config.Scope options(Map<String, String> values) {
        return new Config.AbstractScope() {
            @Override
            public String get(String key) {
                return values.get(key);
            }

            @Override
            public Config.Scope scope(String... scope) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Set<String> getPropertyNames() {
                return values.keySet();
            }

            @Override
            public Config.Scope root() {
                return this;
            }
        };
    }

    @Test
    @DisplayName("Nothing set: the defaults")
    void defaults() {
        assertThat(DetectionServerOptions.read(options(Map.of()))).isEqualTo(DetectionServerOptions.DEFAULTS)
                .isEqualTo(new DetectionServerOptions(200_000, 100_000, 250, 1000, 24, 64, 100_000, 90,
                        DetectionServerOptions.defaultBulkheadPermits(), 500, DEFAULT));
    }

    @Test
    @DisplayName("Each option lands in its own field")
    void eachOption() {
        DetectionServerOptions read = DetectionServerOptions.read(options(Map.of("max-subject-entries", "5000",
                "max-pending", "2000", "flush-interval-ms", "100", "evaluate-interval-ms", "500", "ipv4-network-prefix", "16",
                "ipv6-network-prefix", "48", "max-known-entries", "3000", "known-source-days", "30",
                "ipv6-wide-network-prefixes", "40")));

        assertThat(read).isEqualTo(new DetectionServerOptions(5000, 2000, 100, 500, 16, 48, 3000, 30,
                DetectionServerOptions.defaultBulkheadPermits(), 500, List.of(40)));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({"max-subject-entries,999", "max-pending,10000001", "flush-interval-ms,49", "evaluate-interval-ms,60001",
            "ipv4-network-prefix,33", "ipv6-network-prefix,15", "max-known-entries,100000001", "known-source-days,0"})
    @DisplayName("A value out of its bounds stops the server with a message naming the option and the bounds")
    void outOfBounds(String name, String value) {
        assertThatThrownBy(() -> DetectionServerOptions.read(options(Map.of(name, value))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("Sentinel option " + name + "=" + value
                        + " is outside ");
    }

    @Test
    @DisplayName("The metadata lists every option with its type and default, in the README's order")
    void metadata() {
        assertThat(DetectionServerOptions.metadata()).extracting(ProviderConfigProperty::getName, ProviderConfigProperty::getType,
                ProviderConfigProperty::getDefaultValue).containsExactly(
                tuple("max-subject-entries", "long", 200_000L), tuple("max-pending", "int", 100_000),
                tuple("flush-interval-ms", "long", 250L), tuple("evaluate-interval-ms", "long", 1000L),
                tuple("ipv4-network-prefix", "int", 24), tuple("ipv6-network-prefix", "int", 64),
                tuple("max-known-entries", "long", 100_000L), tuple("known-source-days", "int", 90),
                tuple("hash-bulkhead-permits", "int", DetectionServerOptions.defaultBulkheadPermits()),
                tuple("hash-bulkhead-wait-ms", "long", 500L),
                tuple("ipv6-wide-network-prefixes", "string", "56,48"),
                tuple("outbound-allowed-networks", "string", ""));
        assertThat(DetectionServerOptions.metadata()).allSatisfy(p -> assertThat(p.getHelpText()).isNotBlank());
    }

    @Test
    @DisplayName("ipv6-wide-network-prefixes: unset keeps the default; a list is read in order; empty counts no wider network")
    void values() {
        assertThat(DetectionServerOptions.widePrefixes(null, DEFAULT)).isEqualTo(DEFAULT);
        assertThat(DetectionServerOptions.widePrefixes(" 60, 40 ", DEFAULT)).containsExactly(60, 40);
        assertThat(DetectionServerOptions.widePrefixes("", DEFAULT)).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"abc", "56;48", "64", "15", "-48", "56,48,40,32,24", "99999999999"})
    @DisplayName("ipv6-wide-network-prefixes: a value that is not 1 to 4 prefix lengths of 16..63 stops the server with a message naming the option")
    void refused(String value) {
        assertThatThrownBy(() -> DetectionServerOptions.widePrefixes(value, DEFAULT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ipv6-wide-network-prefixes");
    }
}
