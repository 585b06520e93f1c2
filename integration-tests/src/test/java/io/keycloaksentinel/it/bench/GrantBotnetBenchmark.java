package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser.Page;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The "grant" variant of shared/PRODUCT.md's attack, side by side: a credential-stuffing botnet on
 * the password grant of {@code admin-cli}, one attempt per account, every source address in its own
 * /24, most usernames unknown, a few accounts on combo-list passwords, while ordinary users sign
 * in through the browser from their usual network. Run against Keycloak with Sentinel (its ready
 * flows bound) and then against plain Keycloak, one after the other (never both at once), each
 * with theme caching on. Not an {@code *IT}; run by hand (figures in docs/BENCHMARKS.md):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=GrantBotnetBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * Options: {@code -Dbench.grant.rate} attempts per second (30), {@code -Dbench.grant.attempts}
 * (900), {@code -Dbench.grant.users} accounts (240), {@code -Dbench.grant.leaked} of them on the
 * combo list (40), {@code -Dbench.grant.ordinary} browser users (8). Bounded: every attempt has a
 * socket timeout, the pools a deadline.
 */
class GrantBotnetBenchmark {

    private static final int RATE = Integer.getInteger("bench.grant.rate", 30);
    private static final int ATTEMPTS = Integer.getInteger("bench.grant.attempts", 900);
    private static final int USERS = Integer.getInteger("bench.grant.users", 240);
    private static final int LEAKED = Integer.getInteger("bench.grant.leaked", 40);
    private static final int ORDINARY = Integer.getInteger("bench.grant.ordinary", 8);
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final List<String> CACHING = List.of("--spi-theme--cache-themes=true", "--spi-theme--cache-templates=true");

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    @DisplayName("Grant botnet, spread over /24s: Sentinel (ready flows) and plain Keycloak")
    void sideBySide() throws Exception {
        try (KeycloakNode sentinel = KeycloakNode.start(BuiltDistribution.get(), "bench-grant-sentinel", CACHING, Map.of())) {
            run("Sentinel", sentinel, true);
        }
        try (KeycloakNode plain = KeycloakNode.start(BuiltDistribution.plain(), "bench-grant-plain", CACHING, Map.of())) {
            run("plain Keycloak", plain, false);
        }
    }

    private record Shot(long atNanos, String username, boolean leakedRight, int status, String body) {
    }

