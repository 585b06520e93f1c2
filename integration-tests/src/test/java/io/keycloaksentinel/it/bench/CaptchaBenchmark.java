package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.bench.RawLogin.Outcome;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * What the adaptive CAPTCHA costs the server and what it spares ordinary users, in two parts.
 * Not an {@code *IT}: the default {@code ./mvnw verify} does not run it; run it by hand (command
 * and figures in docs/BENCHMARKS.md, section "Adaptive CAPTCHA"):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=CaptchaBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * <p><b>1. Server CPU per attempt</b> ({@code #cpuPerAttempt}). One Keycloak with Sentinel, one realm
 * with the Sentinel login form, every request from 127.0.0.1 (its throttle limits raised out of
 * reach, Keycloak's brute-force protection off, so every post takes the path under test). Each
 * series is {@code -Dbench.cpu.attempts} (300) sequential attempts by a bot's client (one socket
 * a request, {@code Connection: close}); the server's CPU time (utime + stime of the server
 * process tree from {@code /proc/<pid>/stat}, 10 ms ticks) is read before and after the series
 * and divided by the attempts, raw and net of the server's idle CPU rate (measured over
 * {@code -Dbench.cpu.idle.seconds}, 10 s, before and after). Series: the login page alone (GET);
 * GET + POST of a wrong password with CAPTCHA mode {@code never} (the password is checked: one
 * Argon2id hash); the same POSTs without the GET (a bot posting again to the form each answer
 * re-renders); with mode {@code always}, GET + POST without an answer, with an invalid answer,
 * and POST-only without an answer (refused before any lookup or hash); and with mode
 * {@code always}, a solved answer and a wrong password (the widget request, the answer's check
 * and the hash: what a passing answer adds); and, shaped as the flood of part 2, GET + POST
 * without an answer for a new unknown username each time, from the flood's 300 addresses,
 * {@code -Dbench.flood.concurrency} (32) at a time, five times as many attempts. The work is lowered to 1,000 in this part (the
 * server checks an answer with one SHA-256 and one HMAC whatever the work). The hash counter
 * ({@code keycloak_credentials_password_hashing_validations_total}) is read around each series:
 * the refused series must add none. Warm-up first ({@code -Dbench.cpu.warmup}: 300 of each
 * series that checks a password, five times as many of the others, as a C2-only JVM compiles a
 * method after ~10,000 calls), then {@code -Dbench.cpu.rounds} (3) rounds of all series; the
 * summary gives the mean of the rounds and the last round.
 *
 * <p><b>2. Credential-stuffing flood, ordinary users solving the CAPTCHA</b>
 * ({@code #floodWithOrdinaryUsers}). On plain Keycloak ({@code BuiltDistribution.plain()},
 * Keycloak's own form) and then on Keycloak with Sentinel (Sentinel's form, default thresholds,
 * CAPTCHA mode {@code risky}, default work), each on its own node started after the other is
 * stopped: a realm of {@code attempts / 30} accounts on a leaked password, {@code attempts / 15}
 * other real accounts and the ordinary users; the botnet of BotnetReplayIT scaled up: 300 loopback
 * source addresses, {@code -Dbench.flood.attempts} (3,000) attempts, one per account, in a
 * shuffled combo list (~90 % unknown usernames, ~3.3 % leaked passwords), offered at
 * {@code -Dbench.flood.rate} (100) attempts a second, at most {@code -Dbench.flood.concurrency}
 * (32) in flight, for at most {@code -Dbench.flood.seconds} (150; attempts not started by then are
 * dropped and counted). The 300 addresses are spread over {@code -Dbench.flood.networks} /24
 * networks (300: one each, so Sentinel's per-network throttle does not take the flood before the
 * CAPTCHA does; 2 gives BotnetReplayIT's layout). Bots never solve a CAPTCHA. Meanwhile
 * {@code -Dbench.users} (10) ordinary users log in {@code -Dbench.user.logins} (20) times each from
 * 127.0.0.1, {@code -Dbench.user.pause.ms} (500) apart (GET page, POST, code exchange as
 * {@code LoginClient} does), and when the page asks for the CAPTCHA they fetch the challenge from
 * the realm's widget endpoint and solve it in Java at the realm's real work ({@link FastProofOfWork},
 * the search of {@code ProofOfWork.solve} without a hex string a number; {@code -Dbench.flood.work}
 * sets one work for every risk level of the attacked realm instead, e.g. 1000 to take the
 * solving's CPU off the machine the server shares); their latency is recorded with and without
 * the solve. The same ordinary users log in first without any attack (the no-attack baseline).
 * Each server is warmed up first in realms of its own ({@code -Dbench.warmup}, 300 logins, and
 * {@code -Dbench.warmup.cheap}, 1,500 page GETs and on Sentinel 1,500 CAPTCHA refusals; then the
 * whole flood with its ordinary users, not measured, unless {@code -Dbench.flood.warmup=false}: a
 * server compiling with C2 only otherwise spends much of the measured flood compiling its paths,
 * which a server that has been up for a while has long done). Printed per side: attempts made, taken over, refused before any hash
 * (429 and CAPTCHA), password checks (validation counter and Keycloak's dummy hash of unknown
 * usernames), the server's CPU and the test JVM's (bots, ordinary users, their solving: the same
 * two cores), the attack states seen, the ordinary users' p50/p95.
 *
 * <p>Both parts give the servers {@code -XX:-TieredCompilation} by default
 * ({@code -Dbench.server.java.opts}; an empty value gives Keycloak's own JVM options): see
 * {@code LoginLatencyBenchmark} on the two Argon2 speeds a JVM can settle into. Nothing is timed
 * against a target (shared machines are noisy): the benchmark prints figures and checks only that
 * refused attempts were refused and not hashed and that ordinary users logged in. Every loop is
 * bounded in count and in time.
 */
@DisplayName("Adaptive CAPTCHA: server CPU per refused attempt; a credential-stuffing flood with ordinary users solving the CAPTCHA")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaptchaBenchmark {

    private static final String SERVER_JAVA_OPTS = System.getProperty("bench.server.java.opts", "-XX:-TieredCompilation").trim();

    private static final int CPU_ATTEMPTS = Integer.getInteger("bench.cpu.attempts", 300);
    /** Warm-up attempts of each series that checks a password; the cheap series get five times as many. */
    private static final int CPU_WARMUP = Integer.getInteger("bench.cpu.warmup", 300);
    private static final int CPU_ROUNDS = Integer.getInteger("bench.cpu.rounds", 3);
    private static final int CPU_IDLE_SECONDS = Integer.getInteger("bench.cpu.idle.seconds", 10);

    private static final int FLOOD_ATTEMPTS = Integer.getInteger("bench.flood.attempts", 3000);
    private static final double FLOOD_RATE = Double.parseDouble(System.getProperty("bench.flood.rate", "100"));
    private static final int FLOOD_CONCURRENCY = Integer.getInteger("bench.flood.concurrency", 32);
    private static final int FLOOD_SECONDS = Integer.getInteger("bench.flood.seconds", 150);
    private static final int FLOOD_ADDRESSES = 300;
    private static final int FLOOD_NETWORKS = Integer.getInteger("bench.flood.networks", 300);
    private static final String FLOOD_SIDES = System.getProperty("bench.flood.sides", "plain,sentinel");
    /** The proof-of-work (ALTCHA maxnumber) of every risk level in the attacked realm; 0: the realm's defaults. */
    private static final int FLOOD_WORK = Integer.getInteger("bench.flood.work", 0);
    private static final int USERS = Integer.getInteger("bench.users", 10);
    private static final int USER_LOGINS = Integer.getInteger("bench.user.logins", 20);
    private static final long USER_PAUSE_MS = Integer.getInteger("bench.user.pause.ms", 500);
    /** Ordinary users start this long after the flood. */
    private static final long USER_LEAD_MS = Integer.getInteger("bench.user.lead.ms", 2000);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 300);
    /** A whole flood (with ordinary users) in a realm of its own before the measured one. */
    private static final boolean FLOOD_WARMUP = Boolean.parseBoolean(System.getProperty("bench.flood.warmup", "true"));
    /** Bot attempts of the warm-up that check no password (page GETs; on Sentinel, CAPTCHA refusals too). */
    private static final int WARMUP_CHEAP = Integer.getInteger("bench.warmup.cheap", 1500);

    private static final String USER = "bench-user";
    private static final String PASSWORD = "Bench-pass-2026!";
    private static final String WRONG_PASSWORD = "Bench-pass-2025!";
    private static final String INVALID_ANSWER = "bm90IGFuIGFuc3dlcg=="; // base64 of "not an answer"
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final String LOADER = "sentinel/captcha.js";

    // ---------------------------------------------------------------- part 1: CPU per attempt

    /**
     * How one series plays an attempt: the page alone, page and post, posts only; or page and
     * post as the flood's bots do them ({@code FLOOD}: a new unknown username each time, from the
     * flood's 300 addresses, {@code -Dbench.flood.concurrency} at a time, five times as many attempts).
     */
    private enum Kind { PAGE, PAGE_POST, POST_ONLY, FLOOD }

    private record Series(String label, String mode, Kind kind, String answer, Outcome expected) {
        boolean hashes() {
            return expected == Outcome.PASSWORD_REFUSED;
        }

        int attempts(int base) {
            return kind == Kind.FLOOD ? 5 * base : base;
        }
    }

    private record Measured(Series series, int attempts, double cpuMs, double wallMs, double hashes) {
    }

    @Test
    @Order(1)
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    @DisplayName("Server CPU per attempt: password checked (mode never) against refused at the CAPTCHA (mode always)")
    void cpuPerAttempt() throws Exception {
        List<Series> all = List.of(
                new Series("page GET only", "never", Kind.PAGE, null, null),
                new Series("page GET only", "always", Kind.PAGE, null, null),
                new Series("GET + POST wrong password (hash)", "never", Kind.PAGE_POST, null, Outcome.PASSWORD_REFUSED),
                new Series("POST only wrong password (hash)", "never", Kind.POST_ONLY, null, Outcome.PASSWORD_REFUSED),
                new Series("GET + POST no answer (refused)", "always", Kind.PAGE_POST, null, Outcome.CAPTCHA_REFUSED),
                new Series("GET + POST invalid answer (refused)", "always", Kind.PAGE_POST, INVALID_ANSWER,
                        Outcome.CAPTCHA_REFUSED),
                new Series("POST only no answer (refused)", "always", Kind.POST_ONLY, null, Outcome.CAPTCHA_REFUSED),
                new Series("GET + widget + POST solved answer, wrong password (hash)", "always", Kind.PAGE_POST,
                        "solved", Outcome.PASSWORD_REFUSED),
                new Series("GET + POST no answer, flood-shaped (refused)", "always", Kind.FLOOD, null,
                        Outcome.CAPTCHA_REFUSED));
        try (KeycloakNode node = start("sentinel", "captcha-cpu")) {
            ProcessCpu cpu = new ProcessCpu(node.pid());
            TestRealm realm = TestRealm.builder("captcha-cpu").user(USER, PASSWORD)
                    .customize(r -> r.setBruteForceProtected(false)).create(node);
            SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
            // every attempt comes from 127.0.0.1 for one username: no Sentinel throttle may step in
            node.admin().put(configPath(realm), Map.of("ipFailuresPerDay", 1_000_000, "networkFailuresPer15m", 1_000_000,
                    "networkUsernamesPer15m", 1_000_000, "unknownSourceFailuresPer15m", 1_000_000)).expect(200);
            captcha(node, realm, Map.of("workLow", 1000, "workMedium", 1000, "workHigh", 1000));
            System.out.printf("[captcha-cpu] server pid %d (JVM %d), extra JVM options: %s; %d attempts a series,"
                            + " %d warm-up, %d rounds%n", node.pid(), cpu.javaPid(),
                    SERVER_JAVA_OPTS.isEmpty() ? "none" : SERVER_JAVA_OPTS, CPU_ATTEMPTS, CPU_WARMUP, CPU_ROUNDS);

            for (Series s : all) { // warm-up, not measured
                captcha(node, realm, Map.of("mode", s.mode()));
                // a server compiling with C2 only (-XX:-TieredCompilation) compiles a method after
                // ~10,000 calls: the cheap series get 5x the warm-up, as they cost a tenth
                runSeries(node, realm, s, s.hashes() ? CPU_WARMUP : 5 * CPU_WARMUP);
            }
            double idleBefore = idleRate(cpu);
            List<Measured> measured = new ArrayList<>();
            for (int round = 1; round <= CPU_ROUNDS; round++) {
                for (Series s : all) {
                    captcha(node, realm, Map.of("mode", s.mode()));
                    double hashesBefore = hashes(node);
                    double cpuBefore = cpu.millis();
                    long wallBefore = System.nanoTime();
                    int done = runSeries(node, realm, s, s.attempts(CPU_ATTEMPTS));
                    long wall = System.nanoTime() - wallBefore;
                    double cpuUsed = cpu.millis() - cpuBefore;
                    double hashed = hashes(node) - hashesBefore;
                    Measured m = new Measured(s, done, cpuUsed, wall / 1e6, hashed);
                    measured.add(m);
                    System.out.printf("[captcha-cpu] round %d, mode %s, %s: %d attempts, server CPU %.0f ms (%.2f ms an"
                                    + " attempt), wall %.1f ms an attempt, hashes %.0f; realm state %s; ended %s%n", round,
                            s.mode(), s.label(), done, cpuUsed, cpuUsed / done, m.wallMs() / done, hashed,
                            attackState(node, realm), java.time.Instant.now());
                    if (s.kind() != Kind.PAGE) {
                        assertThat(hashed).as("hashes in %s", s.label()).isEqualTo(s.hashes() ? done : 0);
                    }
                }
            }
            double idleAfter = idleRate(cpu);
            double idle = (idleBefore + idleAfter) / 2;
            System.out.printf("[captcha-cpu] server idle CPU: %.2f ms/s before, %.2f ms/s after (mean %.2f ms/s,"
                    + " subtracted below for each series' wall time)%n", idleBefore, idleAfter, idle);
            Map<String, double[]> net = new LinkedHashMap<>();
            for (Series s : all) {
                List<Measured> ms = measured.stream().filter(m -> m.series() == s).toList();
                double attempts = ms.stream().mapToDouble(Measured::attempts).sum();
                double raw = ms.stream().mapToDouble(Measured::cpuMs).sum() / attempts;
                double wall = ms.stream().mapToDouble(Measured::wallMs).sum();
                double netMs = (ms.stream().mapToDouble(Measured::cpuMs).sum() - idle * wall / 1000) / attempts;
                String perRound = String.join(" / ", ms.stream().map(m -> String.format("%.2f", m.cpuMs() / m.attempts())).toList());
                Measured last = ms.get(ms.size() - 1);
                net.put(s.mode() + " " + s.label(), new double[] {raw, netMs, wall / attempts, last.cpuMs() / last.attempts()});
                System.out.printf("[captcha-cpu] SUMMARY mode %-6s %-58s CPU %.2f ms an attempt (rounds %s), net of idle"
                        + " %.2f ms, wall %.1f ms, hashes %.0f of %.0f%n", s.mode(), s.label(), raw, perRound, netMs,
                        wall / attempts, ms.stream().mapToDouble(Measured::hashes).sum(), attempts);
            }
            ratio(net, "always GET + POST no answer (refused)", "never GET + POST wrong password (hash)");
            ratio(net, "always GET + POST invalid answer (refused)", "never GET + POST wrong password (hash)");
            ratio(net, "always POST only no answer (refused)", "never POST only wrong password (hash)");
            ratio(net, "always POST only no answer (refused)", "never GET + POST wrong password (hash)");
            ratio(net, "always GET + POST no answer, flood-shaped (refused)", "never GET + POST wrong password (hash)");
            double[] getNever = net.get("never page GET only");
            double[] getAlways = net.get("always page GET only");
            System.out.printf("[captcha-cpu] POST part by difference (GET + POST minus GET only, net): password checked"
                            + " %.2f ms, refused without answer %.2f ms, refused with invalid answer %.2f ms%n",
                    net.get("never GET + POST wrong password (hash)")[1] - getNever[1],
                    net.get("always GET + POST no answer (refused)")[1] - getAlways[1],
                    net.get("always GET + POST invalid answer (refused)")[1] - getAlways[1]);
            realm.close();
        }
    }

    private static void ratio(Map<String, double[]> net, String refused, String checked) {
        double[] r = net.get(refused);
        double[] c = net.get(checked);
        System.out.printf("[captcha-cpu] RATIO %s / %s: %.1f %% (all rounds, raw), %.1f %% (net of idle),"
                + " %.1f %% (last round, raw)%n", refused, checked, 100 * r[0] / c[0], 100 * r[1] / c[1], 100 * r[3] / c[3]);
    }

    /**
     * Plays {@code count} attempts of a series (the realm's mode already set, so that no admin
     * request falls into the measurement); returns how many it played (all, or fewer at its
     * 5-minute budget).
     */
    private static int runSeries(KeycloakNode node, TestRealm realm, Series s, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        if (s.kind() == Kind.FLOOD) {
            return floodSeries(node, realm, s, count, deadline);
        }
        RawLogin bot = new RawLogin(node.baseUrl(), InetAddress.getByName("127.0.0.1"));
        RawLogin.Form form = s.kind() == Kind.POST_ONLY ? bot.page(realm.name()).orElseThrow() : null;
        int done = 0;
        for (; done < count && System.nanoTime() < deadline; done++) {
            switch (s.kind()) {
                case PAGE -> assertThat(bot.page(realm.name())).as("login page %d", done).isPresent();
                case PAGE_POST -> {
                    RawLogin.Form page = bot.page(realm.name()).orElseThrow();
                    String answer = "solved".equals(s.answer()) ? solvedAnswer(node, realm) : s.answer();
                    RawLogin.Posted p = bot.post(page, RawLogin.fields(USER, WRONG_PASSWORD, answer));
                    assertThat(p.outcome()).as("%s, attempt %d (HTTP %d)", s.label(), done, p.status()).isEqualTo(s.expected());
                }
                case POST_ONLY -> {
                    RawLogin.Posted p = bot.post(form, RawLogin.fields(USER, WRONG_PASSWORD, s.answer()));
                    assertThat(p.outcome()).as("%s, attempt %d (HTTP %d)", s.label(), done, p.status()).isEqualTo(s.expected());
                    form = p.next().orElseThrow(() -> new AssertionError("no form to post again after " + p));
                }
            }
        }
        if (done < count) {
            System.out.printf("[captcha-cpu] %s stopped at its time budget after %d of %d attempts%n", s.label(), done, count);
        }
        return done;
    }

    /** {@code count} bot attempts as in the flood (unknown usernames, 300 addresses), as fast as the server answers. */
    private static int floodSeries(KeycloakNode node, TestRealm realm, Series s, int count, long deadline) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(FLOOD_CONCURRENCY);
        List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < FLOOD_CONCURRENCY; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < count && System.nanoTime() < deadline; i = next.getAndIncrement()) {
                    RawLogin bot = new RawLogin(node.baseUrl(), floodAddress(i % FLOOD_ADDRESSES));
                    RawLogin.Posted p = bot.post(bot.page(realm.name()).orElseThrow(),
                            RawLogin.fields("victim" + i + "@mail.example", WRONG_PASSWORD, s.answer()));
                    assertThat(p.outcome()).as("%s, attempt %d (HTTP %d)", s.label(), i, p.status()).isEqualTo(s.expected());
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        pool.shutdown();
        for (var w : workers) {
            w.get(Math.max(1, deadline - System.nanoTime()) + TimeUnit.MINUTES.toNanos(2), TimeUnit.NANOSECONDS);
        }
        if (done.get() < count) {
            System.out.printf("[captcha-cpu] %s stopped at its time budget after %d of %d attempts%n", s.label(), done.get(),
                    count);
        }
        return done.get();
    }

    private static String solvedAnswer(KeycloakNode node, TestRealm realm) {
        JsonNode challenge = ProofOfWork.challenge(node, realm.name());
        return ProofOfWork.answer(challenge, FastProofOfWork.search(challenge));
    }

    /** The server's CPU milliseconds a second while nothing is asked of it. */
    private static double idleRate(ProcessCpu cpu) throws InterruptedException {
        double before = cpu.millis();
        long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(CPU_IDLE_SECONDS));
        return (cpu.millis() - before) / ((System.nanoTime() - start) / 1e9);
    }

    // ---------------------------------------------------------------- part 2: the flood

    private record Combo(String username, String password, boolean known, boolean leaked) {
    }

    private record BotAttempt(Combo combo, Outcome outcome, int status, double ms) {
    }

    /** One ordinary login; {@code startedAt} in seconds from the start of its phase (the flood's start under attack). */
    private record OrdinaryLogin(double startedAt, double totalMs, double solveMs, boolean asked, int tries,
                                 boolean loggedIn) {
        double withoutSolveMs() {
            return totalMs - solveMs;
        }
    }

    /** What one side of the flood comparison measured. */
    private record SideResult(String kind, List<OrdinaryLogin> baseline, List<OrdinaryLogin> underAttack,
                              List<BotAttempt> bots, int dropped, double floodSeconds, double serverCpuSeconds,
                              double hashCounter, String states) {

        long count(Outcome o) {
            return bots.stream().filter(b -> b.outcome() == o).count();
        }

        long dummyHashes() {
            return bots.stream().filter(b -> !b.combo().known() && b.outcome() == Outcome.PASSWORD_REFUSED).count();
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    @DisplayName("A credential-stuffing flood at several times the hashing capacity, ordinary users solving the CAPTCHA: plain Keycloak, then Keycloak with Sentinel")
    void floodWithOrdinaryUsers() throws Exception {
        assertThat(FLOOD_NETWORKS).as("-Dbench.flood.networks: 2 to 300").isBetween(2, FLOOD_ADDRESSES);
        List<SideResult> results = new ArrayList<>();
        for (String kind : FLOOD_SIDES.split(",")) {
            assertThat(kind).as("-Dbench.flood.sides: plain and/or sentinel").isIn("plain", "sentinel");
            try (KeycloakNode node = start(kind, "captcha-flood-" + kind)) {
                results.add(floodSide(kind, node));
            }
        }
        System.out.println("[captcha-flood] ==== summary ====");
        for (SideResult r : results) {
            long made = r.bots().size();
            long refused = r.count(Outcome.THROTTLED) + r.count(Outcome.CAPTCHA_REFUSED);
            long checked = r.count(Outcome.PASSWORD_REFUSED) + r.count(Outcome.LOGGED_IN);
            System.out.printf("[captcha-flood] %s: %d attempts made in %.1f s (%.1f/s; %d dropped at the time limit),"
                            + " %d accounts taken over (of %d leaked attempted), refused before any hash %d (429: %d,"
                            + " CAPTCHA: %d), password checks %d (validation counter +%.0f during the flood including"
                            + " ordinary users, dummy hashes of unknown usernames %d), other %d; server CPU %.1f s"
                            + " (%.2f cores); states %s%n",
                    r.kind(), made, r.floodSeconds(), made / r.floodSeconds(), r.dropped(), r.count(Outcome.LOGGED_IN),
                    r.bots().stream().filter(b -> b.combo().leaked()).count(), refused, r.count(Outcome.THROTTLED),
                    r.count(Outcome.CAPTCHA_REFUSED), checked, r.hashCounter(), r.dummyHashes(), r.count(Outcome.OTHER),
                    r.serverCpuSeconds(), r.serverCpuSeconds() / r.floodSeconds(), r.states());
            printOrdinary(r.kind() + " no attack", r.baseline());
            printOrdinary(r.kind() + " under attack", r.underAttack());
            double baseP95 = BenchStats.percentile(BenchStats.sorted(r.baseline().stream().filter(OrdinaryLogin::loggedIn)
                    .map(OrdinaryLogin::totalMs).toList()), 95);
            double[] attack = BenchStats.sorted(r.underAttack().stream().filter(OrdinaryLogin::loggedIn)
                    .map(OrdinaryLogin::totalMs).toList());
            double[] attackNoSolve = BenchStats.sorted(r.underAttack().stream().filter(OrdinaryLogin::loggedIn)
                    .map(OrdinaryLogin::withoutSolveMs).toList());
            System.out.printf("[captcha-flood] %s: ordinary p95 under attack / no attack: %.2fx with the solve,"
                            + " %.2fx without (target with Sentinel: within 2x)%n", r.kind(),
                    BenchStats.percentile(attack, 95) / baseP95, BenchStats.percentile(attackNoSolve, 95) / baseP95);
        }
        for (SideResult r : results) {
            assertThat(r.baseline()).as("%s: ordinary logins without attack", r.kind()).allMatch(OrdinaryLogin::loggedIn);
            assertThat(r.underAttack()).as("%s: ordinary logins under attack", r.kind()).isNotEmpty()
                    .allMatch(OrdinaryLogin::loggedIn);
            assertThat(r.count(Outcome.OTHER)).as("%s: bot attempts with an unexpected answer", r.kind()).isZero();
        }
    }

    /** The ordinary logins under attack by when they started (5-second buckets from the flood's start). */
    private static void printBuckets(String kind, List<OrdinaryLogin> logins) {
        Map<Integer, List<OrdinaryLogin>> buckets = new java.util.TreeMap<>();
        logins.stream().filter(OrdinaryLogin::loggedIn).forEach(l -> buckets.computeIfAbsent((int) (l.startedAt() / 5),
                k -> new ArrayList<>()).add(l));
        buckets.forEach((b, ls) -> {
            double[] with = BenchStats.sorted(ls.stream().map(OrdinaryLogin::totalMs).toList());
            double[] without = BenchStats.sorted(ls.stream().map(OrdinaryLogin::withoutSolveMs).toList());
            System.out.printf("[captcha-flood] %s under attack, logins started %d-%d s after the flood's start: n=%d,"
                            + " with the solve p50 %.0f p95 %.0f ms, without p50 %.0f p95 %.0f ms%n", kind, 5 * b, 5 * b + 5,
                    ls.size(), BenchStats.percentile(with, 50), BenchStats.percentile(with, 95),
                    BenchStats.percentile(without, 50), BenchStats.percentile(without, 95));
        });
    }

    private static void printOrdinary(String label, List<OrdinaryLogin> logins) {
        List<OrdinaryLogin> ok = logins.stream().filter(OrdinaryLogin::loggedIn).toList();
        System.out.printf("[captcha-flood] ordinary users, %s: %d logins (%d failed), CAPTCHA asked %d times, retries %d;"
                        + " whole login with the solve: %s; without the solve: %s; solve alone (asked): %s%n",
                label, logins.size(), logins.size() - ok.size(), ok.stream().filter(OrdinaryLogin::asked).count(),
                ok.stream().mapToInt(l -> l.tries() - 1).sum(),
                BenchStats.summary(ok.stream().map(OrdinaryLogin::totalMs).toList()),
                BenchStats.summary(ok.stream().map(OrdinaryLogin::withoutSolveMs).toList()),
                BenchStats.summary(ok.stream().filter(OrdinaryLogin::asked).map(OrdinaryLogin::solveMs).toList()));
    }

    private static SideResult floodSide(String kind, KeycloakNode node) throws Exception {
        boolean sentinel = kind.equals("sentinel");
        assertThat(node.admin().serverInfo().toString().contains("sentinel-login-form"))
                .as("Sentinel installed on %s", kind).isEqualTo(sentinel);
        warmUp(node, sentinel);
        if (FLOOD_WARMUP) {
            // the same flood in a realm of its own, not measured: a server compiling with C2 only
            // compiles the flood's paths during the first flood (seen: ~27 s of compilation in a
            // 30-second flood), which a server that has been up for a while has long done
            floodRound(kind + " warm-up flood", sentinel, node, false);
        }
        return floodRound(kind, sentinel, node, true);
    }

    /** One flood in a fresh realm; {@code measured}: with the no-attack baseline before it. */
    private static SideResult floodRound(String kind, boolean sentinel, KeycloakNode node, boolean measured)
            throws Exception {
        ProcessCpu cpu = new ProcessCpu(node.pid());

        // the attacked realm: leaked accounts, other real accounts, the ordinary users
        int leaked = FLOOD_ATTEMPTS / 30;
        int realWrong = FLOOD_ATTEMPTS / 15;
        TestRealm.Builder builder = TestRealm.builder("flood");
        for (int i = 0; i < leaked; i++) {
            builder.user("reused" + i, "Summer2019!" + i);
        }
        for (int i = 0; i < realWrong; i++) {
            builder.user("member" + i, "Member-pass-" + i);
        }
        for (int u = 0; u < USERS; u++) {
            builder.user("ordinary" + u, "Ordinary-pass-" + u);
        }
        long creating = System.nanoTime();
        TestRealm realm = builder.create(node);
        if (sentinel) {
            SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
            if (FLOOD_WORK > 0) {
                captcha(node, realm, Map.of("workLow", FLOOD_WORK, "workMedium", FLOOD_WORK, "workHigh", FLOOD_WORK));
            }
        }
        JsonNode r = node.admin().get("/admin/realms/" + realm.name()).expect(200).json();
        System.out.printf("[captcha-flood] %s (pid %d, JVM %d): realm %s with %d users created in %.1f s; browser flow %s,"
                        + " brute-force protection %s; CAPTCHA %s; extra JVM options: %s%n", kind, node.pid(), cpu.javaPid(),
                realm.name(), leaked + realWrong + USERS, (System.nanoTime() - creating) / 1e9, r.path("browserFlow").asText(),
                r.path("bruteForceProtected").asText(), sentinel ? node.admin().get(captchaPath(realm)).expect(200).json() : "none",
                SERVER_JAVA_OPTS.isEmpty() ? "none" : SERVER_JAVA_OPTS);

        List<Combo> combos = new ArrayList<>();
        for (int i = 0; i < leaked; i++) {
            combos.add(new Combo("reused" + i, "Summer2019!" + i, true, true));
        }
        for (int i = 0; i < realWrong; i++) {
            combos.add(new Combo("member" + i, "Password" + i + "!", true, false));
        }
        while (combos.size() < FLOOD_ATTEMPTS) {
            combos.add(new Combo("victim" + combos.size() + "@mail.example", "qwerty" + combos.size(), false, false));
        }
        Collections.shuffle(combos, new Random(42));

        // no attack: the ordinary users alone
        List<OrdinaryLogin> baseline = !measured ? List.of() : ordinaryUsers(node, realm, 0, new AtomicBoolean(true),
                System.nanoTime() + TimeUnit.MINUTES.toNanos(5));
        if (measured) {
            printOrdinary(kind + " no attack", baseline);
        }
        if (sentinel && measured) {
            System.out.println("[captcha-flood] sentinel: state after the no-attack logins: " + attackState(node, realm));
        }

        // the flood, the ordinary users during it, and (Sentinel) the attack state sampled every 500 ms
        double hashesBefore = hashes(node);
        ProcessCpu client = ProcessCpu.self();
        double clientBefore = client.millis();
        double cpuBefore = cpu.millis();
        ConcurrentLinkedQueue<BotAttempt> bots = new ConcurrentLinkedQueue<>();
        AtomicInteger dropped = new AtomicInteger();
        AtomicBoolean flooding = new AtomicBoolean(true);
        long start = System.nanoTime();
        System.out.println("[captcha-flood] " + kind + ": flood starts " + java.time.Instant.now());
        long deadline = start + TimeUnit.SECONDS.toNanos(FLOOD_SECONDS);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(FLOOD_CONCURRENCY, FLOOD_CONCURRENCY, 1, TimeUnit.MINUTES,
                new LinkedBlockingQueue<>());
        Thread dispatcher = new Thread(() -> {
            for (int j = 0; j < combos.size(); j++) {
                long due = start + (long) (j * 1e9 / FLOOD_RATE);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    dropped.addAndGet(combos.size() - j);
                    return;
                }
                int index = j;
                pool.execute(() -> {
                    if (System.nanoTime() > deadline) {
                        dropped.incrementAndGet();
                        return;
                    }
                    bots.add(botAttempt(node, realm, combos.get(index), floodAddress(index % FLOOD_ADDRESSES)));
                });
            }
        }, "flood-dispatcher");
        List<String> states = Collections.synchronizedList(new ArrayList<>());
        AtomicLong underAttackAt = new AtomicLong(-1);
        AtomicInteger underAttackAfter = new AtomicInteger(-1);
        Thread sampler = new Thread(() -> {
            String last = null;
            while (flooding.get()) {
                try {
                    String state = attackState(node, realm);
                    double at = (System.nanoTime() - start) / 1e9;
                    if (!state.equals(last)) {
                        states.add(String.format("%s at %.1f s (%d attempts)", state, at, bots.size()));
                        last = state;
                    }
                    if (state.equals("UNDER_ATTACK") && underAttackAt.get() < 0) {
                        underAttackAt.set(System.nanoTime() - start);
                        underAttackAfter.set(bots.size());
                    }
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    states.add("sample failed: " + e);
                }
            }
        }, "attack-state-sampler");
        dispatcher.start();
        if (sentinel) {
            sampler.start();
        }
        ExecutorService ordinaryPool = Executors.newSingleThreadExecutor();
        var ordinaryRun = ordinaryPool.submit(() -> ordinaryUsers(node, realm, USER_LEAD_MS, flooding,
                deadline + TimeUnit.SECONDS.toNanos(30)));
        dispatcher.join(TimeUnit.SECONDS.toMillis(FLOOD_SECONDS + 10));
        pool.shutdown();
        if (!pool.awaitTermination(Math.max(1, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(120),
                TimeUnit.NANOSECONDS)) {
            System.out.println("[captcha-flood] bot attempts still running after the time limit: cancelled");
            pool.shutdownNow();
        }
        double floodSeconds = (System.nanoTime() - start) / 1e9;
        System.out.println("[captcha-flood] " + kind + ": last bot attempt done " + java.time.Instant.now());
        flooding.set(false);
        List<OrdinaryLogin> underAttack = ordinaryRun.get(10, TimeUnit.MINUTES);
        ordinaryPool.shutdown();
        double cpuSeconds = (cpu.millis() - cpuBefore) / 1000;
        double clientSeconds = (client.millis() - clientBefore) / 1000;
        sampler.join(5_000);
        double hashed = hashes(node) - hashesBefore;
        String stateLine = sentinel ? String.format("%s; UNDER_ATTACK first seen after %d attempts, %.1f s; now %s", states,
                underAttackAfter.get(), underAttackAt.get() / 1e9, attackState(node, realm)) : "n/a (plain Keycloak)";
        if (sentinel) {
            String scrape = Metrics.scrape(node);
            StringBuilder captcha = new StringBuilder();
            for (String outcome : List.of("shown", "missing", "invalid", "passed", "replayed", "expired")) {
                captcha.append(outcome).append('=').append((long) Metrics.value(scrape, "sentinel_captcha_total",
                        "realm=\"" + realm.name() + "\"", "form=\"login\"", "outcome=\"" + outcome + "\"").orElse(0)).append(' ');
            }
            System.out.println("[captcha-flood] sentinel_captcha_total of the realm's login form: " + captcha.toString().strip());
        }
        Map<Outcome, Long> byOutcome = new EnumMap<>(Outcome.class);
        bots.forEach(b -> byOutcome.merge(b.outcome(), 1L, Long::sum));
        System.out.printf("[captcha-flood] %s: bot outcomes %s; bot attempt time %s; flood %.1f s, server CPU %.1f s,"
                        + " this test JVM's CPU (bots, ordinary users, their solving) %.1f s%n", kind, byOutcome,
                BenchStats.summary(bots.stream().map(BotAttempt::ms).toList()), floodSeconds, cpuSeconds, clientSeconds);
        bots.stream().filter(b -> b.outcome() == Outcome.OTHER).limit(5).forEach(b ->
                System.out.println("[captcha-flood] unexpected bot answer: HTTP " + b.status()));
        SideResult result = new SideResult(kind, baseline, underAttack, List.copyOf(bots), dropped.get(), floodSeconds,
                cpuSeconds, hashed, stateLine);
        printOrdinary(kind + " under attack", underAttack);
        printBuckets(kind, underAttack);
        realm.close();
        return result;
    }

    /** Source address {@code i} of the flood: 127.60-61.x.y, spread over FLOOD_NETWORKS /24 networks. */
    private static InetAddress floodAddress(int i) {
        int network = i % FLOOD_NETWORKS;
        int host = i / FLOOD_NETWORKS + 1;
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) (60 + network / 250), (byte) (network % 250), (byte) host});
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static BotAttempt botAttempt(KeycloakNode node, TestRealm realm, Combo combo, InetAddress source) {
        long start = System.nanoTime();
        try {
            RawLogin bot = new RawLogin(node.baseUrl(), source);
            RawLogin.Form page = bot.page(realm.name()).orElse(null);
            if (page == null) {
                return new BotAttempt(combo, Outcome.OTHER, -1, (System.nanoTime() - start) / 1e6);
            }
            RawLogin.Posted p = bot.post(page, RawLogin.fields(combo.username(), combo.password(), null));
            return new BotAttempt(combo, p.outcome(), p.status(), (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            return new BotAttempt(combo, Outcome.OTHER, -2, (System.nanoTime() - start) / 1e6);
        }
    }

    /**
     * The ordinary users: {@code USERS} threads, each {@code USER_LOGINS} logins {@code USER_PAUSE_MS}
     * apart (staggered), starting after {@code leadMs}, while {@code go} holds and before {@code deadline}.
     */
    private static List<OrdinaryLogin> ordinaryUsers(KeycloakNode node, TestRealm realm, long leadMs, AtomicBoolean go,
                                                     long deadline) throws Exception {
        long phaseStart = System.nanoTime(); // the flood's start, when called with the flood
        ConcurrentLinkedQueue<OrdinaryLogin> logins = new ConcurrentLinkedQueue<>();
        ExecutorService users = Executors.newFixedThreadPool(USERS);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            int user = u;
            running.add(users.submit(() -> {
                Thread.sleep(leadMs + user * USER_PAUSE_MS / USERS);
                for (int i = 0; i < USER_LOGINS && go.get() && System.nanoTime() < deadline; i++) {
                    logins.add(ordinaryLogin(node, realm, "ordinary" + user, "Ordinary-pass-" + user, phaseStart));
                    Thread.sleep(USER_PAUSE_MS);
                }
                return null;
            }));
        }
        users.shutdown();
        for (var f : running) {
            f.get(Math.max(1, deadline - System.nanoTime()) + TimeUnit.MINUTES.toNanos(2), TimeUnit.NANOSECONDS);
        }
        return List.copyOf(logins);
    }

    /**
     * One ordinary login as {@code LoginClient} plays it; when the page carries Sentinel's CAPTCHA
     * loader, the user fetches a challenge from the widget endpoint (as the page script does) and
     * solves it. If the realm started to ask for the CAPTCHA between the page and the post, the
     * re-shown page has the widget and the user tries again (at most three times).
     */
    private static OrdinaryLogin ordinaryLogin(KeycloakNode node, TestRealm realm, String username, String password,
                                               long phaseStart) {
        long start = System.nanoTime();
        long[] solve = {0};
        boolean[] asked = {false};
        int tries = 0;
        LoginClient.Result result = null;
        try {
            do {
                tries++;
                result = new LoginClient(node.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                        username, password, page -> {
                            if (!page.contains(LOADER)) {
                                return Map.of();
                            }
                            asked[0] = true;
                            JsonNode challenge = ProofOfWork.challenge(node, realm.name());
                            long s = System.nanoTime();
                            long n = FastProofOfWork.search(challenge);
                            solve[0] += System.nanoTime() - s;
                            return Map.of("altcha", ProofOfWork.answer(challenge, n));
                        });
            } while (!result.loggedIn() && tries < 3 && result.page() != null
                    && result.page().contains(RawLogin.CAPTCHA_MISSING));
        } catch (RuntimeException e) {
            System.out.println("[captcha-flood] ordinary login of " + username + " failed: " + e);
        }
        return new OrdinaryLogin((start - phaseStart) / 1e9, (System.nanoTime() - start) / 1e6, solve[0] / 1e6, asked[0], tries,
                result != null && result.loggedIn());
    }

    /**
     * JIT warm-up in a realm of its own (deleted afterwards, so the measured realm starts with no
     * counts and a NORMAL state): successful and failed logins, bot posts, and on Sentinel
     * CAPTCHA refusals and solved logins.
     */
    private static void warmUp(KeycloakNode node, boolean sentinel) throws Exception {
        long started = System.nanoTime();
        try (TestRealm warm = TestRealm.builder("warm").user(USER, PASSWORD)
                .customize(r -> r.setBruteForceProtected(false)).create(node)) {
            if (sentinel) {
                SentinelFlows.useSentinelLoginForm(node.admin(), warm.name());
                node.admin().put(configPath(warm), Map.of("ipFailuresPerDay", 1_000_000, "networkFailuresPer15m", 1_000_000,
                        "networkUsernamesPer15m", 1_000_000, "unknownSourceFailuresPer15m", 1_000_000)).expect(200);
                captcha(node, warm, Map.of("mode", "never"));
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
            for (int i = 0; i < WARMUP && System.nanoTime() < deadline; i++) {
                assertThat(warm.login(USER, PASSWORD).loggedIn()).as("warm-up login %d", i).isTrue();
            }
            RawLogin bot = new RawLogin(node.baseUrl(), InetAddress.getByName("127.0.0.1"));
            for (int i = 0; i < WARMUP / 3 && System.nanoTime() < deadline; i++) {
                bot.post(bot.page(warm.name()).orElseThrow(), RawLogin.fields(i % 2 == 0 ? USER : "nobody" + i,
                        WRONG_PASSWORD, null));
            }
            for (int i = 0; i < WARMUP_CHEAP && System.nanoTime() < deadline; i++) {
                assertThat(bot.page(warm.name())).isPresent();
            }
            if (sentinel) {
                captcha(node, warm, Map.of("mode", "always", "workLow", 1000, "workMedium", 1000, "workHigh", 1000));
                for (int i = 0; i < WARMUP_CHEAP && System.nanoTime() < deadline; i++) {
                    RawLogin.Posted p = bot.post(bot.page(warm.name()).orElseThrow(),
                            RawLogin.fields("nobody" + i, WRONG_PASSWORD, null));
                    assertThat(p.outcome()).isEqualTo(Outcome.CAPTCHA_REFUSED);
                }
                for (int i = 0; i < WARMUP / 6 && System.nanoTime() < deadline; i++) {
                    assertThat(ordinaryLogin(node, warm, USER, PASSWORD, System.nanoTime()).loggedIn())
                            .as("warm-up solved login").isTrue();
                }
            }
        }
        System.out.printf("[captcha-flood] warm-up done in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    // ---------------------------------------------------------------- shared

    private static KeycloakNode start(String kind, String label) {
        BuiltDistribution build = kind.equals("plain") ? BuiltDistribution.plain() : BuiltDistribution.get();
        return KeycloakNode.start(build, label, List.of(),
                SERVER_JAVA_OPTS.isEmpty() ? Map.of() : Map.of("JAVA_OPTS_APPEND", SERVER_JAVA_OPTS));
    }

    private static String captchaPath(TestRealm realm) {
        return "/admin/realms/" + AdminApi.encPath(realm.name()) + "/sentinel-admin/captcha";
    }

    private static String configPath(TestRealm realm) {
        return "/admin/realms/" + AdminApi.encPath(realm.name()) + "/sentinel-admin/config";
    }

    private static void captcha(KeycloakNode node, TestRealm realm, Map<String, Object> settings) {
        node.admin().put(captchaPath(realm), settings).expect(200);
    }

    private static String attackState(KeycloakNode node, TestRealm realm) {
        return node.admin().get("/admin/realms/" + AdminApi.encPath(realm.name()) + "/sentinel-admin/attack").expect(200)
                .json().get("state").asText();
    }

    private static double hashes(KeycloakNode node) {
        // summed over all label sets (algorithm, outcome, realm ...)
        double sum = 0;
        for (String line : Metrics.scrape(node).split("\n")) {
            if (line.startsWith(HASHES + "{") || line.startsWith(HASHES + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

}
