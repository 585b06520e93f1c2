package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Settings;
import io.keycloaksentinel.it.harness.TestRealm;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.RealmRepresentation;

@KeycloakIT
@DisplayName("Smoke: Keycloak with the built Sentinel JAR")
class SmokeIT {

    private final KeycloakServer server;
    private final List<TestRealm> realms = new ArrayList<>();

    SmokeIT(KeycloakServer server) {
        this.server = server;
    }

    @AfterEach
    void deleteRealms() {
        realms.forEach(TestRealm::close);
    }

    private TestRealm realm(TestRealm.Builder builder) {
        TestRealm realm = builder.create(server);
        realms.add(realm);
        return realm;
    }

    @Test
    @DisplayName("The server lists Sentinel's providers and theme in /admin/serverinfo")
    void serverInfoListsSentinel() {
        JsonNode info = server.admin().serverInfo();

        assertThat(info.at("/systemInfo/version").asText()).isEqualTo(Settings.keycloakVersion());
        JsonNode adminExtensions = info.at("/providers/admin-realm-restapi-extension/providers");
        assertThat(adminExtensions.has("sentinel-admin")).as("sentinel-admin in %s", adminExtensions).isTrue();
        assertThat(adminExtensions.at("/sentinel-admin/operationalInfo/sentinel-version").asText()).isNotBlank();

        List<String> loginThemes = new ArrayList<>();
        info.at("/themes/login").forEach(t -> loginThemes.add(t.get("name").asText()));
        assertThat(loginThemes).contains("sentinel");
    }

    @Test
    @DisplayName("Sentinel's admin API reports its version and deployed providers to a realm admin, and 401 to anyone else")
    void adminApi() {
        TestRealm realm = realm(TestRealm.builder("smoke-admin"));
        String path = "/admin/realms/" + realm.name() + "/sentinel-admin";

        JsonNode body = server.admin().get(path).expect(200).json();
        assertThat(body.get("realm").asText()).isEqualTo(realm.name());
        assertThat(body.get("keycloakVersion").asText()).isEqualTo(Settings.keycloakVersion());
        assertThat(body.get("sentinelVersion").asText()).isNotBlank().isNotEqualTo("unknown");
        assertThat(body.at("/providers/admin-realm-restapi-extension").toString()).contains("sentinel-admin");

        assertThat(server.admin().getAnonymous(path).status()).isEqualTo(401);
        assertThat(server.admin().get("/admin/realms/no-such-realm-x/sentinel-admin").status()).isEqualTo(404);
    }

    @Test
    @DisplayName("A user logs in through the real login page (Sentinel's theme) and gets tokens; a wrong password gets the form back")
    void userLogsInThroughTheLoginPage() {
        TestRealm realm = realm(TestRealm.builder("smoke-login")
                .user("dana", "Correct-horse-42")
                .customize(r -> r.setLoginTheme("sentinel")));

        LoginClient.Result ok = realm.login("dana", "Correct-horse-42");
        assertThat(ok.loggedIn()).as("login result %s", ok).isTrue();
        assertThat(ok.tokens().get("id_token").asText()).isNotBlank();

        LoginClient.Result wrong = realm.login("dana", "wrong-password");
        assertThat(wrong.loggedIn()).isFalse();
        assertThat(wrong.status()).isEqualTo(200);
        assertThat(wrong.formError()).contains("Invalid username or password.");
    }

    @Test
    @DisplayName("The demo realm of the run command imports, and its demo user logs in")
    void demoRealmImportsAndAliceLogsIn() throws Exception {
        RealmRepresentation demo = AdminApi.JSON.readValue(Files.readString(Settings.demoRealm()), RealmRepresentation.class);
        assertThat(demo.getRealm()).isEqualTo("demo");

        TestRealm realm = realm(TestRealm.builder("demo-copy").from(demo));

        assertThat(realm.login("alice", "Demo-alice-2026!").loggedIn()).isTrue();
        assertThat(realm.login("alice", "Demo-bob-2026!").loggedIn()).isFalse();

        // its browser flow runs Sentinel's form: a source over its threshold is answered 429
        String admin = "/admin/realms/" + realm.name();
        assertThat(server.admin().get(admin).expect(200).json().get("browserFlow").asText()).isEqualTo("sentinel browser");
        assertThat(server.admin().get(admin + "/authentication/flows/" + AdminApi.encPath("sentinel browser")
                + "/executions").expect(200).body()).contains("\"providerId\":\"sentinel-login-form\"");
        server.admin().put(admin + "/sentinel-admin/config", java.util.Map.of("ipFailuresPerDay", 2)).expect(200);
        assertThat(realm.login("alice", "Demo-bob-2026!").loggedIn()).isFalse();
        io.keycloaksentinel.it.harness.Poll.until("2 failures counted", java.time.Duration.ofSeconds(20), () ->
                server.admin().get(admin + "/sentinel-admin/attack?ip=127.0.0.1").expect(200).json()
                        .at("/source/ipFailures24h").asLong() >= 2 ? Boolean.TRUE : null);
        assertThat(realm.login("alice", "Demo-alice-2026!").status()).isEqualTo(429);

        // registration and reset run Sentinel's CAPTCHA steps: with the CAPTCHA on, a bot's post is refused
        com.fasterxml.jackson.databind.JsonNode flows = server.admin().get(admin).expect(200).json();
        assertThat(flows.get("registrationFlow").asText()).isEqualTo("sentinel registration");
        assertThat(flows.get("resetCredentialsFlow").asText()).isEqualTo("sentinel reset credentials");
        server.admin().put(admin + "/sentinel-admin/captcha", java.util.Map.of("mode", "always")).expect(200);
        io.keycloaksentinel.it.harness.LoginClient bot = new io.keycloaksentinel.it.harness.LoginClient(server.baseUrl());
        assertThat(bot.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/reset-credentials", java.util.Map.of("username", "alice")).page())
                .contains("Please complete the security check");
    }
}
