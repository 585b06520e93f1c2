package io.keycloaksentinel.it.breach;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.breach.index.HibpIndexConverter;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.FakePwnedPasswords;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.Settings;
import io.keycloaksentinel.it.harness.TestRealm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The offline HIBP index in a real server: a node of its own started with
 * {@code --spi-password-policy--sentinel-breached-password--index-file} pointing at a file that
 * does not exist yet and {@code index-check-seconds=1}. The index files are built the way an
 * admin builds them (a sorted {@code SHA1HEX:COUNT} text file through the converter shipped in
 * the drop-in JAR) and put in place with an atomic rename, as docs/breached-passwords.md tells
 * admins to.
 *
 * <p>The tests run in order on the one node: first with no index file at all, then with a first
 * index, a second one (hot reload), and a corrupt third one.
 */
@DisplayName("The offline HIBP index behind the breached-password policy: missing, loaded, hot-reloaded, corrupt")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BreachedIndexIT {

    /** In the first index and every later one; not on the bundled list. */
    private static final String FIRST = "Indexed-Only-Password-1";
    /** In the second index (and the corrupt third one). */
    private static final String SECOND = "Indexed-Only-Password-2";
    /** Only in the corrupt third index (and its valid twin at the very end). */
    private static final String THIRD = "Indexed-Only-Password-3";
    /** In no index. */
    private static final String STRONG = "Kv7#tundra-marble-91";
    private static final List<String> SECRETS = List.of(FIRST, SECOND, THIRD, STRONG);

    private static final String BREACHED = "This password has appeared in a data breach";
    private static final String UNCHECKED = "could not be checked";
    private static final int FILLER_LINES = 5_000;
    private static final Duration RELOAD_WAIT = Duration.ofSeconds(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static Path dir;
    private static Path indexFile;
    private static KeycloakNode node;
    private static TestRealm realm;
    private static String realmPath;
    private static String userPath;

    @BeforeAll
    static void startNode() throws IOException {
        dir = Settings.workDir().resolve("breached-index");
        deleteTree(dir);
        Files.createDirectories(dir.resolve("staging"));
        indexFile = dir.resolve("hibp.idx"); // not written yet: the server starts without an index
        node = KeycloakNode.start("breach-index", List.of(
                "--spi-password-policy--sentinel-breached-password--index-file=" + indexFile,
                "--spi-password-policy--sentinel-breached-password--index-check-seconds=1"), Map.of());
        realm = TestRealm.builder("breach-index").user("ivy", "Ivy-first-pass-7").create(node);
        realmPath = "/admin/realms/" + realm.name();
        userPath = realmPath + "/users/" + node.admin().userId(realm.name(), "ivy");
        node.admin().put(realmPath, Map.of("passwordPolicy", "sentinel-breached-password(1)")).expect(204);
        settings(Map.of("sources", List.of("index")));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static void settings(Map<String, Object> update) {
        node.admin().put(realmPath + "/sentinel-admin/breached-passwords", update).expect(200);
    }

    private static AdminApi.Response adminSet(String password) {
        AdminApi.Response r = node.admin().put(userPath + "/reset-password",
                Map.of("type", "password", "value", password, "temporary", false));
        assertThat(r.status()).as("admin set: %s", r).isIn(204, 400);
        assertThat(r.body()).as("the answer never echoes the password")
                .doesNotContain(password).doesNotContainIgnoringCase(FakePwnedPasswords.sha1Hex(password));
        return r;
    }

    private static void assertRefusedAsBreached(String password) {
        AdminApi.Response r = adminSet(password);
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        assertThat(r.body()).contains(BREACHED);
    }

    private static void assertAccepted(String password) {
        assertThat(adminSet(password).status()).isEqualTo(204);
    }

    /** Polls (each poll a lookup, which is what makes the server look at the file) until the password is refused. */
    private static AdminApi.Response awaitRefused(String password, String what) {
        return Poll.until(what, RELOAD_WAIT, () -> {
            AdminApi.Response r = adminSet(password);
            return r.status() == 400 && r.body().contains(BREACHED) ? r : null;
        });
    }

    private static double indexRefusals() {
        return Metrics.value(Metrics.scrape(node), "sentinel_breached_password_total", "realm=\"" + realm.name() + "\"",
                "check=\"policy\"", "outcome=\"breached\"", "source=\"index\"").orElse(0);
    }

    @Test
    @Order(1)
    @DisplayName("No index file at all: with sources [index], fail closed refuses with \"could not be checked\", fail open (default) accepts; never a 500")
    void missingIndex() {
        assertThat(Files.exists(indexFile)).isFalse();
        settings(Map.of("failOpen", false));
        AdminApi.Response closed = adminSet(FIRST);
        assertThat(closed.status()).as("%s", closed).isEqualTo(400);
        assertThat(closed.body()).contains(UNCHECKED).doesNotContain(BREACHED);

        // null restores the default (a raw body: the harness's JSON mapper leaves nulls out)
        node.admin().put(realmPath + "/sentinel-admin/breached-passwords", "{\"failOpen\": null}").expect(200);
        assertThat(node.admin().get(realmPath + "/sentinel-admin/breached-passwords").expect(200).json()
                .get("failOpen").asBoolean()).isTrue();
        assertAccepted(FIRST);
        assertThat(Metrics.value(Metrics.scrape(node), "sentinel_breached_password_total",
                "realm=\"" + realm.name() + "\"", "check=\"policy\"", "outcome=\"unknown\"").orElse(0))
                .as("both answers counted as unknown").isGreaterThanOrEqualTo(2);
    }

    @Test
    @Order(2)
    @DisplayName("A password listed only in the offline index is refused with the breach message (sources [index]); one not in it is accepted; metric source=\"index\"")
    void listedOnlyInTheIndex() throws IOException {
        install(build("first", FIRST));
        AdminApi.Response refused = awaitRefused(FIRST, "the first index loaded (its password refused)");
        assertThat(refused.body()).contains(BREACHED);

        double before = indexRefusals();
        assertRefusedAsBreached(FIRST);
        assertThat(indexRefusals()).as("one more refusal counted with source=index").isEqualTo(before + 1);
        assertAccepted(STRONG);

        // the bundled list alone does not know it: only the index refused it
        settings(Map.of("sources", List.of("bundled")));
        assertAccepted(FIRST);
        settings(Map.of("sources", List.of("index")));
        assertRefusedAsBreached(FIRST);
    }

    @Test
    @Order(3)
    @DisplayName("Hot reload: a second index renamed over the file is used within the check interval, without a restart")
    void hotReload() throws IOException {
        assertAccepted(SECOND); // not in the first index
        install(build("second", FIRST, SECOND));
        awaitRefused(SECOND, "the second index loaded (its new password refused)");
        assertRefusedAsBreached(FIRST);
        assertAccepted(STRONG);
    }

    @Test
    @Order(4)
    @DisplayName("A corrupt replacement (one byte flipped) is not used: the old index keeps answering, no 500; a valid one after it is loaded")
    void corruptReplacement() throws IOException {
        Path valid = build("third", FIRST, SECOND, THIRD);
        byte[] bytes = Files.readAllBytes(valid);
        bytes[bytes.length / 2] ^= 0x5A; // in the body, past the 64-byte header
        Path corrupt = dir.resolve("staging/corrupt.idx");
        Files.write(corrupt, bytes);
        install(corrupt);

        // every poll is a lookup, which makes the server look at the file; the new password must
        // stay accepted throughout, i.e. the corrupt index is never served
        Poll.until("the server rejecting the corrupt index (its log)", RELOAD_WAIT, () -> {
            assertThat(adminSet(THIRD).status()).as("the corrupt index's own password").isEqualTo(204);
            return log().contains("Breached-password index not reloaded") ? Boolean.TRUE : null;
        });
        assertThat(log()).contains("the file is corrupt");
        assertRefusedAsBreached(SECOND);
        assertRefusedAsBreached(FIRST);
        assertAccepted(THIRD);

        install(valid); // the same index, intact
        awaitRefused(THIRD, "the valid index after the corrupt one loaded");
        assertRefusedAsBreached(SECOND);
    }

    @Test
    @Order(5)
    @DisplayName("The server's log names no test password and no full SHA-1 of one")
    void logHoldsNoPassword() {
        String log = log();
        assertThat(log).contains("Breached-password index").contains("loaded");
        for (String secret : SECRETS) {
            String sha1 = FakePwnedPasswords.sha1Hex(secret);
            assertThat(log).doesNotContain(secret).doesNotContainIgnoringCase(sha1)
                    .doesNotContainIgnoringCase(sha1.substring(5));
        }
    }

    // ---- building and installing index files as an admin does ----

    /**
     * Writes a sorted, uppercase {@code SHA1HEX:COUNT} text file with the passwords' hashes and
     * random filler, and converts it with the JAR's converter into {@code staging/<name>.idx}.
     */
    private static Path build(String name, String... passwords) throws IOException {
        TreeMap<String, Long> corpus = new TreeMap<>(); // uppercase hex: string order is byte order
        HexFormat hex = HexFormat.of().withUpperCase();
        while (corpus.size() < FILLER_LINES) {
            byte[] sha1 = new byte[20];
            RANDOM.nextBytes(sha1);
            corpus.put(hex.formatHex(sha1), 1L + RANDOM.nextInt(1000));
        }
        for (String password : passwords) {
            corpus.put(FakePwnedPasswords.sha1Hex(password), 42L);
        }
        List<String> lines = new ArrayList<>(corpus.size());
        corpus.forEach((sha1, count) -> lines.add(sha1 + ":" + count));
        Path text = dir.resolve("staging/" + name + ".txt");
        Files.write(text, lines, StandardCharsets.US_ASCII);
        Path index = dir.resolve("staging/" + name + ".idx");
        try (InputStream in = Files.newInputStream(text)) {
            HibpIndexConverter.Summary summary = HibpIndexConverter.convert(in, index, 1, corpus.size(),
                    HibpIndexConverter.Progress.NONE);
            assertThat(summary.lines()).isEqualTo(corpus.size());
        } catch (io.keycloaksentinel.authenticators.breach.index.CorpusFormatException e) {
            throw new AssertionError(e);
        }
        return index;
    }

    /** Copies the file next to the configured path and renames it over that path (atomic). */
    private static void install(Path index) throws IOException {
        Path next = dir.resolve("hibp.idx.new");
        Files.copy(index, next, StandardCopyOption.REPLACE_EXISTING);
        Files.move(next, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String log() {
        try {
            return new String(Files.readAllBytes(node.log()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
