package io.keycloaksentinel.authenticators.breach.index;

import static io.keycloaksentinel.authenticators.breach.index.Corpora.corpus;
import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.breach.cli.SentinelCli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line, run in-process (the dist module runs it with java -jar on the built JAR). */
class SentinelCliTest {

    @TempDir
    Path dir;
    private String out;
    private String err;

    private int run(String stdin, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int code = SentinelCli.run(args, in, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    private Path corpusFile(String... passwords) throws Exception {
        return corpus().passwords(List.of(passwords)).write(dir.resolve("pwned.txt"));
    }

    @Test
    @DisplayName("hibp-index converts a file and prints a summary; hibp-index-info validates it; hibp-index-lookup answers per line")
    void convertInfoLookup() throws Exception {
        Path txt = corpusFile("hunter2", "123456", "Pa55wort!", "ünïcødé");
        Path idx = dir.resolve("pwned.idx");
        assertThat(run("", "hibp-index", txt.toString(), idx.toString())).isZero();
        assertThat(out).contains("wrote " + idx.toAbsolutePath(), "lines read          4", "bytes per hash",
                "false-positive rate", "hashes/s");
        assertThat(run("", "hibp-index-info", idx.toString())).isZero();
        assertThat(out).contains("entries             4", "min count           1", "checksum            OK",
                "valid               yes");
        assertThat(run("hunter2\nnot-breached-at-all\nünïcødé\r\n", "hibp-index-lookup", idx.toString())).isZero();
        assertThat(out.lines()).containsExactly("line 1: LISTED", "line 2: NOT LISTED", "line 3: LISTED");
        assertThat(out + err).doesNotContain("hunter2", "not-breached", "ünïcødé");
    }

    @Test
    @DisplayName("Standard input with --expected-entries and --min-count; the header records the min count")
    void stdinAndMinCount() throws Exception {
        String text = corpus().passwords(List.of("a", "b", "c", "d")).counts(i -> i + 1).text();
        Path idx = dir.resolve("from-stdin.idx");
        assertThat(run(text, "hibp-index", "-", idx.toString(), "--min-count", "3", "--expected-entries=4")).isZero();
        assertThat(out).contains("entries kept        2 (count >= 3; skipped below it: 2");
        assertThat(run("", "hibp-index-info", idx.toString())).isZero();
        assertThat(out).contains("min count           3");
    }

    @Test
    @DisplayName("A bad line: exit 1, the line number and reason, no index written")
    void badInput() throws Exception {
        Path txt = dir.resolve("bad.txt");
        Files.writeString(txt, "00000000A8DAE4228F821FB418F59826079BF368:1\n000000005AD76BD555C1D6D771DE417A4B87E4B4:2\n");
        Path idx = dir.resolve("bad.idx");
        assertThat(run("", "hibp-index", txt.toString(), idx.toString())).isEqualTo(1);
        assertThat(err).contains("line 2: not sorted").contains("no index was written").doesNotContain("5AD76BD5");
        assertThat(idx).doesNotExist();
    }

    @Test
    @DisplayName("A corrupt or missing index: exit 1 with what is wrong")
    void badIndex() throws Exception {
        Path idx = dir.resolve("pwned.idx");
        Files.writeString(idx, "garbage");
        assertThat(run("", "hibp-index-info", idx.toString())).isEqualTo(1);
        assertThat(err).contains("too short to be an index");
        assertThat(out).contains("valid               no");
        assertThat(run("password\n", "hibp-index-lookup", dir.resolve("missing.idx").toString())).isEqualTo(1);
        assertThat(err).contains("missing.idx: no such file");
        assertThat(run("", "hibp-index", dir.resolve("missing.txt").toString(), idx.toString())).isEqualTo(1);
        assertThat(err).contains("missing.txt: no such file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nonsense", "hibp-index", "hibp-index a", "hibp-index a b c", "hibp-index - out.idx",
            "hibp-index a b --min-count", "hibp-index a b --min-count x", "hibp-index a b --min-count 0",
            "hibp-index a b --expected-entries -5", "hibp-index a b --colour", "hibp-index-info",
            "hibp-index-info a b", "hibp-index-lookup"})
    @DisplayName("Usage errors exit 2 with the usage text")
    void usage(String args) {
        String[] argv = args.isEmpty() ? new String[0] : args.split(" ");
        assertThat(run("", argv)).isEqualTo(2);
        assertThat(err).startsWith("error: ").contains("Usage: java -jar keycloak-sentinel.jar");
    }

    @Test
    @DisplayName("--help prints the usage and exits 0")
    void help() {
        assertThat(run("", "--help")).isZero();
        assertThat(out).contains("hibp-index <input.txt|-> <output.idx>", "hibp-index-info", "hibp-index-lookup");
    }
}
