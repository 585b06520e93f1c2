package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Admin REST for attacks: offenders, throttled list, lift, and the attack-state admin event")
class AttackAdminApiIT {

    private static final String PASSWORD = "Ordinary-pass-1";

    private final KeycloakServer server;
    private TestRealm realm;
    private String base;

    AttackAdminApiIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("attackapi").user("olivia", PASSWORD).customize(r -> {
            r.setRegistrationAllowed(true);
            r.setResetPasswordAllowed(true);
            r.setAdminEventsEnabled(true);
            r.setAdminEventsDetailsEnabled(true);
        }).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        // throttling and counting alone: the CAPTCHA in front of them is tested by CaptchaIT
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        base = "/admin/realms/" + realm.name() + "/sentinel-admin/";
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private JsonNode adminEvents() {
        return server.admin().get("/admin/realms/" + realm.name() + "/admin-events?operationTypes=ACTION&max=100")
                .expect(200).json();
    }

    @Test
    @DisplayName("A throttled address shows in offenders and the throttled list; lifting it lets its user in and is an admin event")
    void offendersThrottledLift() {
        server.admin().put(base + "config", Map.of("ipFailuresPerDay", 5)).expect(200);
        for (int i = 0; i < 5; i++) {
            assertThat(realm.login("olivia", "wrong-" + i).formError()).contains("Invalid username or password.");
        }
        JsonNode offenders = Poll.until("127.0.0.1 among the offenders", Duration.ofSeconds(20), () -> {
            JsonNode o = server.admin().get(base + "attack/offenders?limit=5").expect(200).json();
            return o.at("/addresses/0/failures").asLong() >= 5 ? o : null;
        });
        assertThat(offenders.at("/addresses/0/source").asText()).isEqualTo("127.0.0.1");
        assertThat(offenders.at("/addresses/0/throttled").asBoolean()).isTrue();
        assertThat(offenders.at("/addresses/0/distinctUsernames").asLong()).isEqualTo(1);
        assertThat(offenders.at("/networks/0/source").asText()).isEqualTo("127.0.0.0/24");
        assertThat(offenders.at("/networks/0/throttled").asBoolean()).isFalse();

        JsonNode throttled = server.admin().get(base + "attack/throttled").expect(200).json();
        assertThat(throttled.get("addresses")).hasSize(1);
        assertThat(throttled.get("networks")).isEmpty();
        assertThat(realm.login("olivia", PASSWORD).status()).isEqualTo(429);

        JsonNode lifted = server.admin().post(base + "attack/lift", Map.of("source", "127.0.0.1")).expect(200).json();
        assertThat(lifted.get("lifted").asText()).isEqualTo("127.0.0.1");
        assertThat(realm.login("olivia", PASSWORD).loggedIn()).isTrue();
        assertThat(server.admin().get(base + "attack/throttled").expect(200).json().get("addresses")).isEmpty();

        List<String> paths = new ArrayList<>();
        adminEvents().forEach(e -> paths.add(e.path("resourcePath").asText()));
        assertThat(paths).anyMatch(p -> p.endsWith("attack/lift"));
    }

