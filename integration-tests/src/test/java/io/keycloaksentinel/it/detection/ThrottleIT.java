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
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Throttling a source on the Sentinel login form")
class ThrottleIT {

    private static final String PASSWORD = "Ordinary-pass-1";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";

    private final KeycloakServer server;
    private TestRealm realm;
    private String configPath;

    ThrottleIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("throttle").user("olivia", PASSWORD).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        // throttling and counting alone: the CAPTCHA in front of them is tested by CaptchaIT
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        configPath = "/admin/realms/" + realm.name() + "/sentinel-admin/config";
        server.admin().put(configPath, Map.of("ipFailuresPerDay", 5)).expect(200);
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private void failFiveTimesAndWaitUntilCounted() {
        for (int i = 0; i < 5; i++) {
            LoginClient.Result wrong = realm.login("olivia", "not-it-" + i);
            assertThat(wrong.status()).isEqualTo(200);
            assertThat(wrong.formError()).contains("Invalid username or password.");
        }
        Poll.until("5 failures counted for 127.0.0.1", Duration.ofSeconds(20), () -> server.admin()
                .get("/admin/realms/" + realm.name() + "/sentinel-admin/attack?ip=127.0.0.1").expect(200).json()
                .at("/source/ipFailures24h").asLong() >= 5 ? Boolean.TRUE : null);
    }

    private double hashes() {
        OptionalDouble v = Metrics.total(Metrics.scrape(server), HASHES);
        return v.orElseThrow(() -> new AssertionError(HASHES + " is not exposed"));
    }

    @Test
    @DisplayName("Below the threshold, the Sentinel form logs a user in like Keycloak's own form")
    void ordinaryLogin() {
        LoginClient.Result ok = realm.login("olivia", PASSWORD);
        assertThat(ok.loggedIn()).as("%s", ok).isTrue();
    }

    @Test
    @DisplayName("After its threshold, a source's login posts get 429 with Retry-After, even with the right password, and cost no password hash")
    void throttledBeforeHashing() {
        failFiveTimesAndWaitUntilCounted();
        double hashesBefore = hashes();

        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result throttled = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "olivia",
                PASSWORD);
        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.retryAfter()).isNotBlank();
        assertThat(Long.parseLong(throttled.retryAfter())).isPositive();
        assertThat(throttled.page()).contains("Too many failed sign-in attempts came from your network.");
        assertThat(throttled.loggedIn()).isFalse();
        // the refusal page: a plain form to try again from, and a link to the full sign-in page
        assertThat(throttled.page()).contains("id=\"kc-form-login\"").contains("id=\"sentinel-retry\"");
        LoginClient.Result again = client.submit(throttled.page(), Map.of("username", "olivia", "password", PASSWORD));
        assertThat(again.status()).as("posted again from the refusal page while throttled").isEqualTo(429);

        LoginClient.Result unknownUser = realm.login("someone-else", "whatever");
        assertThat(unknownUser.status()).isEqualTo(429);

        assertThat(hashes()).as("password hashes computed for throttled posts").isEqualTo(hashesBefore);
        String scrape = Metrics.scrape(server);
        assertThat(Metrics.value(scrape, "sentinel_throttled_requests_total", "realm=\"" + realm.name() + "\"",
                "mode=\"enforce\"")).hasValue(3.0);

        // once the admin lifts the throttle, the same refusal page's form signs the user in
        server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/attack/lift", Map.of("source", "127.0.0.1"))
                .expect(200);
        LoginClient.Result lifted = client.submit(again.page(), Map.of("username", "olivia", "password", PASSWORD));
        assertThat(lifted.loggedIn()).as("signed in from the refusal page's form: %s", lifted).isTrue();
    }

    @Test
    @DisplayName("An allowlisted network is never throttled (an office behind NAT)")
    void allowlist() {
        failFiveTimesAndWaitUntilCounted();
        assertThat(realm.login("olivia", PASSWORD).status()).isEqualTo(429);

        JsonNode saved = server.admin().put(configPath, Map.of("ipFailuresPerDay", 5, "allowlist", List.of("127.0.0.0/8")))
                .expect(200).json();
        assertThat(saved.get("allowlist").get(0).asText()).isEqualTo("127.0.0.0/8");

        assertThat(realm.login("olivia", PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("A bad allowlist is refused with a 400 naming the entry, and nothing is saved")
    void badAllowlist() {
        AdminApi.Response notCidr = server.admin().put(configPath, Map.of("allowlist", List.of("10.0.0.0/8", "office")));
        assertThat(notCidr.status()).isEqualTo(400);
        assertThat(notCidr.json().get("error").asText()).contains("allowlist: 'office' is not an IP address or CIDR range");

        AdminApi.Response notList = server.admin().put(configPath, Map.of("allowlist", "10.0.0.0/8"));
        assertThat(notList.status()).isEqualTo(400);
        assertThat(notList.json().get("error").asText()).contains("must be an array");

        JsonNode config = server.admin().get(configPath).expect(200).json();
        assertThat(config.get("allowlist")).isEmpty();
        assertThat(config.get("ipFailuresPerDay").asLong()).isEqualTo(5);
    }

    @Test
    @DisplayName("Monitoring-only mode counts and logs what it would throttle, and lets the login through")
    void monitoringOnly() {
        JsonNode saved = server.admin().put(configPath, Map.of("ipFailuresPerDay", 5, "mode", "monitor")).expect(200).json();
        assertThat(saved.get("mode").asText()).isEqualTo("monitor");
        failFiveTimesAndWaitUntilCounted();

        assertThat(realm.login("olivia", PASSWORD).loggedIn()).isTrue();
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_throttled_requests_total",
                "realm=\"" + realm.name() + "\"", "mode=\"monitor\"")).hasValue(1.0);

        AdminApi.Response badMode = server.admin().put(configPath, Map.of("mode", "panic"));
        assertThat(badMode.status()).isEqualTo(400);
        assertThat(badMode.json().get("error").asText()).contains("mode must be \"enforce\" or \"monitor\"");
    }
}
