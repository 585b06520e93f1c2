package io.keycloaksentinel.it.harness;

import java.net.URI;

/** A running Keycloak with Sentinel installed (or, from {@link BuiltDistribution#plain()}, without), whatever started it. */
public interface KeycloakServer extends AutoCloseable {

    /** Base URL of the HTTP listener, e.g. {@code http://127.0.0.1:41234}; no trailing slash. */
    URI baseUrl();

    /** Base URL of the management interface (health, metrics). */
    URI managementUrl();

    /** The master realm admin, logged in on first use. */
    AdminApi admin();

    /** A short description for failure messages (node name, ports, log file). */
    String describe();

    @Override
    void close();
}
