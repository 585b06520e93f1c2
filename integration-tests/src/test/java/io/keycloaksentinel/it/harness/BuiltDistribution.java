package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Keycloak server distribution with the built Sentinel JAR in {@code providers/} and
 * {@code kc.sh build} run once. Every node the tests start is a copy of it ({@code cp -a},
 * which keeps the timestamps Keycloak compares to detect a changed provider), so no node
 * re-augments and nodes never share a data directory.
 *
 * <p>{@link #plain()} is the same server built with the same options but without Sentinel, in
 * its own directory, for side-by-side comparisons (the login latency benchmark).
 *
 * <p>A build is reused by later runs while the JAR, the Keycloak version and the build
 * options are unchanged (a stamp file holds their digest).
 */
public final class BuiltDistribution {

    /**
     * Build-time options shared by every node: H2 file database by default (a node of the cluster
     * points it at a shared H2 TCP server), the Infinispan cache stack (a lone node is a
     * one-member cluster), health and metrics on the management port.
     */
    static final List<String> BUILD_OPTIONS = List.of(
            "--db=dev-file", "--cache=ispn", "--health-enabled=true", "--metrics-enabled=true",
            // Sentinel's admin console tabs (an experimental Keycloak feature; everything else works without it)
            "--features=declarative-ui");

    private static BuiltDistribution withSentinel;
    private static BuiltDistribution plain;
    private static BuiltDistribution withoutConsoleTabs;

    private final Path home;
    private final boolean sentinel;

    private BuiltDistribution(Path home, boolean sentinel) {
        this.home = home;
        this.sentinel = sentinel;
    }

    /** Whether Sentinel is installed in this build (false for {@link #plain()}). */
    public boolean hasSentinel() {
        return sentinel;
    }

    /** The server with the built Sentinel JAR installed: what every integration test runs. */
    public static synchronized BuiltDistribution get() {
        if (withSentinel == null) {
            withSentinel = prepare("keycloak-built", Settings.sentinelJar());
        }
        return withSentinel;
    }

    /** The same server, same build options, without Sentinel (plain Keycloak). */
    public static synchronized BuiltDistribution plain() {
        if (plain == null) {
            plain = prepare("keycloak-built-plain", null);
        }
        return plain;
    }

    /**
     * The server with Sentinel, built without the experimental feature {@code declarative-ui}: what a
     * production server that does not turn it on runs (no admin console tabs; everything else the same).
     */
    public static synchronized BuiltDistribution withoutDeclarativeUi() {
        if (withoutConsoleTabs == null) {
            withoutConsoleTabs = prepare("keycloak-built-no-declarative-ui", Settings.sentinelJar(),
                    BUILD_OPTIONS.stream().filter(o -> !o.startsWith("--features=")).toList());
        }
        return withoutConsoleTabs;
    }

    public Path home() {
        return home;
    }

    /** A private copy of the built server for one node, with an empty data directory. */
    public Path copyForNode(String name) {
        Path nodes = Settings.workDir().resolve("nodes");
        Path target = nodes.resolve(name);
        try {
            Files.createDirectories(nodes);
            deleteTree(target);
            run(List.of("cp", "-a", home.toString(), target.toString()), nodes, Duration.ofMinutes(2),
                    nodes.resolve(name + "-copy.log"));
            deleteTree(target.resolve("data"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** Copies the distribution to {@code work/<dirName>}, adds {@code jar} unless null, and builds it. */
    private static BuiltDistribution prepare(String dirName, Path jar) {
        return prepare(dirName, jar, BUILD_OPTIONS);
    }

    private static BuiltDistribution prepare(String dirName, Path jar, List<String> options) {
        Path source = Settings.distribution();
        Path work = Settings.workDir();
        Path built = work.resolve(dirName);
        Path stampFile = built.resolve(".sentinel-build-stamp");
        String stamp = digest(jar, Settings.keycloakVersion() + " " + String.join(" ", options));
        try {
            Files.createDirectories(work);
            if (Files.isRegularFile(stampFile)
                    && Files.readString(stampFile, StandardCharsets.UTF_8).equals(stamp)) {
                return new BuiltDistribution(built, jar != null);
            }
            deleteTree(built);
            run(List.of("cp", "-a", source.toString(), built.toString()), work, Duration.ofMinutes(2),
                    work.resolve(dirName + "-copy.log"));
            if (jar != null) {
                Files.copy(jar, built.resolve("providers").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            List<String> build = new ArrayList<>(List.of(built.resolve("bin/kc.sh").toString(), "build"));
            build.addAll(options);
            run(build, built, Duration.ofMinutes(5), work.resolve(dirName + "-kc-build.log"));
            deleteTree(built.resolve("data"));
            Files.writeString(stampFile, stamp, StandardCharsets.UTF_8);
            return new BuiltDistribution(built, jar != null);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Keycloak in " + built, e);
        }
    }

    private static void run(List<String> command, Path dir, Duration timeout, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", Settings.javaHome().toString());
        pb.environment().put("PATH", Settings.javaHome().resolve("bin") + ":" + System.getenv("PATH"));
        Process p = Processes.register(pb.start());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Processes.stop(p, Duration.ofSeconds(5));
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeout
                        + "; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Processes.stop(p, Duration.ofSeconds(5));
            throw new IllegalStateException("Interrupted: " + String.join(" ", command), e);
        } finally {
            Processes.stop(p, Duration.ofSeconds(1));
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue()
                    + ":\n" + LogTail.of(log, 40));
        }
    }

    /** The stamp of a build: the JAR's bytes (none for the plain server) and {@code extra}. */
    private static String digest(Path jar, String extra) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(jar == null ? "no provider JAR\n".getBytes(StandardCharsets.UTF_8) : Files.readAllBytes(jar));
            sha.update(extra.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
