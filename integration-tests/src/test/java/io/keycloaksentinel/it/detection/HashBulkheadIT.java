package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.CodeFlow;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The hash bulkhead (issue 17) on a realm with Keycloak's own browser flow (Sentinel's guarded
 * form): a flood of risky password posts ({@value #THREADS} at once, each from a new /24, on
 * existing accounts, right and wrong passwords) fills the node's bulkhead while a returning user
 * signs in from her usual browser. Bounded: {@value #ATTEMPTS} attempts, every socket with a timeout.
 */
@KeycloakIT
@DisplayName("The hash bulkhead: a returning user never waits behind a flood of risky hashes")
class HashBulkheadIT {

    private static final int ACCOUNTS = 80;
    private static final int ATTEMPTS = 320;
    private static final int THREADS = 32;
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final String UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    private final KeycloakServer server;
    private TestRealm realm;

    HashBulkheadIT(KeycloakServer server) {
        this.server = server;
    }

    @AfterEach
    void tearDown() {
        if (realm != null) {
            realm.close();
        }
    }

    private record Answer(boolean right, int status, String retryAfter, String message, boolean loggedIn) {
    }

    @Test
    @DisplayName("While risky posts fill the bulkhead, the returning user signs in every time; a refusal costs no hash and answers right and wrong passwords alike, as a throttle")
    void floodFillsTheBulkhead() throws Exception {
        TestRealm.Builder builder = TestRealm.builder("bulkhead").user("rita", "Returning-pass-1");
        for (int i = 0; i < ACCOUNTS; i++) {
            builder.user("target" + i, "Right-pass-" + i);
        }
        realm = builder.create(server);
        Browser home = new Browser(SourceBoundLogin.loopback(7, 0, 1), UA);
        assertThat(CodeFlow.signIn(server, realm.name(), home, "rita", "Returning-pass-1", false)).isNotNull();
        server.admin().post("/admin/realms/" + realm.name() + "/users/" + server.admin().userId(realm.name(), "rita")
                + "/logout", Map.of()).expect(204);
        double hashesBefore = hashes();
        assertThat(hashesBefore).as("Keycloak counts this realm's validations").isPositive();
        double refusedBefore = bulkheadRefused();

        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        List<Future<?>> bots = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            bots.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < ATTEMPTS; i = next.getAndIncrement()) {
                    int account = i % ACCOUNTS;
                    boolean right = i % 2 == 0;
                    Browser bot = new Browser(SourceBoundLogin.loopback(100 + i / 250, i % 250, 1), UA);
                    Browser.Page page = CodeFlow.post(server, realm.name(), bot, "target" + account,
                            right ? "Right-pass-" + account : "Wrong-pass-" + i, false);
                    answers.add(new Answer(right, page.status(), page.retryAfter(), message(page.body()),
                            page.status() == 302 && CodeFlow.codeOf(page.location()) != null));
                }
                return null;
            }));
        }
        // the returning user, from her usual browser and network, while the flood runs
        List<Long> ritaMillis = new ArrayList<>();
        List<Boolean> ritaIn = new ArrayList<>();
        Future<?> rita = pool.submit(() -> {
            while (!done.get() && ritaIn.size() < 8) {
                long start = System.nanoTime();
                CodeFlow.Tokens t = CodeFlow.signIn(server, realm.name(), home, "rita", "Returning-pass-1", false);
                ritaMillis.add((System.nanoTime() - start) / 1_000_000);
                ritaIn.add(t != null);
                server.admin().post("/admin/realms/" + realm.name() + "/users/" + server.admin().userId(realm.name(), "rita")
                        + "/logout", Map.of()).expect(204);
                Thread.sleep(300);
            }
            return null;
        });
        for (Future<?> f : bots) {
            f.get(3, TimeUnit.MINUTES);
        }
        done.set(true);
        rita.get(1, TimeUnit.MINUTES);
        pool.shutdown();

        List<Answer> busy = answers.stream().filter(a -> a.status() == 429 && "sentinelThrottled".equals(a.message())).toList();
        long checked = answers.stream().filter(a -> a.status() != 429).count();
        double hashed = hashes() - hashesBefore;
        double refused = bulkheadRefused() - refusedBefore;
        System.out.printf("[hash bulkhead] %d risky posts, %d at once: %d refused as busy (metric %.0f), %d checked, %.0f hashes;"
                        + " the returning user: %s in, %s ms; answers %s%n", ATTEMPTS, THREADS, busy.size(), refused, checked,
                hashed, ritaIn, ritaMillis, answers.stream().map(a -> a.status() + ":" + a.message()).distinct().toList());

        assertThat(ritaIn).as("the returning user signs in every time").isNotEmpty().allMatch(Boolean::booleanValue);
        assertThat(busy).as("the flood filled the bulkhead").isNotEmpty();
        assertThat(refused).isEqualTo(busy.size());
        assertThat(hashed).as("a hash for every checked post and the returning user's sign-ins, none for a refusal")
                .isEqualTo(checked + ritaIn.size());
        // right and wrong passwords refused by the bulkhead: one answer
        assertThat(busy.stream().filter(Answer::right)).isNotEmpty();
        assertThat(busy.stream().filter(a -> !a.right())).isNotEmpty();
        assertThat(busy).allMatch(a -> "5".equals(a.retryAfter()) && !a.loggedIn());
        assertThat(answers).filteredOn(a -> a.status() == 429).allMatch(a -> "sentinelThrottled".equals(a.message())
                || "sentinelUnknownSourceLocked".equals(a.message()));
    }

    /** The login page's error message key (as the theme renders it, identified by its English text), or the status line. */
    private static String message(String body) {
        if (body == null) {
            return "none";
        }
        if (body.contains("Too many failed sign-in attempts came from your network")) {
            return "sentinelThrottled";
        }
        if (body.contains("came from unfamiliar locations")) {
            return "sentinelUnknownSourceLocked";
        }
        if (body.contains("Invalid username or password")) {
            return "invalid";
        }
        Matcher m = Pattern.compile("kc-feedback-text\">([^<]{0,80})").matcher(body);
        return m.find() ? m.group(1).strip() : "none";
    }

    /** Keycloak's password validations in this test's realm (its counter is per realm, algorithm and outcome). */
    private double hashes() {
        double sum = 0;
        for (String line : Metrics.scrape(server).split("\n")) {
            if (line.startsWith(HASHES + "{") && line.contains("realm=\"" + realm.name() + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private double bulkheadRefused() {
        return Metrics.value(Metrics.scrape(server), "sentinel_password_guard_total", "outcome=\"bulkhead_refused\"",
                "realm=\"" + realm.name() + "\"").orElse(0.0);
    }
}
