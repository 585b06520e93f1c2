package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Attempt;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Whole-login latency of plain Keycloak and of Keycloak with Sentinel, side by side in one run,
 * and Sentinel's own counting cost (its {@code sentinel_detection_seconds} timers) on one node
 * and on a two-node loopback cluster. Not an {@code *IT}: the default {@code ./mvnw verify}
 * does not run it; run it by hand (command in docs/BENCHMARKS.md):
 *
 * <pre>./mvnw verify -pl integration-tests -am -Dit.test=LoginLatencyBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * <p>What limits the comparison is not Sentinel: the Argon2id hash (BouncyCastle, most of the time
 * of a login) runs at one of two speeds per server JVM, about 22-30 ms or 53-57 ms, chosen
 * during its JIT warm-up and kept for the JVM's life (seen with two identical plain servers and
 * in a bare BouncyCastle loop: 2 of 6 fresh JVMs slow with the default tiered compilation,
 * 0 of 11 with {@code -XX:-TieredCompilation}). Two servers in different modes
 * differ by ~27 ms a login whatever runs on them; the benchmark then prints a warning. So:
 * {@code -Dbench.sides=plain,plain} runs the control (two equal servers), and
 * {@code -Dbench.server.java.opts=-XX:-TieredCompilation} gives both single-node servers the
 * same extra JVM options (Keycloak's {@code JAVA_OPTS_APPEND}), which took the slow mode out in
 * every try so far.
 * The warm-up is 500 logins a side, as the login time keeps falling for hundreds of logins.
 * The order within each round of two logins is drawn at random.
 *
 * <p>Nothing is timed against a target here (shared machines are noisy): it prints figures and
 * only checks that every login succeeded or failed as it should. Sequential, bounded counts
 * ({@code -Dbench.logins}, {@code -Dbench.failures}, {@code -Dbench.warmup},
 * {@code -Dbench.cluster.logins}) and a time budget per series ({@code -Dbench.series.minutes}):
 * a series that runs out of time stops early and says so.
 */
@DisplayName("Login latency with and without Sentinel; counting cost on a two-node cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoginLatencyBenchmark {

    private static final int LOGINS = Integer.getInteger("bench.logins", 300);
    private static final int FAILURES = Integer.getInteger("bench.failures", 100);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 500);
    private static final int CLUSTER_LOGINS = Integer.getInteger("bench.cluster.logins", 400);
    /** The two servers compared; {@code plain,plain} or {@code sentinel,sentinel} measure the noise between two equal servers. */
    private static final String SIDES = System.getProperty("bench.sides", "plain,sentinel");
    /** Extra JVM options for both single-node servers (Keycloak's JAVA_OPTS_APPEND), e.g. -XX:-TieredCompilation. */
    private static final String SERVER_JAVA_OPTS = System.getProperty("bench.server.java.opts", "").trim();
    private static final long SERIES_NANOS = TimeUnit.MINUTES.toNanos(Integer.getInteger("bench.series.minutes", 8));

    private static final String USER = "bench-user";
    private static final String PASSWORD = "Bench-pass-2026!";
    private static final String WRONG_PASSWORD = "Bench-pass-2025!";

    /** One side of the comparison: a server and the realm created on it. */
    private record Side(String kind, String label, KeycloakServer server, TestRealm realm) {

        LoginClient.Result login(String password) {
            return new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                    USER, password);
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    @DisplayName("Plain Keycloak and Keycloak with the Sentinel login form, logins interleaved")
    void sideBySide() {
        // same build options, same start options and heap; started one after the other
        String[] kinds = SIDES.split(",");
        assertThat(kinds).as("-Dbench.sides: two of plain, sentinel").hasSize(2)
                .allMatch(k -> k.equals("plain") || k.equals("sentinel"));
        boolean same = kinds[0].equals(kinds[1]);
        String[] labels = {kinds[0] + (same ? "-1" : ""), kinds[1] + (same ? "-2" : "")};
        try (KeycloakNode firstNode = start(kinds[0], labels[0]);
             KeycloakNode secondNode = start(kinds[1], labels[1])) {
            Side first = side(kinds[0], labels[0], firstNode);
            Side second = side(kinds[1], labels[1], secondNode);

            // warm-up (JIT, caches, connection set-up on both sides), not measured
            interleave(first, second, WARMUP, PASSWORD, true);
            interleave(first, second, WARMUP / 5, WRONG_PASSWORD, false);

            long[][] ok = interleave(first, second, LOGINS, PASSWORD, true);
            long[][] failed = interleave(first, second, FAILURES, WRONG_PASSWORD, false);

            BenchStats.print("login-latency", labels[0], ok[0]);
            BenchStats.print("login-latency", labels[1], ok[1]);
            BenchStats.printDifference("login-latency", labels, ok[0], ok[1]);
            BenchStats.print("login-latency", "failed " + labels[0], failed[0]);
            BenchStats.print("login-latency", "failed " + labels[1], failed[1]);
            BenchStats.printDifference("login-latency", new String[] {"failed " + labels[0], "failed " + labels[1]}, failed[0], failed[1]);
            double okShift = relativeShift(ok[0], ok[1]);
            double failedShift = relativeShift(failed[0], failed[1]);
            if (Math.abs(okShift) > 0.1 && Math.abs(failedShift) > 0.1 && Math.signum(okShift) == Math.signum(failedShift)) {
                System.out.printf("[login-latency] WARNING: %s and %s differ by %+.0f %% (successes) and %+.0f %% (failures):"
                                + " the two JVMs most likely hash Argon2 at different speeds (see the class comment), which"
                                + " says nothing about Sentinel; rerun, or add -Dbench.server.java.opts=-XX:-TieredCompilation%n",
                        labels[1], labels[0], 100 * okShift, 100 * failedShift);
            }

            for (Side side : List.of(first, second)) {
                if (side.kind().equals("sentinel")) {
                    String scrape = Metrics.scrape(side.server());
                    scrape.lines().filter(l -> l.startsWith("sentinel_detection_seconds")).forEach(l ->
                            System.out.println("[login-latency] /metrics of " + side.label() + ": " + l));
                    System.out.println("[login-latency] " + side.label() + " node timers: " + timers(scrape));
                }
            }
        }
    }

    private static KeycloakNode start(String kind, String label) {
        BuiltDistribution build = kind.equals("plain") ? BuiltDistribution.plain() : BuiltDistribution.get();
        return KeycloakNode.start(build, "bench-" + label, List.of(),
                SERVER_JAVA_OPTS.isEmpty() ? Map.of() : Map.of("JAVA_OPTS_APPEND", SERVER_JAVA_OPTS));
    }

    /** The benchmark realm on a node; on a Sentinel node with the Sentinel login form, as in production. */
    private static Side side(String kind, String label, KeycloakNode node) {
        TestRealm realm = realm(node);
        boolean sentinel = kind.equals("sentinel");
        assertThat(node.admin().serverInfo().toString().contains("sentinel-login-form"))
                .as("Sentinel installed on %s", label).isEqualTo(sentinel);
        if (sentinel) {
            SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
            // every login here comes from 127.0.0.1: lift the per-IP and per-network throttle out of
            // reach so failed logins keep taking the full path (the check itself still runs on each post)
            node.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config",
                    Map.of("ipFailuresPerDay", 1_000_000, "networkFailuresPer15m", 1_000_000)).expect(200);
            // the failed-login series may make the realm ELEVATED: the risk-based CAPTCHA (measured in its
            // own benchmark) would then answer instead of the password check measured here
            SentinelFlows.captchaMode(node.admin(), realm.name(), "never");
        }
        var r = node.admin().get("/admin/realms/" + realm.name()).expect(200).json();
        System.out.printf("[login-latency] %s (pid %d) realm: browser flow %s, brute-force protection %s;"
                        + " extra JVM options: %s%n", label, node.pid(), r.path("browserFlow").asText(),
                r.path("bruteForceProtected").asText(), SERVER_JAVA_OPTS.isEmpty() ? "none" : SERVER_JAVA_OPTS);
        return new Side(kind, label, node, realm);
    }

    @Test
    @Order(2)
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    @DisplayName("Sentinel's record and check timers on a two-node loopback cluster, logins alternating between nodes")
    void twoNodeCluster() throws Exception {
        try (KeycloakCluster cluster = KeycloakCluster.start("bench-a", "bench-b")) {
            KeycloakNode a = cluster.node(0);
            TestRealm realm = realm(a);
            SentinelFlows.useSentinelLoginForm(a.admin(), realm.name());
            SentinelFlows.captchaMode(a.admin(), realm.name(), "never"); // the timers of counting, not the CAPTCHA

            // each attempt is pinned to its node (the form is posted back to the node that served
            // the page) and comes from one of 200 loopback addresses, as many users would
            clusterSeries(cluster, realm, 0, WARMUP);
            List<List<Long>> measured = clusterSeries(cluster, realm, WARMUP, WARMUP + CLUSTER_LOGINS);
            for (int n = 0; n < 2; n++) {
                BenchStats.print("cluster-latency", "GET page + POST form on " + cluster.node(n).name(),
                        measured.get(n).stream().mapToLong(Long::longValue).toArray());
            }
            for (KeycloakNode node : cluster.nodes()) {
                String scrape = Metrics.scrape(node);
                System.out.println("[cluster-latency] " + node.name() + " cluster size "
                        + Metrics.value(scrape, "vendor_cluster_size").orElse(Double.NaN) + ", timers: " + timers(scrape));
            }
        }
    }

    private static TestRealm realm(KeycloakServer server) {
        return TestRealm.builder("bench").user(USER, PASSWORD).create(server);
    }

    /**
     * {@code count} rounds of one login on each side, back to back (plain, sentinel, sentinel,
     * plain, ...: which side goes first in a round is drawn at random, so neither is always the
     * one that follows the other); returns
     * the whole-login times in nanoseconds per side (fewer than {@code count} if the series ran
     * out of time). Each login is checked to have succeeded (or failed) as expected.
     */
    private static long[][] interleave(Side first, Side second, int count, String password, boolean shouldSucceed) {
        long[][] nanos = {new long[count], new long[count]};
        Side[] sides = {first, second};
        long deadline = System.nanoTime() + SERIES_NANOS;
        int done = 0;
        Random order = new Random(count);
        for (; done < count && System.nanoTime() < deadline; done++) {
            int firstInRound = order.nextInt(2);
            for (int k = 0; k < 2; k++) {
                int s = k ^ firstInRound;
                long start = System.nanoTime();
                LoginClient.Result r = sides[s].login(password);
                nanos[s][done] = System.nanoTime() - start;
                if (shouldSucceed) {
                    assertThat(r.loggedIn()).as("login %d on %s: status %d", done, sides[s].label(), r.status()).isTrue();
                } else {
                    assertThat(r.loggedIn()).as("wrong password %d on %s", done, sides[s].label()).isFalse();
                    assertThat(r.status()).as("wrong password %d on %s", done, sides[s].label()).isEqualTo(200);
                    assertThat(r.formError()).as("wrong password %d on %s", done, sides[s].label())
                            .contains("Invalid username or password.");
                }
            }
        }
        if (done < count) {
            System.out.printf("[login-latency] series stopped at its time budget after %d of %d rounds%n", done, count);
        }
        return new long[][] {Arrays.copyOf(nanos[0], done), Arrays.copyOf(nanos[1], done)};
    }

    /**
     * Attempts {@code from} to {@code to - 1} on the cluster, alternating node A and node B; on
     * each node every fourth a wrong password. Returns the GET + POST times per node in nanoseconds.
     */
    private static List<List<Long>> clusterSeries(KeycloakCluster cluster, TestRealm realm, int from, int to) {
        List<List<Long>> nanos = List.of(new ArrayList<>(), new ArrayList<>());
        long deadline = System.nanoTime() + SERIES_NANOS;
        for (int i = from; i < to && System.nanoTime() < deadline; i++) {
            int n = i % 2;
            boolean wrong = (i / 2) % 4 == 3; // a quarter of each node's attempts
            InetAddress source = SourceBoundLogin.botnetAddress(99, i % 200);
            Attempt attempt = SourceBoundLogin.attempt(cluster.node(n).baseUrl(), source, realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, USER, wrong ? WRONG_PASSWORD : PASSWORD);
            assertThat(attempt.outcome()).as("attempt %d on %s", i, cluster.node(n).name())
                    .isEqualTo(wrong ? Outcome.REFUSED : Outcome.LOGGED_IN);
            nanos.get(n).add(attempt.nanos());
        }
        int done = nanos.get(0).size() + nanos.get(1).size();
        if (done < to - from) {
            System.out.printf("[cluster-latency] series stopped at its time budget after %d of %d attempts%n", done,
                    to - from);
        }
        return nanos;
    }

    /** Sentinel's timers as this node's /metrics shows them: p50 and p99 (last 1-2 minutes), count, mean, max. */
    private static String timers(String scrape) {
        StringBuilder out = new StringBuilder();
        for (String operation : List.of("record", "check")) {
            String op = "operation=\"" + operation + "\"";
            Function<OptionalDouble, String> micros = v -> v.isPresent() ? String.format("%.1f us", v.getAsDouble() * 1e6) : "n/a";
            OptionalDouble count = Metrics.value(scrape, "sentinel_detection_seconds_count", op);
            OptionalDouble sum = Metrics.value(scrape, "sentinel_detection_seconds_sum", op);
            OptionalDouble mean = count.isPresent() && sum.isPresent() && count.getAsDouble() > 0
                    ? OptionalDouble.of(sum.getAsDouble() / count.getAsDouble()) : OptionalDouble.empty();
            out.append(String.format("%s p50=%s p99=%s (count=%s mean=%s max=%s); ", operation,
                    micros.apply(Metrics.value(scrape, "sentinel_detection_seconds", op, "quantile=\"0.5\"")),
                    micros.apply(Metrics.value(scrape, "sentinel_detection_seconds", op, "quantile=\"0.99\"")),
                    count.isPresent() ? String.valueOf((long) count.getAsDouble()) : "n/a",
                    micros.apply(mean),
                    micros.apply(Metrics.value(scrape, "sentinel_detection_seconds_max", op))));
        }
        return out.toString().strip();
    }

    /** (p50 of second - p50 of first) / p50 of first. */
    private static double relativeShift(long[] first, long[] second) {
        long[] a = first.clone();
        long[] b = second.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        return (double) (BenchStats.percentileNanos(b, 50) - BenchStats.percentileNanos(a, 50)) / BenchStats.percentileNanos(a, 50);
    }

}
