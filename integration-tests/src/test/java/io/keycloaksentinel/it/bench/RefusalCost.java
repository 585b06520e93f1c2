package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The first part of {@link HashFloodBenchmark}: the server's CPU per attempt, side by side in one
 * server (theme caching on), for Keycloak's floor ({@code GET /realms/{realm}} on a new
 * connection), a hashed attempt and each refusal kind. Every request is a new connection from a
 * loopback source ({@code Connection: close}), one after the other (the bulkhead series: four at
 * once), so a figure is the server's CPU for one request and nothing else: utime + stime of the
 * server's process tree before and after a series, net of the server's idle rate, divided by the
 * requests. A refusal is shown alone (the POST, as a bot re-posting the form each answer
 * re-renders sends it) and with the page it was posted from (GET + POST: a whole attempt).
 *
 * <p>The bulkhead-full series cannot be run without hashes: the bulkhead is full only while a
 * hash runs. The server runs with one permit and no wait; four clients re-post wrong passwords
 * from risky sources, so one hashes while the others are refused; the hashes are counted
 * (Keycloak's validation counter) and their CPU, measured alone in the hashed series just before,
 * is subtracted: {@code (CPU - hashes x hashed POST) / refusals}. Its printed range is the result
 * for a hashed POST 5 % cheaper or dearer.
 */
final class RefusalCost {

    private static final int ATTEMPTS = Integer.getInteger("bench.cost.attempts", 300);
    private static final int HASHED_ATTEMPTS = Integer.getInteger("bench.cost.hashed", 100);
    private static final int ROUNDS = Integer.getInteger("bench.cost.rounds", 3);
    private static final int WARMUP = Integer.getInteger("bench.cost.warmup", 1000);
    private static final int IDLE_SECONDS = 10;
    private static final int BULKHEAD_CLIENTS = 4;
    private static final String USER = "cost-user";
    private static final String PASSWORD = "Cost-pass-2026!";
    private static final String WRONG = "Cost-pass-2025!";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final String OPTION = "--spi-sentinel-attack-detection--sentinel-infinispan--";
    /** Every throttle out of reach and attack detection off: each series takes the path under test, however many attempts. */
    private static final Map<String, Object> QUIET = Map.ofEntries(Map.entry("ipFailuresPerDay", 1_000_000),
            Map.entry("networkFailuresPer15m", 1_000_000), Map.entry("networkUsernamesPer15m", 1_000_000),
            Map.entry("unknownSourceFailuresPer15m", 1_000_000), Map.entry("ipAccountRequestsPer15m", 1_000_000),
            Map.entry("attackFailuresPerMinute", 1_000_000), Map.entry("minFailuresPerMinute", 1_000_000),
            Map.entry("burstFailures", 0), Map.entry("sprayAccountsPerHour", 0), Map.entry("newNetworkAccountsPerHour", 0));

    private RefusalCost() {
    }

    /** One request kind: what it sends and what it must get; {@code hashes} per request (0 or 1). */
    private record Series(String label, int hashes, Supplier<Runnable> client) {
    }

    private record Measured(double cpuMs, double wallMs, int requests, double hashes) {
    }

    static void run() throws Exception {
        List<String> options = new ArrayList<>(List.of("--spi-theme--cache-themes=true", "--spi-theme--cache-templates=true",
                OPTION + "hash-bulkhead-permits=1", OPTION + "hash-bulkhead-wait-ms=0"));
        String jfr = System.getProperty("bench.cost.jfr", "");
        Map<String, String> env = jfr.isEmpty() ? Map.of()
                : Map.of("JAVA_OPTS_APPEND", "-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "bench-refusal-cost", options, env)) {
            ProcessCpu cpu = new ProcessCpu(node.pid());
            TestRealm floor = TestRealm.builder("cost-floor").create(node);
            TestRealm hashed = realm(node, "cost-hash", QUIET);
            Map<String, Object> throttling = new HashMap<>(QUIET);
            throttling.put("ipFailuresPerDay", 1);
            TestRealm throttled = realm(node, "cost-throttle", throttling);
            TestRealm early = realm(node, "cost-early", throttling);
            earlyRefusalPolicy(node, early);
            TestRealm captcha = realm(node, "cost-captcha", QUIET);
            SentinelFlows.useSentinelLoginForm(node.admin(), captcha.name());
            node.admin().put("/admin/realms/" + captcha.name() + "/sentinel-admin/captcha", Map.of("mode", "always"))
                    .expect(200);
            InetAddress risky = SourceBoundLogin.loopback(60, 0, 1);
            InetAddress throttledSource = SourceBoundLogin.loopback(61, 0, 1);
            // one failure makes the source throttled in its realm (ipFailuresPerDay 1)
            for (TestRealm r : List.of(throttled, early)) {
                RawLogin first = new RawLogin(node.baseUrl(), throttledSource);
                assertThat(first.post(first.page(r.name()).orElseThrow(), RawLogin.fields(USER, WRONG, null)).outcome())
                        .isEqualTo(RawLogin.Outcome.PASSWORD_REFUSED);
            }

            List<Series> all = List.of(
                    new Series("floor: GET /realms/{realm}", 0, () -> {
                        RawLogin c = new RawLogin(node.baseUrl(), risky);
                        String path = "/realms/" + AdminApi.encPath(floor.name());
                        return () -> assertThat(c.exchange("GET", path, null, List.of()).status()).isEqualTo(200);
                    }),
                    new Series("login page: GET of the authorization endpoint", 0, () -> {
                        RawLogin c = new RawLogin(node.baseUrl(), risky);
                        return () -> assertThat(c.page(hashed.name())).isPresent();
                    }),
                    new Series("hashed: POST of a wrong password", 1, () -> reposting(node, hashed, risky, null,
                            RawLogin.Outcome.PASSWORD_REFUSED)),
                    new Series("hashed: GET + POST of a wrong password", 1, () -> paged(node, hashed, risky, null,
                            RawLogin.Outcome.PASSWORD_REFUSED)),
                    new Series("hashed: password grant, wrong password", 1, () -> grant(node, hashed, risky, 400)),
                    new Series("Keycloak's page answer, no hash: POST of an empty password", 0, () -> reposting(node, hashed,
                            risky, null, RawLogin.Outcome.PASSWORD_REFUSED, "")),
                    new Series("throttled source: POST", 0, () -> reposting(node, throttled, throttledSource, null,
                            RawLogin.Outcome.THROTTLED)),
                    new Series("throttled source: GET + POST", 0, () -> paged(node, throttled, throttledSource, null,
                            RawLogin.Outcome.THROTTLED)),
                    new Series("throttled source: password grant", 0, () -> grant(node, throttled, throttledSource, 429)),
                    new Series("throttled source, early refusal: GET of the authorization endpoint", 0, () -> {
                        RawLogin c = new RawLogin(node.baseUrl(), throttledSource);
                        String path = RawLogin.authPath(early.name());
                        return () -> assertThat(c.exchange("GET", path, null, List.of()).status()).isEqualTo(429);
                    }),
                    new Series("throttled source, early refusal: password grant", 0, () -> grant(node, early, throttledSource,
                            429)),
                    // the missing-answer page holds no form (a retry needs the widget): a bot fetches a form each time,
                    // so the POST's own cost is the pair's less the page's
                    new Series("CAPTCHA login page: GET of the authorization endpoint", 0, () -> {
                        RawLogin c = new RawLogin(node.baseUrl(), risky);
                        return () -> assertThat(c.page(captcha.name())).isPresent();
                    }),
                    new Series("missing CAPTCHA answer: GET + POST", 0, () -> paged(node, captcha, risky, null,
                            RawLogin.Outcome.CAPTCHA_REFUSED)));

            String only = System.getProperty("bench.cost.only", "");
            if (!only.isEmpty()) { // profiling one kind: play it, nothing else
                for (Series s : all) {
                    if (s.label().contains(only)) {
                        play(s, 5 * WARMUP);
                    }
                }
                return;
            }
            System.out.printf("[refusal-cost] server pid %d (JVM %d); %d requests a series (%d hashed), %d warm-up,"
                    + " %d rounds; bulkhead: 1 permit, no wait, %d clients%n", node.pid(), cpu.javaPid(), ATTEMPTS,
                    HASHED_ATTEMPTS, WARMUP, ROUNDS, BULKHEAD_CLIENTS);
            for (Series s : all) { // warm-up, not measured
                play(s, s.hashes() > 0 ? WARMUP / 5 : WARMUP);
            }
            bulkheadFull(node, hashed, WARMUP);
            double idleBefore = idleRate(cpu);
            Map<String, List<Measured>> measured = new LinkedHashMap<>();
            for (int round = 1; round <= ROUNDS; round++) {
                for (Series s : all) {
                    int n = s.hashes() > 0 ? HASHED_ATTEMPTS : ATTEMPTS;
                    double h = hashes(node);
                    double c = cpu.millis();
                    long w = System.nanoTime();
                    play(s, n);
                    Measured m = new Measured(cpu.millis() - c, (System.nanoTime() - w) / 1e6, n, hashes(node) - h);
                    assertThat(m.hashes()).as("hashes in %s", s.label()).isEqualTo((double) n * s.hashes());
                    measured.computeIfAbsent(s.label(), k -> new ArrayList<>()).add(m);
                }
                double h = hashes(node);
                double refusedBefore = bulkheadRefused(node, hashed);
                double c = cpu.millis();
                long w = System.nanoTime();
                int[] counts = bulkheadFull(node, hashed, ATTEMPTS);
                Measured m = new Measured(cpu.millis() - c, (System.nanoTime() - w) / 1e6, counts[0] + counts[1],
                        hashes(node) - h);
                assertThat(m.hashes()).as("a hash for every checked post, none for a refusal").isEqualTo((double) counts[0]);
                assertThat(bulkheadRefused(node, hashed) - refusedBefore).as("every 429 is the bulkhead's")
                        .isEqualTo((double) counts[1]);
                measured.computeIfAbsent("bulkhead full (mixed)", k -> new ArrayList<>()).add(m);
                System.out.printf("[refusal-cost] round %d done; bulkhead: %d hashed, %d refused%n", round, counts[0],
                        counts[1]);
            }
            double idle = (idleBefore + idleRate(cpu)) / 2;
            System.out.printf("[refusal-cost] server idle CPU %.2f ms/s (subtracted for each series' wall time)%n", idle);

            Map<String, Double> net = new LinkedHashMap<>();
            measured.forEach((label, ms) -> {
                if (!label.startsWith("bulkhead")) {
                    net.put(label, net(ms, idle));
                }
            });
            net.put("missing CAPTCHA answer: POST", net.get("missing CAPTCHA answer: GET + POST")
                    - net.get("CAPTCHA login page: GET of the authorization endpoint"));
            double floorMs = net.get("floor: GET /realms/{realm}");
            double hashedPost = net.get("hashed: POST of a wrong password");
            List<Measured> mixed = measured.get("bulkhead full (mixed)");
            double mixedCpu = mixed.stream().mapToDouble(m -> m.cpuMs() - idle * m.wallMs() / 1000).sum();
            double mixedHashes = mixed.stream().mapToDouble(Measured::hashes).sum();
            double mixedRefusals = mixed.stream().mapToDouble(m -> m.requests() - m.hashes()).sum();
            double bulkhead = (mixedCpu - mixedHashes * hashedPost) / mixedRefusals;
            double low = (mixedCpu - mixedHashes * hashedPost * 1.05) / mixedRefusals;
            double high = (mixedCpu - mixedHashes * hashedPost * 0.95) / mixedRefusals;
            net.put("bulkhead full: POST", bulkhead);
            net.put("bulkhead full: GET + POST", bulkhead + net.get("login page: GET of the authorization endpoint"));
            System.out.printf("[refusal-cost] bulkhead full: %.0f requests, %.0f hashed, %.0f refused; CPU %.0f ms net;"
                    + " a refused POST %.2f ms (%.2f-%.2f for a hashed POST 5 %% dearer or cheaper)%n",
                    mixedHashes + mixedRefusals, mixedHashes, mixedRefusals, mixedCpu, bulkhead, low, high);
            net.forEach((label, ms) -> System.out.printf("[refusal-cost] SUMMARY %-52s %7.2f ms  %5.1fx the floor%n", label,
                    ms, ms / floorMs));
            for (String refusal : List.of("throttled source: POST", "throttled source: password grant",
                    "throttled source, early refusal: GET of the authorization endpoint",
                    "throttled source, early refusal: password grant",
                    "missing CAPTCHA answer: POST", "bulkhead full: POST")) {
                assertThat(net.get(refusal)).as("%s costs less than a hashed POST", refusal).isLessThan(hashedPost);
            }
        }
    }

    /** A realm with one user, Keycloak's browser flow (Sentinel's guarded form), brute-force protection off. */
    private static TestRealm realm(KeycloakNode node, String name, Map<String, Object> config) {
        TestRealm realm = TestRealm.builder(name).user(USER, PASSWORD).customize(r -> r.setBruteForceProtected(false))
                .create(node);
        node.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config", config).expect(200);
        return realm;
    }

    /** A client that fetched the page once and re-posts the form each answer re-renders. */
    private static Runnable reposting(KeycloakNode node, TestRealm realm, InetAddress source, String altcha,
                                      RawLogin.Outcome expected) {
        return reposting(node, realm, source, altcha, expected, WRONG);
    }

    private static Runnable reposting(KeycloakNode node, TestRealm realm, InetAddress source, String altcha,
                                      RawLogin.Outcome expected, String password) {
        RawLogin c = new RawLogin(node.baseUrl(), source);
        RawLogin.Form[] form = {c.page(realm.name()).orElseThrow()};
        return () -> {
            RawLogin.Posted p = c.post(form[0], RawLogin.fields(USER, password, altcha));
            assertThat(p.outcome()).as("POST to %s (HTTP %d)", realm.name(), p.status()).isEqualTo(expected);
            // a refusal page holds no form: the bot posts the one it holds again (its action still names the step)
            form[0] = p.next().orElse(form[0]);
        };
    }

    /** Sentinel's client-policy executor in a client profile, applied to every client (Keycloak's admin API). */
    private static void earlyRefusalPolicy(KeycloakNode node, TestRealm realm) {
        String base = "/admin/realms/" + realm.name() + "/client-policies/";
        node.admin().put(base + "profiles", Map.of("profiles", List.of(Map.of("name", "sentinel-early-refusal",
                "executors", List.of(Map.of("executor", "sentinel-early-refusal",
                        "configuration", Map.of("refuse-login-page", true)))))))
                .expect(204);
        node.admin().put(base + "policies", Map.of("policies", List.of(Map.of("name", "sentinel early refusal",
                "enabled", true, "conditions", List.of(Map.of("condition", "any-client", "configuration", Map.of())),
                "profiles", List.of("sentinel-early-refusal"))))).expect(204);
    }

    /** A client that fetches the page and posts it, each attempt. */
    private static Runnable paged(KeycloakNode node, TestRealm realm, InetAddress source, String altcha,
                                  RawLogin.Outcome expected) {
        RawLogin c = new RawLogin(node.baseUrl(), source);
        return () -> {
            RawLogin.Posted p = c.post(c.page(realm.name()).orElseThrow(), RawLogin.fields(USER, WRONG, altcha));
            assertThat(p.outcome()).as("GET + POST to %s (HTTP %d)", realm.name(), p.status()).isEqualTo(expected);
        };
    }

    /** The password grant of {@code admin-cli} (public, in every realm) with a wrong password. */
    private static Runnable grant(KeycloakNode node, TestRealm realm, InetAddress source, int expected) {
        RawLogin c = new RawLogin(node.baseUrl(), source);
        String path = "/realms/" + AdminApi.encPath(realm.name()) + "/protocol/openid-connect/token";
        String body = LoginClient.form(Map.of("grant_type", "password", "client_id", "admin-cli", "username", USER,
                "password", WRONG));
        return () -> assertThat(c.exchange("POST", path, body, List.of()).status()).as("grant in %s", realm.name())
                .isEqualTo(expected);
    }

    private static void play(Series s, int n) {
        Runnable attempt = s.client().get();
        for (int i = 0; i < n; i++) {
            attempt.run();
        }
    }

    /**
     * {@value #BULKHEAD_CLIENTS} clients re-post wrong passwords from risky sources (each its own
     * /24) until {@code refusals} were refused; {hashed, refused}. Bounded by count and a 5-minute deadline.
     */
    private static int[] bulkheadFull(KeycloakNode node, TestRealm realm, int refusals) throws Exception {
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger checked = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        ExecutorService pool = Executors.newFixedThreadPool(BULKHEAD_CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int t = 0; t < BULKHEAD_CLIENTS; t++) {
            InetAddress source = SourceBoundLogin.loopback(70 + t, 0, 1);
            clients.add(pool.submit(() -> {
                RawLogin c = new RawLogin(node.baseUrl(), source);
                RawLogin.Form form = c.page(realm.name()).orElseThrow();
                while (refused.get() < refusals && System.nanoTime() < deadline) {
                    RawLogin.Posted p = c.post(form, RawLogin.fields(USER, WRONG, null));
                    switch (p.outcome()) {
                        case PASSWORD_REFUSED -> checked.incrementAndGet();
                        case THROTTLED -> refused.incrementAndGet();
                        default -> throw new AssertionError("bulkhead series: " + p.outcome() + " (HTTP " + p.status() + ")");
                    }
                    form = p.next().orElseThrow();
                }
                return null;
            }));
        }
        pool.shutdown();
        for (Future<?> f : clients) {
            f.get(6, TimeUnit.MINUTES);
        }
        assertThat(refused.get()).as("the bulkhead refused within the deadline").isGreaterThanOrEqualTo(refusals);
        return new int[] {checked.get(), refused.get()};
    }

    private static double net(List<Measured> ms, double idle) {
        double cpu = ms.stream().mapToDouble(m -> m.cpuMs() - idle * m.wallMs() / 1000).sum();
        return cpu / ms.stream().mapToInt(Measured::requests).sum();
    }

    private static double idleRate(ProcessCpu cpu) throws InterruptedException {
        double before = cpu.millis();
        long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
        return (cpu.millis() - before) / ((System.nanoTime() - start) / 1e9);
    }

    private static double hashes(KeycloakNode node) {
        return Metrics.total(Metrics.scrape(node), HASHES).orElse(0);
    }

    private static double bulkheadRefused(KeycloakNode node, TestRealm realm) {
        return Metrics.value(Metrics.scrape(node), "sentinel_password_guard_total", "outcome=\"bulkhead_refused\"",
                "realm=\"" + realm.name() + "\"").orElse(0);
    }
}
