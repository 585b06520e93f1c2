package io.keycloaksentinel.it.harness;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests the one Keycloak server of the test run (with Sentinel's built JAR installed),
 * started on first use and stopped when every test is done. Test classes get it as a
 * constructor, lifecycle-method or test-method parameter of type {@link KeycloakServer}.
 *
 * <p>{@code -Dit.runtime=distribution} (default): a server from the Keycloak zip.
 * {@code -Dit.runtime=container}: Testcontainers-Keycloak on the official image.
 */
public final class KeycloakExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KeycloakExtension.class);

    /** Closes the shared server when JUnit closes the root context, i.e. after the last test. */
    private record Shared(KeycloakServer server) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            server.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KeycloakServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent("server", key -> new Shared(startServer()), Shared.class)
                .server();
    }

    static KeycloakServer startServer() {
        String runtime = Settings.runtime();
        return switch (runtime) {
            case "distribution" -> KeycloakNode.start("single", java.util.List.of(), java.util.Map.of());
            case "container" -> ContainerServer.start();
            default -> throw new IllegalStateException(
                    "Unknown -Dit.runtime=" + runtime + ": use 'distribution' (default) or 'container'.");
        };
    }
}
