package io.keycloaksentinel.it.incident;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import java.net.InetAddress;
import java.net.URI;
import java.time.Instant;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Incident response: contain accounts, sign out a realm, emergency mode")
class IncidentIT {

    private static final String PASSWORD = "Incident-pass-2026!";
    private static final String LOADER = "sentinel/captcha.js";

    private final KeycloakServer server;
    private TestRealm realm;
    private MailServer mail;
    private String incident;

    IncidentIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("incident").user("vera", PASSWORD).user("walt", PASSWORD).user("vic1", PASSWORD)
                .user("vic2", PASSWORD).customize(r -> {
            r.setSmtpServer(mail.realmSmtp());
            r.setAdminEventsEnabled(true);
            r.setAdminEventsDetailsEnabled(true);
        }).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        incident = "/admin/realms/" + realm.name() + "/sentinel-admin/incident";
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private String refreshToken(String username) {
        LoginClient.Result in = realm.login(username, PASSWORD);
        assertThat(in.loggedIn()).isTrue();
        return in.tokens().get("refresh_token").asText();
    }

    private int refresh(String token) {
        return LoginClient.refresh(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID, token).status();
    }

    @Test
    @DisplayName("Compromised accounts: after a botnet's failures from one network, exactly the accounts that signed in from that network are listed, with when and from where; an ordinary sign-in elsewhere is not; the ids feed the containment")
    void compromised() throws Exception {
        URI base = server.baseUrl();
        for (int i = 1; i <= 30; i++) {
            SourceBoundLogin.Attempt a = SourceBoundLogin.attempt(base, InetAddress.getByName("127.88.0." + i), realm.name(),
                    TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "nobody-" + i + "@example.test", "Summer2024!");
            assertThat(a.outcome()).isEqualTo(SourceBoundLogin.Outcome.REFUSED);
        }
        // the combo list had two right passwords; the same /24 signs in to them
        for (String victim : List.of("vic1", "vic2")) {
            String address = victim.equals("vic1") ? "127.88.0.41" : "127.88.0.42";
            SourceBoundLogin.Attempt a = SourceBoundLogin.attempt(base, InetAddress.getByName(address),
                    realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, victim, PASSWORD);
            assertThat(a.outcome()).isEqualTo(SourceBoundLogin.Outcome.LOGGED_IN);
        }
        assertThat(realm.login("walt", PASSWORD).loggedIn()).as("an ordinary user, elsewhere").isTrue();

        JsonNode found = Poll.until("two compromised accounts", Duration.ofSeconds(20), () -> {
            JsonNode r = server.admin().get(incident + "/compromised").expect(200).json();
            return r.get("accounts").size() >= 2 ? r : null;
        });
        assertThat(found.get("accounts")).extracting(a -> a.get("username").asText()).containsExactlyInAnyOrder("vic1", "vic2");
        assertThat(found.get("accounts").get(0).get("logins").get(0).get("network").asText()).isEqualTo("127.88.0.0/24");
        assertThat(found.get("accounts").get(0).get("logins").get(0).get("flagged").asText()).isEqualTo("network");
        assertThat(found.get("flaggedSources").asInt()).isGreaterThanOrEqualTo(1);
        String window = "?from=" + Instant.now().minusSeconds(3600) + "&to=" + Instant.now();
        assertThat(server.admin().get(incident + "/compromised" + window).expect(200).json().get("accounts").size()).isEqualTo(2);
        String before = "?from=" + Instant.now().minusSeconds(7200) + "&to=" + Instant.now().minusSeconds(3600);
        assertThat(server.admin().get(incident + "/compromised" + before).expect(200).json().get("accounts").size())
                .as("an hour before the attack").isZero();

        List<String> ids = new ArrayList<>();
        found.get("userIds").forEach(id -> ids.add(id.asText()));
        JsonNode contained = server.admin().post(incident + "/contain", Map.of("userIds", ids, "notify", true)).expect(200).json();
        assertThat(contained.get("handled").size()).isEqualTo(2);
        assertThat(contained.get("handled").get(0).get("done").toString()).contains("notify");
        MailServer.Mail notice = mail.await("vic1@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(notice.subject()).contains("was secured");
        assertThat(notice.text()).contains("signed your account out everywhere");
        assertThat(mail.to("walt@example.test")).as("nobody else is mailed").isEmpty();

        for (String bad : List.of("?from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z", "?to=" + Instant.now().plusSeconds(3600),
                "?from=" + Instant.now().minusSeconds(8 * 86400), "?from=yesterday", "?attack=last")) {
            AdminApi.Response r = server.admin().get(incident + "/compromised" + bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().get("error").asText()).isNotBlank();
        }
    }

    @Test
    @DisplayName("Containment: a dry run changes nothing; then the listed account's tokens stop working and it must choose a new password, the other account is untouched; unknown ids are reported; an admin event records it")
    void contain() {
        String vera = refreshToken("vera");
        String walt = refreshToken("walt");
        String veraId = server.admin().userId(realm.name(), "vera");

        JsonNode dry = server.admin().post(incident + "/contain", Map.of("userIds", List.of(veraId, "no-such-user"),
                "dryRun", true)).expect(200).json();
        assertThat(dry.get("handled").get(0).get("wouldDo").toString()).contains("signOut:1 sessions").contains("requirePasswordReset");
        assertThat(dry.get("notFound").toString()).contains("no-such-user");
        assertThat(refresh(vera)).as("a dry run changes nothing").isEqualTo(200);

        JsonNode done = server.admin().post(incident + "/contain", Map.of("userIds", List.of(veraId, "no-such-user")))
                .expect(200).json();
        assertThat(done.get("handled").get(0).get("username").asText()).isEqualTo("vera");
        assertThat(done.get("handled").get(0).get("done").toString()).contains("signOut").contains("requirePasswordReset");
        assertThat(done.get("notFound").toString()).contains("no-such-user");
        assertThat(refresh(vera)).as("vera's refresh token").isEqualTo(400);
        assertThat(refresh(walt)).as("walt's refresh token").isEqualTo(200);
        LoginClient.Result again = new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "vera", PASSWORD);
        assertThat(again.loggedIn()).isFalse();
        assertThat(again.page()).as("a new password first").contains("password-new");

        JsonNode events = Poll.until("the containment's admin event", Duration.ofSeconds(10), () -> {
            JsonNode e = server.admin().get("/admin/realms/" + realm.name() + "/admin-events?operationTypes=ACTION").expect(200)
                    .json();
            return e.size() > 0 ? e : null;
        });
        assertThat(events.get(0).get("resourcePath").asText()).contains("incident/contain");
        assertThat(events.get(0).get("representation").asText()).contains(veraId);
    }

