package io.keycloaksentinel.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SentinelVersionTest {

    @Test
    @DisplayName("The build stamps the project and Keycloak versions into the JAR")
    void buildStampsVersions() {
        SentinelVersion v = SentinelVersion.current();
        assertThat(v.version()).isNotBlank().doesNotContain("${").isNotEqualTo("unknown");
        assertThat(v.keycloakVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(v.operationalInfo()).containsKeys("sentinel-version", "built-for-keycloak");
    }

    @Test
    @DisplayName("A missing or partial version resource reads as 'unknown' instead of failing")
    void missingResourceIsUnknown() {
        assertThat(SentinelVersion.load(null).version()).isEqualTo("unknown");
        SentinelVersion partial = SentinelVersion.load(
                new ByteArrayInputStream("version=1.2.3\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(partial.version()).isEqualTo("1.2.3");
        assertThat(partial.keycloakVersion()).isEqualTo("unknown");
    }
}
