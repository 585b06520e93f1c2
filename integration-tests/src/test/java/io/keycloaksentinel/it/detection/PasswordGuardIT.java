package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One risk decision guards every password check: the password grant of any client (admin-cli
 * included) in a realm whose flows Sentinel never touched, every spelling of a username, the
 * email of an account, and an identity-first flow. "No hash" is read from Keycloak's own hashing
 * counter; every attacker address is in its own /24, as residential proxies are.
 */
@KeycloakIT
@DisplayName("The password guard: every password check obeys the one risk decision")
class PasswordGuardIT {

    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final int USERS = 12;

    private final KeycloakServer server;
    private TestRealm realm;

    PasswordGuardIT(KeycloakServer server) {
        this.server = server;
    }

    @AfterEach
    void deleteRealm() {
        if (realm != null) {
            realm.close();
        }
    }

    private static String password(int i) {
        return "Leaked-pass-" + i + "-2026";
    }

    /** 127.{base}.{i}.1: every attacker address in its own /24. */
    private static InetAddress spread(int base, int i) {
        return SourceBoundLogin.loopback(base, i, 1);
    }

    /** 127.5.0.{host}: the ordinary users' usual network. */
    private static InetAddress home(int host) {
        return SourceBoundLogin.loopback(5, 0, host);
    }

    private record Answer(int status, String body, String retryAfter) {
    }

