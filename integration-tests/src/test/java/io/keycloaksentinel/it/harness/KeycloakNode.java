package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One Keycloak server process started from a private copy of the built distribution with
 * {@code kc.sh start --optimized}: production mode, so it starts in seconds and behaves like an
 * admin's server. Ready when the management port answers {@code /health/ready} with 200.
 */
public final class KeycloakNode implements KeycloakServer {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    private final String name;
    private final Path home;
    private final int httpPort;
    private final int managementPort;
    private final Path log;
    private final Process process;
    private AdminApi admin;

    private KeycloakNode(String name, Path home, int httpPort, int managementPort, Path log, Process process) {
        this.name = name;
        this.home = home;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts a node with Sentinel installed. {@code extraOptions} are appended to the common ones
     * (database, cache transport, hostname) and may override them.
     */
    public static KeycloakNode start(String name, List<String> extraOptions, Map<String, String> env) {
        return start(BuiltDistribution.get(), name, extraOptions, env);
    }

    /**
     * Starts a node from the given build, e.g. {@link BuiltDistribution#plain()} for a Keycloak
     * without Sentinel; otherwise as {@link #start(String, List, Map)}.
     */
    public static KeycloakNode start(BuiltDistribution distribution, String name, List<String> extraOptions,
                                     Map<String, String> env) {
        for (int attempt = 1; ; attempt++) {
            try {
                return start(distribution, name, Ports.free(), extraOptions, env);
            } catch (PortTakenException e) {
                if (attempt == 3) {
                    throw e;
                }
                // another process took a port between the check and the bind: new ports, once more
            }
        }
    }

    /** A node could not bind one of its ports. */
    static final class PortTakenException extends IllegalStateException {
        PortTakenException(String message) {
            super(message);
        }
    }

    private static KeycloakNode start(BuiltDistribution distribution, String name, int http, List<String> extraOptions,
                                      Map<String, String> env) {
        Path home = distribution.copyForNode(name);
        int management = Ports.free();
        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/kc.sh").toString(), "start", "--optimized",
                "--http-enabled=true",
                "--http-host=127.0.0.1",
                "--http-port=" + http,
                "--http-management-port=" + management,
                "--hostname-strict=false",
                "--cache-embedded-network-bind-address=127.0.0.1",
                "--cache-embedded-network-bind-port=" + Ports.free(),
                "--spi-cache-embedded--default--node-name=" + name,

                "--log-console-color=false"));
        if (distribution.hasSentinel()) {
            // the tests' fake vendors, HIBP and webhook receivers listen on 127.0.0.1: Sentinel's outbound calls may
            // reach that one address (and no other non-public one, which the tests of that rule rely on)
            command.add("--spi-sentinel-attack-detection--sentinel-infinispan--outbound-allowed-networks=127.0.0.1/32");
        }
        command.addAll(extraOptions);
        Path log = home.resolve("keycloak.log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = pb.environment();
        environment.put("JAVA_HOME", Settings.javaHome().toString());
        environment.put("PATH", Settings.javaHome().resolve("bin") + ":" + System.getenv("PATH"));
        environment.put("KC_BOOTSTRAP_ADMIN_USERNAME", Settings.ADMIN_USER);
        environment.put("KC_BOOTSTRAP_ADMIN_PASSWORD", Settings.ADMIN_PASSWORD);
        // bounded heap: a test machine runs up to three servers next to the build
        environment.put("JAVA_OPTS_KC_HEAP", "-Xms128m -Xmx768m");
        environment.putAll(env);
        Process process;
        try {
            process = Processes.register(pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + command, e);
        }
        KeycloakNode node = new KeycloakNode(name, home, http, management, log, process);
        node.awaitReady();
        return node;
    }

    private void awaitReady() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create(managementUrl() + "/health/ready");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String tail = LogTail.of(log, 60);
                String message = "Keycloak node " + name + " exited with code " + process.exitValue()
                        + " while starting; log " + log + ":\n" + tail;
                if (tail.contains("Address already in use")) {
                    throw new PortTakenException(message);
                }
                throw new IllegalStateException(message);
            }
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("Interrupted while starting " + name, e);
            }
            Poll.pause(Duration.ofMillis(500));
        }
        close();
        throw new IllegalStateException("Keycloak node " + name + " not ready after " + START_TIMEOUT + "; log "
                + log + ":\n" + LogTail.of(log, 60));
    }

    public String name() {
        return name;
    }

    public Path home() {
        return home;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    @Override
    public URI managementUrl() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    @Override
    public synchronized AdminApi admin() {
        if (admin == null) {
            admin = new AdminApi(baseUrl(), Settings.ADMIN_USER, Settings.ADMIN_PASSWORD);
        }
        return admin;
    }

    @Override
    public String describe() {
        return "node " + name + " at " + baseUrl() + " (pid " + process.pid() + ", log " + log + ")";
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(30));
    }

    /** Kills the node with SIGKILL: no graceful leave, no last flush, as in a crash. */
    public void crash() {
        Processes.kill(process);
    }
}
