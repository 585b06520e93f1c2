package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser.Page;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the one risk decision costs, and whether the password grant's answer tells a right password
 * from a wrong one. Not an {@code *IT}: the default {@code ./mvnw verify} does not run it; run it
 * by hand (figures in docs/BENCHMARKS.md, section "One risk decision"):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=PasswordGuardBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * <p>{@code roundTrips}: one Sentinel node (theme caching on), a realm with Sentinel's ready flows
 * bound ({@code POST .../mfa/flows?bind=true}), {@code -Dbench.guard.logins} (100) whole browser
 * logins (page, form post, code exchange) after 20 warm-up ones; printed per login: the cluster
 * cache round trips Sentinel made on request threads ({@code sentinel_cache_roundtrips_total}),
 * Sentinel's own timers ({@code sentinel_detection_seconds}) and the whole login as the client saw it.
 *
 * <p>{@code grantAnswers}: the same server, a user the MFA policy has made overdue (no factor, no
 * grace), the password grant of the realm's app; {@code -Dbench.guard.grants} (200) pairs of her
 * right password (refused after the hash: no second factor) and a wrong one, order drawn at random
 * per pair, each from its own loopback address. Printed: status and body equality, each side's
 * percentiles and the median of the paired differences with a 95 % bootstrap interval.
 */
class PasswordGuardBenchmark {

    private static final int LOGINS = Integer.getInteger("bench.guard.logins", 100);
    private static final int GRANTS = Integer.getInteger("bench.guard.grants", 200);
    private static final List<String> CACHING = List.of("--spi-theme--cache-themes=true", "--spi-theme--cache-templates=true");

    @Test
    @Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    @DisplayName("Cache round trips and Sentinel's share of one login through the ready browser flow")
    void roundTrips() {
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-guard", CACHING, Map.of())) {
            TestRealm realm = TestRealm.builder("guard-bench").user("olivia", "Ordinary-pass-1").create(node);
            node.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200);
            for (int i = 0; i < 20; i++) {
                assertThat(realm.login("olivia", "Ordinary-pass-1").loggedIn()).isTrue();
            }
            String before = Metrics.scrape(node);
            long started = System.nanoTime();
            for (int i = 0; i < LOGINS; i++) {
                LoginClient.Result r = new LoginClient(node.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID,
                        TestRealm.REDIRECT_URI, "olivia", "Ordinary-pass-1");
                assertThat(r.loggedIn()).isTrue();
            }
            double loginMs = (System.nanoTime() - started) / 1e6 / LOGINS;
            String after = Metrics.scrape(node);
            double reads = delta(before, after, "sentinel_cache_roundtrips_total", "kind=\"read\"") / LOGINS;
            double claims = delta(before, after, "sentinel_cache_roundtrips_total", "kind=\"claim\"") / LOGINS;
            double checkMs = 1000 * delta(before, after, "sentinel_detection_seconds_sum", "operation=\"check\"") / LOGINS;
            double recordMs = 1000 * delta(before, after, "sentinel_detection_seconds_sum", "operation=\"record\"") / LOGINS;
            System.out.printf("[guard] %d logins through the ready browser flow: %.2f cache reads and %.2f claims per login"
                    + " on request threads (writes are buffered and flushed off the request thread)%n", LOGINS, reads, claims);
            System.out.printf("[guard] Sentinel's timers per login: check %.3f ms + record %.3f ms = %.3f ms of a %.1f ms"
                    + " login (%.2f %%)%n", checkMs, recordMs, checkMs + recordMs, loginMs,
                    100 * (checkMs + recordMs) / loginMs);
        }
    }

    @Test
    @Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    @DisplayName("The password grant: a right password refused after the hash answers as a wrong one, in status, body and time")
    void grantAnswers() {
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-guard-grant", CACHING, Map.of())) {
            TestRealm realm = TestRealm.builder("grant-bench").user("gina", "Gina-own-pass-3").create(node);
            String path = "/admin/realms/" + realm.name();
            node.admin().post(path + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200);
            node.admin().put(path + "/sentinel-admin/mfa", Map.of("mode", "enforce", "scopes", List.of("realm;graceDays=0"),
                    "factors", List.of("otp"))).expect(200);
            // many wrong passwords from many addresses must not make an attack or a lockout here: timing only
            node.admin().put(path + "/sentinel-admin/config", Map.of("minFailuresPerMinute", 10_000_000,
                    "attackFailuresPerMinute", 10_000_000, "unknownSourceFailuresPer15m", 0)).expect(200);
            JsonNode client = node.admin().get(path + "/clients?clientId=" + TestRealm.CLIENT_ID).expect(200).json().get(0);
            ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("directAccessGrantsEnabled", true);
            node.admin().put(path + "/clients/" + client.get("id").asText(), client).expect(204);

            Random random = new Random(20261202);
            int source = 0;
            for (int i = 0; i < 30; i++) { // warm-up
                grant(node, realm, address(source++), "Gina-own-pass-3");
                grant(node, realm, address(source++), "wrong-" + i);
            }
            long[] right = new long[GRANTS];
            long[] wrong = new long[GRANTS];
            int sameAnswer = 0;
            for (int i = 0; i < GRANTS; i++) {
                Timed r;
                Timed w;
                if (random.nextBoolean()) {
                    r = grant(node, realm, address(source++), "Gina-own-pass-3");
                    w = grant(node, realm, address(source++), "wrong-" + i);
                } else {
                    w = grant(node, realm, address(source++), "wrong-" + i);
                    r = grant(node, realm, address(source++), "Gina-own-pass-3");
                }
                right[i] = r.nanos();
                wrong[i] = w.nanos();
                if (r.page().status() == w.page().status() && r.page().body().equals(w.page().body())) {
                    sameAnswer++;
                }
            }
            System.out.printf("[grant] %d pairs: %d with the same status and body (right: %d, wrong: %d)%n", GRANTS,
                    sameAnswer, grant(node, realm, address(source++), "Gina-own-pass-3").page().status(),
                    grant(node, realm, address(source++), "wrong").page().status());
            BenchStats.print("grant", "right password, refused (no second factor)", right);
            BenchStats.print("grant", "wrong password", wrong);
            BenchStats.printDifference("grant", new String[] {"wrong password", "right password, refused"}, wrong, right);
        }
    }

    private record Timed(Page page, long nanos) {
    }

    private static Timed grant(KeycloakNode node, TestRealm realm, InetAddress source, String password) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "password");
        fields.put("client_id", TestRealm.CLIENT_ID);
        fields.put("username", "gina");
        fields.put("password", password);
        Browser client = new Browser(source, "bench/1.0");
        long started = System.nanoTime();
        Page page = client.post(node.baseUrl(), "/realms/" + realm.name() + "/protocol/openid-connect/token", fields);
        return new Timed(page, System.nanoTime() - started);
    }

    /** 127.80.{i / 250}.{i % 250 + 1}. */
    private static InetAddress address(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 80, (byte) (i / 250), (byte) (i % 250 + 1)});
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static double delta(String before, String after, String name, String label) {
        return Metrics.value(after, name, label).orElse(0) - Metrics.value(before, name, label).orElse(0);
    }
}
