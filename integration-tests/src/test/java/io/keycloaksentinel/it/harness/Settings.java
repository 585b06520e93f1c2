package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the build hands the integration tests (failsafe system properties), checked once. */
public final class Settings {

    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD = "admin";

    private Settings() {
    }

    public static String keycloakVersion() {
        return required("keycloak.version");
    }

    public static String runtime() {
        return System.getProperty("it.runtime", "distribution").trim();
    }

    public static Path distribution() {
        Path dir = Path.of(required("it.keycloak.dist"));
        if (!Files.isExecutable(dir.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("No Keycloak distribution at " + dir
                    + ": run the tests with `./mvnw verify` so the server zip is unpacked first.");
        }
        return dir;
    }

    public static Path workDir() {
        return Path.of(required("it.work.dir"));
    }

    public static Path demoRealm() {
        return Path.of(required("it.demo.realm"));
    }

    /** The JDK that runs the servers: -Dit.java.home, else the JDK running the tests. */
    public static Path javaHome() {
        String configured = System.getProperty("it.java.home", "").trim();
        Path home = Path.of(configured.isEmpty() ? System.getProperty("java.home") : configured);
        if (!Files.isExecutable(home.resolve("bin/java"))) {
            throw new IllegalStateException("it.java.home=" + home + " holds no bin/java");
        }
        return home;
    }

    /**
     * The drop-in JAR exactly as {@code package} built it. Under {@code mvn test} the reactor
     * hands over a classes directory instead, which would deploy nothing: refuse that loudly.
     */
    public static Path sentinelJar() {
        Path dir = Path.of(required("it.sentinel.jar.dir"));
        List<Path> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = files.filter(p -> p.getFileName().toString().matches("keycloak-sentinel-.*\\.jar")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("The built JAR is not in " + dir
                    + ": integration tests run under `./mvnw verify`, after `package`.", e);
        }
        if (jars.size() != 1) {
            throw new IllegalStateException("Expected exactly one keycloak-sentinel-*.jar in " + dir + ", found " + jars
                    + ": run `./mvnw clean verify`.");
        }
        return jars.get(0);
    }

    private static String required(String key) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + key
                    + " is not set: integration tests run through failsafe (`./mvnw verify`).");
        }
        return value;
    }
}
