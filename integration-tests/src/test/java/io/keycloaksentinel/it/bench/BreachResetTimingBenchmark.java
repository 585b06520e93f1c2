package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18, item 4: with the breached-password action {@code email-reset}, a right (breached)
 * password is refused exactly as a wrong one, and its owner is mailed a new-password link. The
 * mail now goes through the mail queue after the answer; this measures that the two answers take
 * the same time. One Sentinel server (theme caching on), Sentinel's login form, SMTP to a real
 * GreenMail server; {@code -Dbench.pairs} (150) accounts, each asked once with a wrong password and
 * once with its breached one (the order drawn per pair), one after the other, after 50 warm-up
 * pairs on accounts of their own. Not an {@code *IT}; run by hand (figures in docs/BENCHMARKS.md):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=BreachResetTimingBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 */
class BreachResetTimingBenchmark {

    private static final int PAIRS = Integer.getInteger("bench.pairs", 150);
    private static final int WARMUP = 50;
    private static final String BREACHED = "password123"; // on the list inside the JAR
    private static final Map<String, Object> QUIET = Map.of("ipFailuresPerDay", 1_000_000, "networkFailuresPer15m", 1_000_000,
            "networkUsernamesPer15m", 1_000_000, "unknownSourceFailuresPer15m", 1_000_000, "ipAccountRequestsPer15m", 1_000_000,
            "attackFailuresPerMinute", 1_000_000, "minFailuresPerMinute", 1_000_000, "burstFailures", 0,
            "sprayAccountsPerHour", 0, "newNetworkAccountsPerHour", 0);

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    @DisplayName("email-reset: a right breached password and a wrong one answer in the same time")
    void rightAndWrongAlike() throws Exception {
        try (MailServer mail = new MailServer();
             KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-breach-reset",
                     List.of("--spi-theme--cache-themes=true", "--spi-theme--cache-templates=true"), Map.of())) {
            TestRealm.Builder builder = TestRealm.builder("breach-reset");
            for (int i = 0; i < WARMUP + PAIRS; i++) {
                builder.user("u" + i, BREACHED);
            }
            TestRealm realm = builder.customize(r -> {
                r.setSmtpServer(mail.realmSmtp());
                r.setBruteForceProtected(false);
            }).create(node);
            SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
            SentinelFlows.captchaMode(node.admin(), realm.name(), "never");
            node.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config", QUIET).expect(200);
            node.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/breached-passwords",
                    Map.of("loginAction", "email-reset")).expect(200);

            Random order = new Random(2026_12_02L);
            long[] right = new long[PAIRS];
            long[] wrong = new long[PAIRS];
            for (int i = 0; i < WARMUP + PAIRS; i++) {
                String user = "u" + i;
                boolean rightFirst = order.nextBoolean();
                long a = timed(node, realm, user, rightFirst ? BREACHED : "Wrong-pass-" + i);
                long b = timed(node, realm, user, rightFirst ? "Wrong-pass-" + i : BREACHED);
                if (i >= WARMUP) {
                    right[i - WARMUP] = rightFirst ? a : b;
                    wrong[i - WARMUP] = rightFirst ? b : a;
                }
            }
            BenchStats.print("breach-reset", "wrong password", wrong);
            BenchStats.print("breach-reset", "right breached password (refused as wrong, link mailed)", right);
            BenchStats.printDifference("breach-reset", new String[] {"wrong", "right breached"}, wrong, right);
            // every owner got their link, after the answers
            assertThat(mail.await("u" + (WARMUP + PAIRS - 1) + "@example.test", 1, Duration.ofSeconds(30))).hasSize(1);
            realm.close();
        }
    }

    /** One whole login (page, post, Keycloak's answer) that must be refused as a wrong password; its time in ns. */
    private static long timed(KeycloakNode node, TestRealm realm, String user, String password) {
        LoginClient client = new LoginClient(node.baseUrl());
        long start = System.nanoTime();
        LoginClient.Result r = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, user, password);
        long nanos = System.nanoTime() - start;
        assertThat(r.loggedIn()).isFalse();
        assertThat(r.formError()).contains("Invalid username or password.");
        return nanos;
    }
}
