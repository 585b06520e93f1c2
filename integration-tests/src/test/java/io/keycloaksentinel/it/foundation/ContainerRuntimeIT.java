package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.it.harness.ContainerRuntime;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("-Dit.runtime=container on a host without Docker fails at once with a clear message")
class ContainerRuntimeIT {

    @Test
    @DisplayName("Without a Docker engine the container runtime refuses with a message naming the fix")
    void refusesWithoutDocker() {
        if (ContainerRuntime.dockerAvailable()) {
            // a host with Docker: the check lets the container runtime through
            ContainerRuntime.requireDocker();
            assertThat(ContainerRuntime.dockerAvailable()).isTrue();
            return;
        }
        assertThatThrownBy(ContainerRuntime::requireDocker)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a Docker engine")
                .hasMessageContaining("Drop -Dit.runtime=container");
    }
}
