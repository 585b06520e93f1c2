package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17's flood: a spread botnet (every source in its own /24) posting the login form faster
 * than the server can hash, while ordinary users sign in from their usual browsers; their p50/p95
 * over the whole attack (the seconds before detection included) beside the same users with no
 * attack. Three servers, one after the other (never two at once), each with theme caching on:
 * Sentinel (hash bulkhead on, its default), Sentinel with the bulkhead off, plain Keycloak. The
 * realm uses Keycloak's own browser flow (Sentinel's guarded form: no CAPTCHA), so the bulkhead's
 * effect is measured alone. Not an {@code *IT}; run by hand (figures in docs/BENCHMARKS.md):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=HashFloodBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * First ({@code #cpuPerRefusal}, {@link RefusalCost}): the server's CPU per attempt in one server
 * for the floor, a hashed attempt and each refusal kind ({@code -Dbench.cost.attempts} 300 a series,
 * {@code -Dbench.cost.hashed} 100, {@code -Dbench.cost.warmup} 1000, {@code -Dbench.cost.rounds} 3;
 * {@code -Dbench.cost.only=<label part>} plays one kind only, {@code -Dbench.cost.jfr=<file>} records
 * the server with JDK Flight Recorder, for a profile). Run one part alone with
 * {@code -Dit.test=HashFloodBenchmark#cpuPerRefusal} or {@code #sideBySide}.
 *
 * <p>Options: {@code -Dbench.flood.rate} attempts a second (60), {@code -Dbench.flood.seconds} (30),
 * {@code -Dbench.flood.inflight} most bot requests in flight (48), {@code -Dbench.flood.ordinary}
 * users (8). Bounded: every socket has a timeout, every pool a deadline.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HashFloodBenchmark {

    private static final int RATE = Integer.getInteger("bench.flood.rate", 60);
    private static final int SECONDS = Integer.getInteger("bench.flood.seconds", 30);
    private static final int IN_FLIGHT = Integer.getInteger("bench.flood.inflight", 48);
    private static final int ORDINARY = Integer.getInteger("bench.flood.ordinary", 8);
    private static final int ACCOUNTS = 200;
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final List<String> CACHING = List.of("--spi-theme--cache-themes=true", "--spi-theme--cache-templates=true");
    private static final String NO_BULKHEAD = "--spi-sentinel-attack-detection--sentinel-infinispan--hash-bulkhead-permits=0";

    @Test
    @Order(1)
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    @DisplayName("Server CPU per attempt, in one server: the floor, a hashed attempt and every refusal kind")
    void cpuPerRefusal() throws Exception {
        RefusalCost.run();
    }

    @Test
    @Order(2)
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    @DisplayName("Flood above hashing capacity: ordinary users' p95 with the bulkhead, without it, and on plain Keycloak")
    void sideBySide() throws Exception {
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-flood-bulkhead", CACHING, Map.of())) {
            run("Sentinel, bulkhead on", node, true);
        }
        List<String> off = new ArrayList<>(CACHING);
        off.add(NO_BULKHEAD);
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-flood-no-bulkhead", off, Map.of())) {
            run("Sentinel, bulkhead off", node, true);
        }
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.plain(), "bench-flood-plain", CACHING, Map.of())) {
            run("plain Keycloak", node, false);
        }
    }

    private void run(String label, KeycloakNode node, boolean sentinel) throws Exception {
        TestRealm.Builder builder = TestRealm.builder("flood");
        for (int i = 0; i < ACCOUNTS; i++) {
            builder.user("user" + i, "Own-pass-" + i + "-x");
        }
        TestRealm realm = builder.create(node);
        List<Browser> browsers = new ArrayList<>();
        for (int i = 0; i < ORDINARY; i++) {
            Browser b = new Browser(SourceBoundLogin.loopback(5, 0, i + 1), "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0 u" + i);
            assertThat(b.login(node.baseUrl(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, name(i), password(i))
                    .outcome()).isEqualTo(SourceBoundLogin.Outcome.LOGGED_IN);
            signOut(node, realm, name(i));
            browsers.add(b);
        }
        if (sentinel) {
            for (int i = 0; i < ORDINARY; i++) {
                String n = name(i);
                Poll.until(n + " known", Duration.ofSeconds(20), () -> node.admin().get("/admin/realms/" + realm.name()
                        + "/sentinel-admin/attack?ip=127.5.0.200&username=" + n).expect(200).json()
                        .at("/risk/knownSource").asBoolean() ? Boolean.TRUE : null);
            }
        }
        // warm-up (not measured): the users and some risky posts, so that every path is compiled
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < ORDINARY; i++) {
                browsers.get(i).login(node.baseUrl(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, name(i), password(i));
                signOut(node, realm, name(i));
            }
        }
        for (int i = 0; i < 60; i++) {
            SourceBoundLogin.attempt(node.baseUrl(), SourceBoundLogin.loopback(99, i, 1), realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "user" + (ORDINARY + i), "Warm-up-" + i);
        }

        long[] quiet = ordinaryPhase(node, realm, browsers, SECONDS / 2);

        // the flood: one attempt per (account, password), every source in its own /24, at RATE a second
        AtomicLong detectedAt = new AtomicLong(-1);
        ConcurrentLinkedQueue<int[]> answers = new ConcurrentLinkedQueue<>();
        ExecutorService bots = Executors.newFixedThreadPool(IN_FLIGHT);
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        long start = System.nanoTime();
        double hashesBefore = hashes(node);
        ProcessCpu cpu = new ProcessCpu(node.pid());
        double cpuBefore = cpu.millis();
        int attempts = RATE * SECONDS;
        long period = 1_000_000L / RATE;
        for (int i = 0; i < attempts; i++) {
            int n = i;
            clock.schedule(() -> {
                if (!inFlight.tryAcquire()) {
                    answers.add(new int[] {-1}); // the bot's own limit: not sent
                    return;
                }
                bots.submit(() -> {
                    try {
                        SourceBoundLogin.Attempt a = SourceBoundLogin.attempt(node.baseUrl(),
                                SourceBoundLogin.loopback(100 + n / 250, n % 250, 1), realm.name(), TestRealm.CLIENT_ID,
                                TestRealm.REDIRECT_URI, n % 2 == 0 ? "user" + (ORDINARY + n % (ACCOUNTS - ORDINARY))
                                        : "nobody" + n + "@example.test", "Summer2026!" + n);
                        answers.add(new int[] {a.status()});
                    } finally {
                        inFlight.release();
                    }
                });
            }, i * period, TimeUnit.MICROSECONDS);
        }
        if (sentinel) {
            clock.scheduleWithFixedDelay(() -> {
                if (detectedAt.get() < 0 && "UNDER_ATTACK".equals(node.admin().get("/admin/realms/" + realm.name()
                        + "/sentinel-admin/attack").expect(200).json().get("state").asText())) {
                    detectedAt.set(System.nanoTime() - start);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
        }
        long[] attacked = ordinaryPhase(node, realm, browsers, SECONDS);
        Poll.until("every bot attempt answered", Duration.ofSeconds(SECONDS + 120),
                () -> answers.size() >= attempts ? Boolean.TRUE : null);
        clock.shutdownNow();
        bots.shutdown();
        assertThat(bots.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        double cpuMillis = cpu.millis() - cpuBefore;
        double hashed = hashes(node) - hashesBefore;

        long sent = answers.stream().filter(a -> a[0] != -1).count();
        long refused429 = answers.stream().filter(a -> a[0] == 429).count();
        double refusedByBulkhead = sentinel ? Metrics.value(Metrics.scrape(node), "sentinel_password_guard_total",
                "outcome=\"bulkhead_refused\"", "realm=\"" + realm.name() + "\"").orElse(0) : 0;
        System.out.printf("[hash-flood] %s: %d bot attempts offered at %d/s for %d s, %d sent (at most %d in flight),"
                        + " %d answered 429 (%.0f by the bulkhead), %.0f password validations; server CPU %.1f s (%.2f cores);"
                        + " UNDER_ATTACK after %s%n", label, attempts, RATE, SECONDS, sent, IN_FLIGHT, refused429,
                refusedByBulkhead, hashed, cpuMillis / 1000, cpuMillis / 1000 / ((System.nanoTime() - start) / 1e9),
                detectedAt.get() < 0 ? "-" : String.format("%.1f s", detectedAt.get() / 1e9));
        BenchStats.print("hash-flood", label + ", ordinary users, no attack", quiet);
        BenchStats.print("hash-flood", label + ", ordinary users, whole attack", attacked);
        long[] sortedQuiet = quiet.clone();
        long[] sortedAttacked = attacked.clone();
        java.util.Arrays.sort(sortedQuiet);
        java.util.Arrays.sort(sortedAttacked);
        System.out.printf("[hash-flood] %s: p95 under attack / no attack = %.1fx%n", label,
                (double) BenchStats.percentileNanos(sortedAttacked, 95) / BenchStats.percentileNanos(sortedQuiet, 95));
        realm.close();
    }

    /** Every ordinary user signs in every ~0.5 s for {@code seconds}; the login times (ns). */
    private static long[] ordinaryPhase(KeycloakNode node, TestRealm realm, List<Browser> browsers, int seconds)
            throws Exception {
        ConcurrentLinkedQueue<Long> times = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        ExecutorService people = Executors.newFixedThreadPool(browsers.size());
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int p = 0; p < browsers.size(); p++) {
            int who = p;
            people.submit(() -> {
                while (System.nanoTime() < end) {
                    SourceBoundLogin.Attempt a = browsers.get(who).login(node.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                            TestRealm.REDIRECT_URI, name(who), password(who));
                    times.add(a.nanos());
                    signOut(node, realm, name(who));
                    if (a.outcome() != SourceBoundLogin.Outcome.LOGGED_IN) {
                        failed.add(name(who) + ":" + a.status());
                    }
                    Thread.sleep(500);
                }
                return null;
            });
        }
        people.shutdown();
        assertThat(people.awaitTermination(seconds + 120L, TimeUnit.SECONDS)).isTrue();
        if (!failed.isEmpty()) {
            System.out.printf("[hash-flood] ordinary sign-ins that did not end signed in: %s%n", failed);
        }
        return times.stream().mapToLong(Long::longValue).toArray();
    }

    /** Ends the user's sessions (the browser keeps Sentinel's device cookie), so the next login checks the password. */
    private static void signOut(KeycloakNode node, TestRealm realm, String username) {
        node.admin().post("/admin/realms/" + realm.name() + "/users/" + node.admin().userId(realm.name(), username)
                + "/logout", Map.of()).expect(204);
    }

    private static String name(int i) {
        return "user" + i;
    }

    private static String password(int i) {
        return "Own-pass-" + i + "-x";
    }

    private static double hashes(KeycloakNode node) {
        return Metrics.total(Metrics.scrape(node), HASHES).orElse(0);
    }
}