    private void run(String label, KeycloakNode node, boolean sentinel) throws Exception {
        TestRealm.Builder builder = TestRealm.builder("grant-botnet");
        for (int i = 0; i < USERS; i++) {
            builder.user("user" + i, i < LEAKED ? "Summer2019!" + i : "Own-pass-" + i + "-x");
        }
        TestRealm realm = builder.create(node);
        if (sentinel) {
            node.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200);
        }
        // ordinary users: their usual network and browser, signed in once before the attack
        List<Browser> browsers = new ArrayList<>();
        for (int i = 0; i < ORDINARY; i++) {
            Browser b = new Browser(address(5, 0, i + 1), "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0 user" + i);
            assertThat(b.login(node.baseUrl(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                    "user" + (USERS - 1 - i), "Own-pass-" + (USERS - 1 - i) + "-x").outcome())
                    .isEqualTo(SourceBoundLogin.Outcome.LOGGED_IN);
            browsers.add(b);
        }
        // their networks known to the cluster (the counters flush every 250 ms) before the botnet starts
        for (int i = 0; i < ORDINARY; i++) {
            String name = "user" + (USERS - 1 - i);
            Poll.until(name + " known on 127.5.0.0/24", Duration.ofSeconds(20), () -> node.admin().get("/admin/realms/"
                    + realm.name() + "/sentinel-admin/attack?ip=127.5.0.200&username=" + name).expect(200).json()
                    .at("/risk/knownSource").asBoolean() ? Boolean.TRUE : null);
        }

        // the combo list: every account once (the leaked ones with their right password), the rest unknown
        List<String[]> combos = new ArrayList<>();
        for (int i = 0; i < USERS - ORDINARY; i++) {
            combos.add(new String[] {"user" + i, "Summer2019!" + i}); // right for the leaked ones, wrong for the rest
        }
        for (int i = combos.size(); i < ATTEMPTS; i++) {
            combos.add(new String[] {"victim" + i + "@example.test", "Summer2019!" + i});
        }
        Collections.shuffle(combos, new Random(20261202));

        double hashesBefore = hashes(node);
        ConcurrentLinkedQueue<Shot> shots = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<long[]> ordinary = new ConcurrentLinkedQueue<>(); // {atNanos, nanos, loggedIn}
        AtomicLong detectedAt = new AtomicLong(-1);
        AtomicLong hashesAtDetection = new AtomicLong(-1);
        AtomicBoolean running = new AtomicBoolean(true);
        long start = System.nanoTime();
        ExecutorService bots = Executors.newFixedThreadPool(24);
        ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        ExecutorService people = Executors.newFixedThreadPool(ORDINARY);
        for (int p = 0; p < ORDINARY; p++) {
            int who = p;
            people.submit(() -> {
                Random r = new Random(who);
                while (running.get()) {
                    long at = System.nanoTime();
                    SourceBoundLogin.Attempt a = browsers.get(who).login(node.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                            TestRealm.REDIRECT_URI, "user" + (USERS - 1 - who), "Own-pass-" + (USERS - 1 - who) + "-x");
                    ordinary.add(new long[] {at - start, a.nanos(), a.outcome() == SourceBoundLogin.Outcome.LOGGED_IN ? 1 : 0});
                    sleep(2000 + r.nextInt(2000)); // a person's pace between sign-ins (load shape, not a wait)
                }
                return null;
            });
        }
        if (sentinel) {
            clock.scheduleWithFixedDelay(() -> {
                if (detectedAt.get() < 0 && "UNDER_ATTACK".equals(node.admin().get("/admin/realms/" + realm.name()
                        + "/sentinel-admin/attack").expect(200).json().get("state").asText())) {
                    hashesAtDetection.set((long) hashes(node));
                    detectedAt.set(System.nanoTime() - start);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
        }
        long periodMicros = 1_000_000L / RATE;
        for (int i = 0; i < combos.size(); i++) {
            String[] combo = combos.get(i);
            int n = i;
            boolean leakedRight = combo[0].startsWith("user") && Integer.parseInt(combo[0].substring(4)) < LEAKED;
            clock.schedule(() -> bots.submit(() -> {
                Page page = grant(node, realm, address(100 + n / 250, n % 250, 1), combo[0], combo[1]);
                shots.add(new Shot(System.nanoTime() - start, combo[0], leakedRight, page.status(), page.body()));
            }), i * periodMicros, TimeUnit.MICROSECONDS);
        }
        Poll.until("every attempt answered", Duration.ofSeconds(ATTEMPTS / RATE + 120),
                () -> shots.size() >= combos.size() ? Boolean.TRUE : null);
        running.set(false);
        clock.shutdownNow();
        bots.shutdown();
        people.shutdown();
        assertThat(bots.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(people.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        double hashesAfter = hashes(node);

        List<Shot> all = new ArrayList<>(shots);
        all.sort((a, b) -> Long.compare(a.atNanos(), b.atNanos()));
        List<Shot> taken = all.stream().filter(s -> s.status() == 200).toList();
        Set<Integer> statuses = new HashSet<>();
        Set<String> rightBodies = new HashSet<>();
        Set<String> otherBodies = new HashSet<>();
        long rightRefused = 0;
        for (Shot s : all) {
            statuses.add(s.status());
            if (s.status() != 200) {
                (s.leakedRight() ? rightBodies : otherBodies).add(s.status() + " " + s.body());
                rightRefused += s.leakedRight() ? 1 : 0;
            }
        }
        System.out.printf("[grant-botnet] %s: %d attempts at %d/s from %d /24s, %d leaked accounts on the list%n", label,
                all.size(), RATE, all.size(), LEAKED);
        System.out.printf("[grant-botnet] %s: accounts taken %d of %d (first after %.2f s)%n", label, taken.size(), LEAKED,
                taken.isEmpty() ? Double.NaN : taken.get(0).atNanos() / 1e9);
        if (sentinel) {
            System.out.printf("[grant-botnet] %s: UNDER_ATTACK after %.2f s; password hashes %d in all, %d after detection%n",
                    label, detectedAt.get() / 1e9, (long) (hashesAfter - hashesBefore),
                    hashesAtDetection.get() < 0 ? -1 : (long) (hashesAfter - hashesAtDetection.get()));
        } else {
            System.out.printf("[grant-botnet] %s: password hashes %d%n", label, (long) (hashesAfter - hashesBefore));
        }
        System.out.printf("[grant-botnet] %s: statuses %s; right passwords refused %d with answers %s; every other refusal"
                + " had one of %d answers; right-password answers a wrong one never got: %s%n", label, statuses,
                rightRefused, rightBodies.stream().map(b -> b.length() > 90 ? b.substring(0, 90) + "..." : b).toList(),
                otherBodies.size(), rightBodies.stream().filter(b -> !otherBodies.contains(b)).count());
        long[] times = ordinary.stream().mapToLong(o -> o[1]).toArray();
        long failed = ordinary.stream().filter(o -> o[2] == 0).count();
        BenchStats.print("grant-botnet", label + ", ordinary browser logins during the run (" + failed + " not signed in)",
                times);
        if (sentinel && detectedAt.get() > 0) {
            BenchStats.print("grant-botnet", label + ", ordinary logins after detection",
                    ordinary.stream().filter(o -> o[0] > detectedAt.get()).mapToLong(o -> o[1]).toArray());
        }
    }

    private static Page grant(KeycloakNode node, TestRealm realm, InetAddress source, String username, String password) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "password");
        fields.put("client_id", "admin-cli");
        fields.put("username", username);
        fields.put("password", password);
        return new Browser(source, "python-requests/2.32").post(node.baseUrl(),
                "/realms/" + realm.name() + "/protocol/openid-connect/token", fields);
    }

    private static double hashes(KeycloakNode node) {
        return Metrics.total(Metrics.scrape(node), HASHES).orElse(0);
    }

    private static InetAddress address(int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