    private Answer grant(InetAddress source, String clientId, String username, String password) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "password");
        fields.put("client_id", clientId);
        fields.put("username", username);
        fields.put("password", password);
        SourceBoundLogin.Browser.Page page = new SourceBoundLogin.Browser(source, "bot/1.0")
                .post(server.baseUrl(), "/realms/" + realm.name() + "/protocol/openid-connect/token", fields);
        return new Answer(page.status(), page.body(), page.retryAfter());
    }

    private double hashes() {
        return Metrics.total(Metrics.scrape(server), HASHES).orElseThrow(() -> new AssertionError(HASHES + " missing"));
    }

    private JsonNode attack(String query) {
        return server.admin().get("/admin/realms/" + realm.name() + "/sentinel-admin/attack" + query).expect(200).json();
    }

    private void enableDirectGrants() {
        String path = "/admin/realms/" + realm.name();
        JsonNode client = server.admin().get(path + "/clients?clientId=" + TestRealm.CLIENT_ID).expect(200).json().get(0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("directAccessGrantsEnabled", true);
        server.admin().put(path + "/clients/" + client.get("id").asText(), client).expect(204);
    }

    private void knownFromHome(String username) {
        Poll.until(home(1).getHostAddress() + "/24 known for " + username, Duration.ofSeconds(20),
                () -> attack("?ip=" + home(9).getHostAddress() + "&username=" + AdminApi.enc(username))
                        .at("/risk/knownSource").asBoolean() ? Boolean.TRUE : null);
    }

    @Test
    @DisplayName("Given a realm with Keycloak's own flows under a spread botnet, the password grant of admin-cli and of an app refuses every risky attempt without a hash, with one answer for right and wrong passwords, and ordinary users keep signing in")
    void passwordGrantBotnet() {
        TestRealm.Builder builder = TestRealm.builder("guard").user("olivia", "Ordinary-pass-1");
        for (int i = 0; i < USERS; i++) {
            builder.user("leaked" + i, password(i));
        }
        realm = builder.create(server);
        enableDirectGrants();
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_password_guard_active")).as("guard installed")
                .hasValue(1.0);
        // olivia's usual network, from before the attack, for the browser form and the grant
        assertThat(new SourceBoundLogin.Browser(home(1), "Firefox").login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "olivia", "Ordinary-pass-1").outcome()).isEqualTo(Outcome.LOGGED_IN);
        knownFromHome("olivia");

        // the botnet: one attempt per (mostly unknown) account, each address in its own /24, until detected
        int sent = 0;
        while (!"UNDER_ATTACK".equals(attack("").get("state").asText())) {
            assertThat(sent).as("attempts before detection").isLessThan(200);
            Answer a = grant(spread(71, sent), "admin-cli", "nobody-" + sent + "@example.test", "Summer2019!");
            assertThat(a.status()).isIn(400, 429);
            sent++;
        }
        double hashesBefore = hashes();

        // after detection: right and wrong passwords of real accounts, and unknown accounts, from fresh /24s,
        // through admin-cli and through the app
        List<Answer> right = new ArrayList<>();
        List<Answer> others = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            String client = i % 2 == 0 ? "admin-cli" : TestRealm.CLIENT_ID;
            right.add(grant(spread(72, i), client, "leaked" + i, password(i)));
            others.add(grant(spread(73, i), client, "leaked" + i, "Wrong-" + i));
            others.add(grant(spread(74, i), client, "nobody-else-" + i + "@example.test", password(i)));
        }
        Answer first = right.get(0);
        assertThat(first.status()).isEqualTo(429);
        assertThat(first.retryAfter()).isNotBlank();
        assertThat(first.body()).contains("invalid_grant").doesNotContain("access_token");
        for (Answer a : right) {
            assertThat(a.status()).as("a right password").isEqualTo(429);
            assertThat(a.body()).as("the same answer whatever the password and account").isEqualTo(first.body());
        }
        for (Answer a : others) {
            assertThat(a.status()).isEqualTo(429);
            assertThat(a.body()).isEqualTo(first.body());
        }
        assertThat(hashes()).as("password hashes spent on risky attempts after detection").isEqualTo(hashesBefore);

        // ordinary users: olivia from her usual network, in the browser and through the grant
        assertThat(new SourceBoundLogin.Browser(home(2), "Firefox").login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "olivia", "Ordinary-pass-1").outcome()).isEqualTo(Outcome.LOGGED_IN);
        Answer olivia = grant(home(3), TestRealm.CLIENT_ID, "olivia", "Ordinary-pass-1");
        assertThat(olivia.status()).as(olivia.body()).isEqualTo(200);
        assertThat(olivia.body()).contains("access_token");
        assertThat(hashes()).as("the counter does count: olivia's two checked passwords").isEqualTo(hashesBefore + 2);
        // the refusals are visible to the admin: counted for the realm, which stays under attack
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_password_guard_total",
                "realm=\"" + realm.name() + "\"", "outcome=\"refused_before_lookup\"").orElse(0)).isGreaterThanOrEqualTo(3.0 * USERS);
    }

    @Test
    @DisplayName("Given Keycloak's own login form (nothing bound), a throttled source gets 429 before any lookup: the same for an existing account with its right password and for an unknown name, no hash")
    void keycloakFormThrottledBeforeLookup() {
        realm = TestRealm.builder("kcform").user("olivia", "Ordinary-pass-1").create(server);
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config", Map.of("ipFailuresPerDay", 3))
                .expect(200);
        InetAddress source = spread(63, 1);
        for (int i = 0; i < 3; i++) {
            assertThat(SourceBoundLogin.attempt(server.baseUrl(), source, realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "nobody" + i, "guess").outcome()).isEqualTo(Outcome.REFUSED);
        }
        Poll.until("3 failures from " + source.getHostAddress(), Duration.ofSeconds(20),
                () -> attack("?ip=" + source.getHostAddress()).at("/source/ipFailures24h").asLong() >= 3 ? Boolean.TRUE : null);
        double hashesBefore = hashes();
        SourceBoundLogin.Attempt existing = SourceBoundLogin.attempt(server.baseUrl(), source, realm.name(),
                TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "olivia", "Ordinary-pass-1");
        SourceBoundLogin.Attempt unknown = SourceBoundLogin.attempt(server.baseUrl(), source, realm.name(),
                TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "nobody-else", "Ordinary-pass-1");
        assertThat(existing.outcome()).isEqualTo(Outcome.THROTTLED);
        assertThat(unknown.outcome()).isEqualTo(Outcome.THROTTLED);
        assertThat(hashes()).as("password hashes").isEqualTo(hashesBefore);
        // another network is not affected
        assertThat(SourceBoundLogin.attempt(server.baseUrl(), spread(63, 2), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "olivia", "Ordinary-pass-1").outcome()).isEqualTo(Outcome.LOGGED_IN);
    }

    private void lockAliceAgainstStrangers() {
        // ten wrong guesses for alice from ten unfamiliar /24s: smart lockout from now on
        for (int i = 0; i < 10; i++) {
            assertThat(SourceBoundLogin.attempt(server.baseUrl(), spread(60, i), realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "alice", "guess-" + i).outcome()).isEqualTo(Outcome.REFUSED);
        }
        Poll.until("10 failures from unfamiliar networks counted for alice", Duration.ofSeconds(20),
                () -> attack("?ip=127.0.0.1&username=alice").at("/risk/unknownSourceFailures15m").asLong() >= 10
                        ? Boolean.TRUE : null);
    }

    private TestRealm smartLockoutRealm() {
        return TestRealm.builder("spell").user("alice", "Alice-own-pass-7").customize(r -> {
            r.setBruteForceProtected(true);
            r.setFailureFactor(30);
            r.setPermanentLockout(false);
            r.setQuickLoginCheckMilliSeconds(0L);
        }).create(server);
    }

    @Test
    @DisplayName("Given alice is locked against unfamiliar networks, every spelling of her name, her email and the password grant are refused without a hash, and she still signs in from home")
    void spellingsAndEmail() {
        realm = smartLockoutRealm();
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        enableDirectGrants();
        assertThat(new SourceBoundLogin.Browser(home(1), "Firefox").login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "alice", "Alice-own-pass-7").outcome()).isEqualTo(Outcome.LOGGED_IN);
        knownFromHome("alice");
        lockAliceAgainstStrangers();
        double hashesBefore = hashes();

        int n = 20;
        for (String spelling : List.of("\u0001alice", " alice", "ALICE", "alice\t")) {
            // the right password, in the form and through the grant
            assertThat(SourceBoundLogin.attempt(server.baseUrl(), spread(60, n++), realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, spelling, "Alice-own-pass-7").outcome()).as("form, %s", spelling.strip())
                    .isEqualTo(Outcome.THROTTLED);
            assertThat(grant(spread(60, n++), TestRealm.CLIENT_ID, spelling, "Alice-own-pass-7").status())
                    .as("grant, %s", spelling.strip()).isEqualTo(429);
        }
        // her email is another name for the same account: refused at the password, exactly like a wrong password
        assertThat(SourceBoundLogin.attempt(server.baseUrl(), spread(60, n++), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "alice@example.test", "Alice-own-pass-7").outcome()).isEqualTo(Outcome.REFUSED);
        Answer byEmail = grant(spread(60, n++), TestRealm.CLIENT_ID, "alice@example.test", "Alice-own-pass-7");
        Answer wrong = grant(spread(60, n++), TestRealm.CLIENT_ID, "nobody@example.test", "Alice-own-pass-7");
        assertThat(byEmail.status()).isEqualTo(wrong.status()).isEqualTo(400);
        assertThat(byEmail.body()).isEqualTo(wrong.body());
        // a control character inside a name is refused before any lookup: Keycloak's answer for an unknown name
        assertThat(grant(spread(60, n++), TestRealm.CLIENT_ID, "al\u0001ice", "Alice-own-pass-7").body())
                .isEqualTo(wrong.body());
        assertThat(SourceBoundLogin.attempt(server.baseUrl(), spread(60, n++), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "al\u0001ice", "Alice-own-pass-7").outcome()).as("form, a control character inside")
                .isEqualTo(Outcome.REFUSED);
        // (the unknown name above cost Keycloak's dummy hash, which its counter does not count)
        assertThat(hashes()).as("password hashes for alice from unfamiliar networks").isEqualTo(hashesBefore);

        assertThat(new SourceBoundLogin.Browser(home(2), "Firefox").login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "alice", "Alice-own-pass-7").outcome()).as("alice from home").isEqualTo(Outcome.LOGGED_IN);
        assertThat(grant(home(3), TestRealm.CLIENT_ID, "alice@example.test", "Alice-own-pass-7").status())
                .as("alice's script from home, by email").isEqualTo(200);
        assertThat(hashes()).as("the counter does count: alice's two checked passwords").isEqualTo(hashesBefore + 2);
    }

    @Test
    @DisplayName("Given an identity-first flow of Keycloak's own steps (username page, then password page), a locked account is refused at the password without a hash")
    void identityFirst() {
        realm = smartLockoutRealm();
        String flows = "/admin/realms/" + realm.name() + "/authentication";
        server.admin().post(flows + "/flows", Map.of("alias", "identity-first", "providerId", "basic-flow",
                "topLevel", true, "builtIn", false)).expect(201);
        for (String step : List.of("auth-username-form", "auth-password-form")) {
            server.admin().post(flows + "/flows/identity-first/executions/execution", Map.of("provider", step)).expect(201);
        }
        for (JsonNode e : server.admin().get(flows + "/flows/identity-first/executions").expect(200).json()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("requirement", "REQUIRED");
            server.admin().put(flows + "/flows/identity-first/executions", e).expect(204);
        }
        server.admin().put("/admin/realms/" + realm.name(), Map.of("browserFlow", "identity-first")).expect(204);

        assertThat(identityFirst(home(1), "alice", "Alice-own-pass-7")).isEqualTo(302);
        knownFromHome("alice");
        for (int i = 0; i < 10; i++) {
            assertThat(identityFirst(spread(62, i), "alice", "guess-" + i)).isEqualTo(200);
        }
        // the password page posts no username: the failures count for the account
        Poll.until("10 failures from unfamiliar networks counted for alice's account", Duration.ofSeconds(20),
                () -> attack("?ip=127.0.0.1&username=alice").at("/risk/accountUnknownSourceFailures15m").asLong() >= 10
                        ? Boolean.TRUE : null);
        double hashesBefore = hashes();
        assertThat(identityFirst(spread(62, 50), "alice", "Alice-own-pass-7")).as("the right password from a stranger")
                .isEqualTo(200);
        assertThat(identityFirst(spread(62, 51), "ALICE", "Alice-own-pass-7")).isEqualTo(200);
        assertThat(hashes()).as("password hashes").isEqualTo(hashesBefore);
        assertThat(identityFirst(home(2), "alice", "Alice-own-pass-7")).as("alice from home").isEqualTo(302);
    }

    /** An identity-first login from {@code source}: the status of the password page's post (302: signed in). */
    private int identityFirst(InetAddress source, String username, String password) {
        SourceBoundLogin.Browser browser = new SourceBoundLogin.Browser(source, "Firefox");
        String query = io.keycloaksentinel.it.harness.LoginClient.form(Map.of("client_id", TestRealm.CLIENT_ID,
                "redirect_uri", TestRealm.REDIRECT_URI, "response_type", "code", "scope", "openid",
                "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));
        SourceBoundLogin.Browser.Page page = browser.get(server.baseUrl(),
                "/realms/" + realm.name() + "/protocol/openid-connect/auth?" + query);
        assertThat(page.status()).isEqualTo(200);
        String action = io.keycloaksentinel.it.harness.LoginClient.formAction(page.body()).orElseThrow();
        SourceBoundLogin.Browser.Page passwordPage = browser.post(server.baseUrl(), action, Map.of("username", username));
        assertThat(passwordPage.status()).as("the password page").isEqualTo(200);
        assertThat(passwordPage.body()).contains("password");
        String next = io.keycloaksentinel.it.harness.LoginClient.formAction(passwordPage.body()).orElseThrow();
        SourceBoundLogin.Browser.Page done = browser.post(server.baseUrl(), next, Map.of("password", password));
        if (done.status() == 302) {
            assertThat(done.location()).startsWith(TestRealm.REDIRECT_URI).contains("code=");
        }
        return done.status();
    }
}
