package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.Ports;
import io.keycloaksentinel.it.harness.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command given bad input: it must say what is wrong and how to fix it in a
 * line or two, exit non-zero, and start nothing. (The demo it starts, its mails and its attack
 * are played by {@link DemoRealmBrowserIT}.)
 */
@DisplayName("run.sh refuses bad input with a clear message")
class RunCommandIT {

    private static final Path ROOT = Path.of(System.getProperty("it.project.root")).toAbsolutePath().normalize();

    private record Outcome(int exit, String stderr) {
    }

    private static Outcome run(Map<String, String> env, List<String> remove, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", ROOT.resolve("run.sh").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
        remove.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        Path err = Files.createTempFile("run-sh", ".err");
        pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = Processes.register(pb.start());
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            Processes.stop(p, Duration.ofSeconds(5));
            throw new AssertionError("run.sh " + String.join(" ", args) + " did not stop by itself");
        }
        Processes.stop(p, Duration.ofSeconds(1));
        return new Outcome(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("A port in use: names the port and suggests another")
    void portInUse() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = busy.getLocalPort();
            Outcome out = run(Map.of(), List.of(), "--port", String.valueOf(port),
                    "--management-port", String.valueOf(Ports.free()));
            assertThat(out.exit()).isNotZero();
            assertThat(out.stderr()).contains("port " + port + " is already in use")
                    .contains("--port " + (port + 1));
            assertThat(out.stderr().lines().count()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    @DisplayName("The demo mail server's SMTP port in use: names it and suggests another")
    void smtpPortInUse() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = busy.getLocalPort();
            Outcome out = run(Map.of(), List.of(), "--port", String.valueOf(Ports.free()),
                    "--management-port", String.valueOf(Ports.free()), "--smtp-port", String.valueOf(port),
                    "--mail-api-port", String.valueOf(Ports.free()));
            assertThat(out.exit()).isNotZero();
            assertThat(out.stderr()).contains("port " + port + " is already in use")
                    .contains("--smtp-port " + (port + 1));
            assertThat(out.stderr().lines().count()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    @DisplayName("The demo's commands without a running demo say to start it first; attack-demo takes no target but a port")
    void demoCommandsWithoutDemo() throws Exception {
        Outcome attack = run(Map.of(), List.of(), "attack-demo", "--port", String.valueOf(Ports.free()));
        assertThat(attack.exit()).isNotZero();
        assertThat(attack.stderr()).contains("no Keycloak answers on http://127.0.0.1:").contains("./run.sh first");

        Outcome elsewhere = run(Map.of(), List.of(), "attack-demo", "--host", "192.0.2.1");
        assertThat(elsewhere.exit()).isNotZero();
        assertThat(elsewhere.stderr()).contains("unknown option '--host'");

        Outcome mailTwice = run(Map.of(), List.of(), "mail", "a@demo.example", "b@demo.example");
        assertThat(mailTwice.exit()).isNotZero();
        assertThat(mailTwice.stderr()).contains("usage: ./run.sh mail [ADDRESS]");
    }

    @Test
    @DisplayName("A port that is not a number, or an unknown option, is refused before anything runs")
    void badArguments() throws Exception {
        Outcome notANumber = run(Map.of(), List.of(), "--port", "80a");
        assertThat(notANumber.exit()).isNotZero();
        assertThat(notANumber.stderr()).contains("--port '80a' is not a port number");

        Outcome smtp = run(Map.of(), List.of(), "--smtp-port", "0");
        assertThat(smtp.exit()).isNotZero();
        assertThat(smtp.stderr()).contains("--smtp-port '0' is not a port number");

        Outcome same = run(Map.of(), List.of(), "--port", "18080", "--mail-api-port", "18080");
        assertThat(same.exit()).isNotZero();
        assertThat(same.stderr()).contains("must all differ");

        Outcome unknown = run(Map.of(), List.of(), "--frobnicate");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.stderr()).contains("unknown option '--frobnicate'");
    }

    @Test
    @DisplayName("No JDK at all: says so and how to install one")
    void noJdk(@TempDir Path tmp) throws Exception {
        // a PATH with every ordinary command but no java, javac or jar
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String dir : List.of("/usr/bin", "/bin")) {
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (!name.startsWith("java") && !name.startsWith("jar") && !Files.exists(bin.resolve(name))) {
                        Files.createSymbolicLink(bin.resolve(name), f);
                    }
                }
            }
        }
        Outcome out = run(Map.of("PATH", bin.toString()), List.of("JAVA_HOME"), "--port", String.valueOf(Ports.free()));
        assertThat(out.exit()).isNotZero();
        assertThat(out.stderr()).contains("no JDK found").contains("JDK 17 or newer");
    }

    @Test
    @DisplayName("A JDK older than 17: names its version and what is needed")
    void oldJdk(@TempDir Path tmp) throws Exception {
        Path java = Files.createDirectories(tmp.resolve("jdk11/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\necho '    java.specification.version = 11' >&2\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        Outcome out = run(Map.of("JAVA_HOME", tmp.resolve("jdk11").toString()), List.of(),
                "--port", String.valueOf(Ports.free()));
        assertThat(out.exit()).isNotZero();
        assertThat(out.stderr()).contains("is Java 11; Keycloak 26 needs 17 or newer");
    }

    @Test
    @DisplayName("Maven Central out of reach: says the registry cannot be reached, not a stack trace")
    void registryUnreachable(@TempDir Path tmp) throws Exception {
        Path settings = tmp.resolve("settings.xml");
        // every download goes to a loopback port where nothing listens
        Files.writeString(settings, """
                <settings><mirrors><mirror><id>unreachable</id><mirrorOf>*</mirrorOf>
                <url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>
                """);
        Outcome out = run(Map.of("MAVEN_ARGS", "-s " + settings + " -Dmaven.repo.local=" + tmp.resolve("empty-repo")),
                List.of(), "--port", String.valueOf(Ports.free()), "--management-port", String.valueOf(Ports.free()));
        assertThat(out.exit()).isNotZero();
        assertThat(out.stderr()).contains("cannot download from Maven Central").doesNotContain("\tat ");
        assertThat(out.stderr().lines().count()).isLessThanOrEqualTo(2);
    }
}
