package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Smart lockout, paired with Keycloak's brute-force detection as docs/attack-detection.md recommends
 * (failure factor 30, quick-login check off, no permanent lockout): guesses from networks the
 * user never signed in from are cut off by Sentinel after 10, before Keycloak's own counter can
 * lock the account, and the user still signs in from her usual network.
 */
@KeycloakIT
@DisplayName("Smart lockout: an attacker cannot lock a user out")
class SmartLockoutIT {

    private static final String PASSWORD = "Alice-own-pass-7";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final String UNFAMILIAR = "from unfamiliar locations";

    private final KeycloakServer server;
    private TestRealm realm;

    SmartLockoutIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("smart").user("alice", PASSWORD).customize(r -> {
            r.setBruteForceProtected(true);
            r.setFailureFactor(30);
            r.setPermanentLockout(false);
            r.setQuickLoginCheckMilliSeconds(0L);
        }).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        // throttling and counting alone: the CAPTCHA in front of them is tested by CaptchaIT
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private SourceBoundLogin.Attempt from(InetAddress source, String username, String password) {
        return SourceBoundLogin.attempt(server.baseUrl(), source, realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, username, password);
    }

    /** 127.60.{i}.1: every attempt from its own /24 network, none of them the user's. */
    private static InetAddress unfamiliar(int i) {
        return SourceBoundLogin.loopback(60, i, 1);
    }

    private static InetAddress home(int host) {
        return SourceBoundLogin.loopback(5, 0, host);
    }

    private JsonNode risk(String username, String ip) {
        return server.admin().get("/admin/realms/" + realm.name() + "/sentinel-admin/attack?ip=" + ip + "&username="
                + AdminApi.enc(username)).expect(200).json().get("risk");
    }

    private void guessTenTimes(String username) {
        for (int i = 0; i < 10; i++) {
            assertThat(from(unfamiliar(i), username, "guess-" + i).outcome()).isEqualTo(Outcome.REFUSED);
        }
        Poll.until("10 failures from unfamiliar networks counted for " + username, Duration.ofSeconds(20),
                () -> risk(username, "127.0.0.1").get("unknownSourceFailures15m").asLong() >= 10 ? Boolean.TRUE : null);
    }

    private double hashes() {
        return Metrics.total(Metrics.scrape(server), HASHES).orElseThrow(() -> new AssertionError(HASHES + " missing"));
    }

    @Test
    @DisplayName("Guesses from unfamiliar networks stop after 10, before any hash; Keycloak never locks her; she signs in from home")
    void attackerCannotLockOut() {
        assertThat(from(home(1), "alice", PASSWORD).outcome()).isEqualTo(Outcome.LOGGED_IN);
        Poll.until("127.5.0.0/24 known for alice", Duration.ofSeconds(20),
                () -> risk("alice", "127.5.0.9").get("knownSource").asBoolean() ? Boolean.TRUE : null);

        guessTenTimes("alice");
        double hashesBefore = hashes();

        // even the right password is refused from an unfamiliar network now, with a page that says why
        LoginClient.Result attacker = realm.login("alice", PASSWORD);
        assertThat(attacker.status()).isEqualTo(429);
        assertThat(attacker.retryAfter()).isNotBlank();
        assertThat(attacker.page()).contains(UNFAMILIAR);
        assertThat(attacker.loggedIn()).isFalse();
        for (int i = 10; i < 30; i++) {
            assertThat(from(unfamiliar(i), "alice", "guess-" + i).outcome()).isEqualTo(Outcome.THROTTLED);
        }
        assertThat(hashes()).as("password hashes for refused guesses").isEqualTo(hashesBefore);

        // Keycloak saw only the 10 counted guesses: below its failure factor, the account is not locked
        String userId = server.admin().userId(realm.name(), "alice");
        // Keycloak records its failures on its own brute-force thread: wait until it caught up
        JsonNode bruteForce = Poll.until("Keycloak's brute-force count caught up", Duration.ofSeconds(20), () -> {
            JsonNode b = server.admin().get("/admin/realms/" + realm.name() + "/attack-detection/brute-force/users/" + userId)
                    .expect(200).json();
            return b.get("numFailures").asInt() >= 10 ? b : null;
        });
        assertThat(bruteForce.get("disabled").asBoolean()).isFalse();
        assertThat(bruteForce.get("numFailures").asInt()).isEqualTo(10);

        assertThat(from(home(9), "alice", PASSWORD).outcome()).as("alice from her own network").isEqualTo(Outcome.LOGGED_IN);
        assertThat(risk("alice", "127.0.0.1").get("level").asText()).isEqualTo("HIGH");
    }

    @Test
    @DisplayName("A username that does not exist gets the same refusal: the answer does not reveal accounts")
    void sameForUnknownUsernames() {
        guessTenTimes("nobody-here");
        LoginClient.Result refused = realm.login("nobody-here", "whatever");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.page()).contains(UNFAMILIAR);
        // other usernames from the same network are not affected
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("An admin lifts a smart lockout, and can turn it off")
    void liftAndTurnOff() {
        guessTenTimes("alice");
        assertThat(realm.login("alice", PASSWORD).status()).isEqualTo(429);
        String base = "/admin/realms/" + realm.name() + "/sentinel-admin/";
        server.admin().post(base + "attack/lift", java.util.Map.of("username", "alice")).expect(200);
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isTrue();

        server.admin().put(base + "config", java.util.Map.of("unknownSourceFailuresPer15m", 0)).expect(200);
        for (int i = 0; i < 10; i++) {
            assertThat(from(unfamiliar(i), "alice", "guess-" + i).outcome()).isEqualTo(Outcome.REFUSED);
        }
        Poll.until("20 failures counted in the realm", Duration.ofSeconds(20), () -> server.admin().get(base + "attack")
                .expect(200).json().at("/signals/failuresLastDay").asLong() >= 20 ? Boolean.TRUE : null);
        LoginClient.Result afterOff = realm.login("alice", PASSWORD);
        assertThat(afterOff.loggedIn()).as("smart lockout off; got %s (Retry-After %s), risk %s, attack %s:%n%s",
                afterOff.status(), afterOff.retryAfter(), risk("alice", "127.0.0.1"),
                server.admin().get(base + "attack").expect(200).json().get("state"), pageText(afterOff.page())).isTrue();
    }

    /** The page's text without its markup, shortened: enough to say why a sign-in was refused. */
    private static String pageText(String page) {
        String text = page == null ? "" : page.replaceAll("(?s)<script.*?</script>|<style.*?</style>|<[^>]+>", " ")
                .replaceAll("\\s+", " ").strip();
        return text.length() > 600 ? text.substring(0, 600) + "..." : text;
    }
}
