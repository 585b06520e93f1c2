package io.keycloaksentinel.it.harness;

import dasniko.testcontainers.keycloak.KeycloakContainer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.testcontainers.DockerClientFactory;

/**
 * The same tests on Testcontainers-Keycloak with the official image and the built JAR
 * ({@code -Dit.runtime=container}). Needs a Docker engine: without one it fails at once with a
 * message that says so, instead of a Testcontainers stack trace.
 */
final class ContainerServer implements KeycloakServer {

    static final String IMAGE = "quay.io/keycloak/keycloak";

    private final KeycloakContainer container;
    private final AdminApi admin;

    private ContainerServer(KeycloakContainer container) {
        this.container = container;
        this.admin = new AdminApi(baseUrl(), container.getAdminUsername(), container.getAdminPassword());
    }

    static ContainerServer start() {
        requireDocker();
        @SuppressWarnings("resource") // closed by close()
        KeycloakContainer container = new KeycloakContainer(IMAGE + ":" + Settings.keycloakVersion())
                .withProviderLibsFrom(List.of(Settings.sentinelJar().toFile()))
                .withAdminUsername(Settings.ADMIN_USER)
                .withAdminPassword(Settings.ADMIN_PASSWORD)
                .withEnabledMetrics()
                .withStartupTimeout(Duration.ofMinutes(4));
        container.start();
        return new ContainerServer(container);
    }

    static void requireDocker() {
        if (!dockerAvailable()) {
            throw new IllegalStateException("-Dit.runtime=container needs a Docker engine and none answers on this host"
                    + " (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + "). Drop -Dit.runtime=container to run the"
                    + " same tests on the Keycloak distribution zip, which needs no Docker.");
        }
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public URI baseUrl() {
        return URI.create(container.getAuthServerUrl().replaceAll("/$", ""));
    }

    @Override
    public URI managementUrl() {
        return URI.create(container.getMgmtServerUrl().replaceAll("/$", ""));
    }

    @Override
    public AdminApi admin() {
        return admin;
    }

    @Override
    public String describe() {
        return "container " + container.getDockerImageName() + " at " + baseUrl();
    }

    @Override
    public void close() {
        container.stop();
    }
}