    @Test
    @DisplayName("Containment with disablePassword: the old password no longer signs in (a reset by email sets a new one)")
    void disablePassword() {
        String veraId = server.admin().userId(realm.name(), "vera");
        server.admin().post(incident + "/contain", Map.of("userIds", List.of(veraId), "disablePassword", true)).expect(200);
        LoginClient.Result refused = realm.login("vera", PASSWORD);
        assertThat(refused.loggedIn()).isFalse();
        assertThat(refused.formError()).contains("Invalid username or password.");
        assertThat(realm.login("walt", PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("Bad containment requests: 400 with a reason, nothing done")
    void badContainment() {
        String veraId = server.admin().userId(realm.name(), "vera");
        List<Map<String, Object>> bad = new ArrayList<>();
        bad.add(Map.of());
        bad.add(Map.of("userIds", List.of()));
        bad.add(Map.of("userIds", Collections.nCopies(1001, "x")));
        bad.add(Map.of("userIds", List.of(42)));
        bad.add(Map.of("userIds", List.of("x".repeat(65))));
        bad.add(Map.of("userIds", List.of(veraId), "signOut", "yes"));
        bad.add(Map.of("userIds", List.of(veraId), "signout", true));
        bad.add(Map.of("userIds", List.of(veraId), "signOut", false, "requirePasswordReset", false));
        String vera = refreshToken("vera");
        for (Map<String, Object> body : bad) {
            AdminApi.Response r = server.admin().post(incident + "/contain", body);
            assertThat(r.status()).as("%s", body.keySet()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).isNotBlank();
        }
        assertThat(refresh(vera)).isEqualTo(200);
    }

    @Test
    @DisplayName("Signing out the realm ends every session: both users' refresh tokens stop working")
    void signOutRealm() {
        String vera = refreshToken("vera");
        String walt = refreshToken("walt");
        server.admin().post(incident + "/sign-out-realm?dryRun=true", Map.of()).expect(200);
        assertThat(refresh(vera)).isEqualTo(200);
        server.admin().post(incident + "/sign-out-realm", Map.of()).expect(200);
        assertThat(refresh(vera)).isEqualTo(400);
        assertThat(refresh(walt)).isEqualTo(400);
        assertThat(realm.login("walt", PASSWORD).loggedIn()).as("signing in again works").isTrue();
    }

    @Test
    @DisplayName("Emergency mode: the CAPTCHA is asked although the realm set it to never, thresholds are a fifth (2 failures throttle instead of 10); ended, both are back")
    void emergency() {
        String config = "/admin/realms/" + realm.name() + "/sentinel-admin/config";
        server.admin().put(config, Map.of("ipFailuresPerDay", 10)).expect(200);
        assertThat(server.admin().put(incident + "/emergency", Map.of("minutes", 0)).status()).isEqualTo(400);
        assertThat(server.admin().put(incident + "/emergency", Map.of("minutes", 1441)).status()).isEqualTo(400);
        assertThat(server.admin().put(incident + "/emergency", Map.of("hours", 1)).status()).isEqualTo(400);
        JsonNode on = server.admin().put(incident + "/emergency", Map.of("minutes", 30)).expect(200).json();
        assertThat(on.get("active").asBoolean()).isTrue();

        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "vera", "wrong-1");
        assertThat(page.loggedIn()).isFalse();
        // a post without an answer gets the refusal page, whose link leads to the form with the widget
        assertThat(page.page()).as("the CAPTCHA asked, mode never notwithstanding")
                .contains("Please complete the security check");
        java.util.regex.Matcher back = java.util.regex.Pattern.compile("id=\"sentinel-retry\" href=\"([^\"]+)\"")
                .matcher(page.page());
        assertThat(back.find()).as("a link back to the sign-in").isTrue();
        assertThat(client.open(back.group(1).replace("&amp;", "&")).page()).as("the widget on the form").contains(LOADER);
        realm.login("vera", "wrong-2");
        Poll.until("2 failures counted for 127.0.0.1", Duration.ofSeconds(20), () -> server.admin()
                .get("/admin/realms/" + realm.name() + "/sentinel-admin/attack?ip=127.0.0.1").expect(200).json()
                .at("/source/ipFailures24h").asLong() >= 2 ? Boolean.TRUE : null);
        LoginClient.Result throttled = realm.login("vera", PASSWORD);
        assertThat(throttled.status()).as("strict: 10 / 5 = 2 failures").isEqualTo(429);

        JsonNode off = server.admin().delete(incident + "/emergency").expect(200).json();
        assertThat(off.get("active").asBoolean()).isFalse();
        LoginClient.Result normal = realm.login("vera", PASSWORD);
        assertThat(normal.loggedIn()).as("%s", normal).isTrue();
    }
}
