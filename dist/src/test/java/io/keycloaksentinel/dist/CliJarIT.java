package io.keycloaksentinel.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The assembled JAR's command line, run as an admin would: {@code java -jar} on a bare JVM, no Keycloak classes. */
class CliJarIT {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result java(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-jar", System.getProperty("sentinel.jar")));
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Path in = dir.resolve("stdin.txt");
        Files.writeString(in, stdin);
        Process process = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("finished within a minute").isTrue();
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Path corpus(String... passwords) throws Exception {
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        List<String> hashes = new ArrayList<>();
        for (String password : passwords) {
            hashes.add(HexFormat.of().withUpperCase().formatHex(sha1.digest(password.getBytes(StandardCharsets.UTF_8))));
        }
        hashes.sort(null);
        StringBuilder text = new StringBuilder();
        for (String hash : hashes) {
            text.append(hash).append(':').append(hash.length()).append("\r\n");
        }
        return Files.writeString(dir.resolve("pwned.txt"), text);
    }

    @Test
    @DisplayName("java -jar converts a small Pwned Passwords file, validates the index and looks passwords up")
    void convertInfoLookup() throws Exception {
        Path txt = corpus("hunter2", "123456", "qwerty", "Pa55wort!");
        Path idx = dir.resolve("pwned.idx");
        Result convert = java("", "hibp-index", txt.toString(), idx.toString());
        assertThat(convert.exit()).as(convert.err()).isZero();
        assertThat(convert.out()).contains("wrote " + idx, "lines read          4", "bytes per hash", "hashes/s");
        Result info = java("", "hibp-index-info", idx.toString());
        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(info.out()).contains("entries             4", "checksum            OK", "valid               yes");
        Result lookup = java("hunter2\ncorrect horse battery staple\n", "hibp-index-lookup", idx.toString());
        assertThat(lookup.exit()).as(lookup.err()).isZero();
        assertThat(lookup.out().lines()).containsExactly("line 1: LISTED", "line 2: NOT LISTED");
        assertThat(lookup.out() + lookup.err()).doesNotContain("hunter2", "horse");
    }

    @Test
    @DisplayName("java -jar exits 1 on a corrupt index or a bad line (with its number), 2 on a usage error")
    void exitCodes() throws Exception {
        Path txt = corpus("a", "b", "c");
        List<String> lines = new ArrayList<>(Files.readAllLines(txt));
        java.util.Collections.reverse(lines);
        Files.write(txt, lines);
        Result unsorted = java("", "hibp-index", txt.toString(), dir.resolve("x.idx").toString());
        assertThat(unsorted.exit()).isEqualTo(1);
        assertThat(unsorted.err()).contains("line 2: not sorted");
        Path idx = dir.resolve("corrupt.idx");
        Files.write(idx, Arrays.copyOf("KSHIBPIX".getBytes(StandardCharsets.US_ASCII), 200));
        Result corrupt = java("", "hibp-index-info", idx.toString());
        assertThat(corrupt.exit()).isEqualTo(1);
        assertThat(corrupt.err()).contains("corrupt.idx: ");
        Result usage = java("", "no-such-command");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Usage: java -jar keycloak-sentinel.jar");
    }
}