    @Test
    @DisplayName("Bad lift and list requests get a 400 that says why")
    void badRequests() {
        record Case(Object body, String message) {
        }
        List<Case> cases = List.of(
                new Case(Map.of("source", "example.com"), "not an IPv4 or IPv6 address"),
                new Case(Map.of("source", "127.0.0.0/16"), "did you mean 127.0.0.0/24"),
                new Case(Map.of("source", "x".repeat(100)), "expected an IP address or a network"),
                new Case(Map.of("source", 5), "expected {\"source\""),
                new Case(Map.of(), "expected {\"source\""),
                new Case(Map.of("source", "127.0.0.1", "username", "olivia"), "expected {\"source\""),
                new Case(Map.of("username", "u".repeat(2000)), "username: too long"));
        for (Case c : cases) {
            AdminApi.Response r = server.admin().post(base + "attack/lift", c.body());
            assertThat(r.status()).as("%s", c.body()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as("%s", c.body()).contains(c.message());
        }
        assertThat(server.admin().get(base + "attack/offenders?limit=0").status()).isEqualTo(400);
        assertThat(server.admin().get(base + "attack/offenders?limit=5000").json().get("error").asText())
                .contains("limit must be between 1 and 1000");
        assertThat(server.admin().getAnonymous(base + "attack/throttled").status()).isEqualTo(401);
        assertThat(server.admin().get(base + "attack?ip=127.0.0.1&username=" + "u".repeat(2000)).json()
                .get("error").asText()).contains("username: too long");

        // the settings this issue added: validated, and a bad value saves nothing
        List<Case> config = List.of(
                new Case(Map.of("networkUsernamesPer15m", 0), "networkUsernamesPer15m and ipAccountRequestsPer15m must be at least 1"),
                new Case(Map.of("unknownSourceFailuresPer15m", -1), "unknownSourceFailuresPer15m at least 0"),
                new Case(Map.of("ipAccountRequestsPer15m", 1.5), "ipAccountRequestsPer15m must be a whole number"),
                new Case(Map.of("failClosed", "yes"), "failClosed must be true or false"));
        for (Case c : config) {
            AdminApi.Response r = server.admin().put(base + "config", c.body());
            assertThat(r.status()).as("%s", c.body()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as("%s", c.body()).contains(c.message());
        }
        JsonNode saved = server.admin().get(base + "config").expect(200).json();
        assertThat(saved.get("networkUsernamesPer15m").asLong()).isEqualTo(50);
        assertThat(saved.get("failClosed").asBoolean()).isFalse();
        assertThat(server.admin().put(base + "config", Map.of("failClosed", true)).expect(200).json()
                .get("failClosed").asBoolean()).isTrue();
        assertThat(realm.login("olivia", PASSWORD).loggedIn()).as("fail-closed with a working detector").isTrue();
    }

    @Test
    @DisplayName("One network trying many usernames is throttled, whatever each address does")
    void distinctUsernamesPerNetwork() {
        server.admin().put(base + "config", Map.of("networkUsernamesPer15m", 10)).expect(200);
        for (int i = 0; i < 10; i++) {
            assertThat(realm.login("someone-" + i, "guess").status()).isEqualTo(200);
        }
        Poll.until("10 distinct usernames counted for 127.0.0.0/24", Duration.ofSeconds(20), () -> server.admin()
                .get(base + "attack?ip=127.0.0.1").expect(200).json().at("/source/networkUsernames15m").asLong() >= 10
                ? Boolean.TRUE : null);
        LoginClient.Result refused = realm.login("olivia", PASSWORD);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.page()).contains("Too many failed sign-in attempts came from your network.");
    }

    @Test
    @DisplayName("Entering UNDER_ATTACK is recorded once as an admin event, with what changed and why")
    void attackStateAdminEvent() {
        for (int i = 0; i < 40; i++) {
            realm.login("not-a-user-" + i, "guess");
        }
        Poll.until("UNDER_ATTACK", Duration.ofSeconds(30), () -> "UNDER_ATTACK".equals(
                server.admin().get(base + "attack").expect(200).json().get("state").asText()) ? Boolean.TRUE : null);
        List<JsonNode> changes = Poll.until("the UNDER_ATTACK admin event", Duration.ofSeconds(20), () -> {
            List<JsonNode> found = new ArrayList<>();
            for (JsonNode e : adminEvents()) {
                if ("SENTINEL_ATTACK_STATE".equals(e.path("resourceType").asText())) {
                    found.add(AdminApi.JSON.valueToTree(parse(e.get("representation").asText())));
                }
            }
            return found.stream().anyMatch(c -> "UNDER_ATTACK".equals(c.get("to").asText())) ? found : null;
        });
        // one event per state change (the ramp may pass through ELEVATED), never one per attempt
        assertThat(changes).hasSizeBetween(1, 2);
        assertThat(changes).filteredOn(c -> "UNDER_ATTACK".equals(c.get("to").asText())).singleElement()
                .satisfies(c -> {
                    assertThat(c.get("from").asText()).isIn("NORMAL", "ELEVATED");
                    assertThat(c.get("reason").asText())
                            .containsAnyOf("failed sign-ins in 10 s", "failed logins in the last minute");
                    assertThat(c.get("since").asText()).isNotBlank();
                });
        assertThat(changes).allSatisfy(c -> assertThat(c.get("from").asText()).isNotEqualTo(c.get("to").asText()));
    }

    @Test
    @DisplayName("Sign-ups and reset requests through the real pages are counted per realm and per address")
    void accountActivity() {
        LoginClient browser = new LoginClient(server.baseUrl());
        for (int i = 0; i < 3; i++) {
            LoginClient.Result signedUp = browser.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "/login-actions/registration", Map.of("username", "newbie" + i,
                            "email", "newbie" + i + "@example.test", "firstName", "New", "lastName", "Bie" + i,
                            "password", "Newbie-pass-" + i + "!", "password-confirm", "Newbie-pass-" + i + "!"));
            assertThat(signedUp.status()).as("%s", signedUp.page()).isEqualTo(302);
            browser = new LoginClient(server.baseUrl());
        }
        for (int i = 0; i < 2; i++) {
            LoginClient.Result reset = new LoginClient(server.baseUrl()).submitLinkedForm(realm.name(),
                    TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "/login-actions/reset-credentials",
                    Map.of("username", "no-such-user-" + i + "@example.test"));
            assertThat(reset.status()).isIn(200, 302);
        }
        JsonNode attack = Poll.until("3 sign-ups and 2 resets counted", Duration.ofSeconds(20), () -> {
            JsonNode a = server.admin().get(base + "attack?ip=127.0.0.1").expect(200).json();
            return a.at("/activity/registered/lastMinute").asLong() >= 3
                    && a.at("/activity/reset_unknown_user/lastMinute").asLong() >= 2
                    && a.at("/source/ipRegistrations15m").asLong() >= 3
                    && a.at("/source/ipResetRequests15m").asLong() >= 2 ? a : null;
        });
        assertThat(attack.at("/activity/registered/lastDay").asLong()).isEqualTo(3);
        assertThat(attack.at("/source/ipRegistrations15m").asLong()).isEqualTo(3);
        assertThat(attack.at("/source/ipResetRequests15m").asLong()).isEqualTo(2);
        assertThat(attack.at("/signals/failuresLastMinute").asLong()).as("not login failures").isZero();
    }

    private static Map<?, ?> parse(String json) {
        try {
            return AdminApi.JSON.readValue(json, Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError("representation is not JSON: " + json, e);
        }
    }
}
