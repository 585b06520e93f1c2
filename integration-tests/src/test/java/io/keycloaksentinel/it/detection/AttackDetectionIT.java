package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Attack detection on one node")
class AttackDetectionIT {

    private final KeycloakServer server;
    private TestRealm realm;

    AttackDetectionIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("detect").user("olivia", "Ordinary-pass-1").create(server);
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private JsonNode attack(String query) {
        return server.admin().get("/admin/realms/" + realm.name() + "/sentinel-admin/attack" + query).expect(200).json();
    }

    private void failedLogins(int count, String forwardedFor) {
        for (int i = 0; i < count; i++) {
            LoginClient client = new LoginClient(server.baseUrl());
            if (forwardedFor != null) {
                client.withHeader("X-Forwarded-For", forwardedFor).withHeader("Forwarded", "for=" + forwardedFor);
            }
            LoginClient.Result r = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                    "nobody-" + i + "@example.test", "Summer2019!");
            assertThat(r.loggedIn()).isFalse();
        }
    }

    @Test
    @DisplayName("A realm starts NORMAL, and an ordinary login leaves it NORMAL")
    void quietRealm() {
        assertThat(realm.login("olivia", "Ordinary-pass-1").loggedIn()).isTrue();
        JsonNode body = Poll.until("the success counted", Duration.ofSeconds(20), () -> {
            JsonNode b = attack("");
            return b.at("/signals/successesLastMinute").asLong() == 1 ? b : null;
        });
        assertThat(body.get("state").asText()).isEqualTo("NORMAL");
        assertThat(body.at("/signals/failuresLastMinute").asLong()).isZero();
    }

    @Test
    @DisplayName("Forty failed logins for unknown usernames in a minute put the realm UNDER_ATTACK, with the reason")
    void unknownUsernameFloodIsAnAttack() {
        failedLogins(40, null);

        JsonNode body = Poll.until("UNDER_ATTACK", Duration.ofSeconds(30), () -> {
            JsonNode b = attack("");
            return "UNDER_ATTACK".equals(b.get("state").asText()) ? b : null;
        });
        // the burst rule sees the flood within its first seconds; on a slow machine the minute's rule may be first
        assertThat(body.get("reason").asText()).containsAnyOf("failed sign-ins in 10 s", "failed logins in the last minute")
                .contains("unknown usernames");
        assertThat(body.get("since").asText()).isNotBlank();
        JsonNode signals = Poll.until("all 40 counted", Duration.ofSeconds(20), () -> {
            JsonNode s = attack("").get("signals");
            return s.get("failuresLastMinute").asLong() == 40 ? s : null;
        });
        assertThat(signals.get("unknownUserShare").asDouble()).isEqualTo(1.0);
        assertThat(signals.get("failuresLastDay").asLong()).isEqualTo(40);

        String scrape = Metrics.scrape(server);
        String realmLabel = "realm=\"" + realm.name() + "\"";
        assertThat(Metrics.value(scrape, "sentinel_attack_state", realmLabel)).hasValue(2.0);
        assertThat(Metrics.value(scrape, "sentinel_login_attempts_total", realmLabel, "outcome=\"failure_unknown_user\""))
                .hasValue(40.0);
        assertThat(Metrics.value(scrape, "sentinel_counter_entries")).isPresent();
        assertThat(scrape).doesNotContain("nobody-0@example.test");
    }

    @Test
    @DisplayName("Forged X-Forwarded-For / Forwarded headers change nothing: failures count against the real source address")
    void forgedProxyHeadersAreIgnored() {
        failedLogins(3, "203.0.113.9");

        JsonNode real = Poll.until("3 failures from 127.0.0.1", Duration.ofSeconds(20), () -> {
            JsonNode s = attack("?ip=127.0.0.1").get("source");
            return s.get("ipFailures15m").asLong() == 3 ? s : null;
        });
        assertThat(real.get("network").asText()).isEqualTo("127.0.0.0/24");
        JsonNode forged = attack("?ip=203.0.113.9").get("source");
        assertThat(forged.get("ipFailures15m").asLong()).isZero();
        assertThat(forged.get("ipFailures24h").asLong()).isZero();
    }

    @Test
    @DisplayName("Bad input to the attack API gets a clear 400; anonymous callers get 401")
    void badInput() {
        String path = "/admin/realms/" + realm.name() + "/sentinel-admin/attack";
        AdminApi.Response host = server.admin().get(path + "?ip=evil.example");
        assertThat(host.status()).isEqualTo(400);
        assertThat(host.json().get("error").asText()).contains("not an IPv4 or IPv6 address");
        AdminApi.Response longIp = server.admin().get(path + "?ip=" + "1".repeat(500));
        assertThat(longIp.status()).isEqualTo(400);
        assertThat(longIp.json().get("error").asText()).contains("too long");
        assertThat(server.admin().getAnonymous(path).status()).isEqualTo(401);
    }

    @Test
    @DisplayName("An admin lowers the realm's thresholds through the API; six wrong passwords then make an attack")
    void realmThresholds() {
        String path = "/admin/realms/" + realm.name() + "/sentinel-admin/config";
        assertThat(server.admin().get(path).expect(200).json().get("minFailuresPerMinute").asLong()).isEqualTo(30);

        JsonNode saved = server.admin().put(path, java.util.Map.of("minFailuresPerMinute", 3, "attackFailuresPerMinute", 6,
                "cooldownSeconds", 60)).expect(200).json();
        assertThat(saved.get("minFailuresPerMinute").asLong()).isEqualTo(3);
        assertThat(saved.get("baselineMultiplier").asDouble()).isEqualTo(10.0); // left out: default
        assertThat(server.admin().get(path).expect(200).json().get("attackFailuresPerMinute").asLong()).isEqualTo(6);

        for (int i = 0; i < 6; i++) {
            assertThat(realm.login("olivia", "wrong-" + i).loggedIn()).isFalse();
        }
        JsonNode body = Poll.until("UNDER_ATTACK at the lowered threshold", Duration.ofSeconds(30), () -> {
            JsonNode b = attack("");
            return "UNDER_ATTACK".equals(b.get("state").asText()) ? b : null;
        });
        assertThat(body.at("/signals/unknownUserShare").asDouble()).isZero();
        // and the real user is not locked out by it: Sentinel's detection never locks an account
        assertThat(realm.login("olivia", "Ordinary-pass-1").loggedIn()).isTrue();
    }

    @Test
    @DisplayName("A bad threshold update is refused with a 400 that names the problem, and nothing is saved")
    void badThresholdUpdates() {
        String path = "/admin/realms/" + realm.name() + "/sentinel-admin/config";
        AdminApi.Response typo = server.admin().put(path, java.util.Map.of("minFailurePerMinute", 3));
        assertThat(typo.status()).isEqualTo(400);
        assertThat(typo.json().get("error").asText()).contains("unknown setting 'minFailurePerMinute'");

        AdminApi.Response inconsistent = server.admin().put(path, java.util.Map.of("minFailuresPerMinute", 500));
        assertThat(inconsistent.status()).isEqualTo(400);
        assertThat(inconsistent.json().get("error").asText()).contains("minFailuresPerMinute <= attackFailuresPerMinute");

        AdminApi.Response notNumber = server.admin().put(path, java.util.Map.of("unknownUserShare", "most"));
        assertThat(notNumber.status()).isEqualTo(400);
        assertThat(notNumber.json().get("error").asText()).contains("unknownUserShare must be a number");

        AdminApi.Response notJson = server.admin().put(path, "{not json");
        assertThat(notJson.status()).isEqualTo(400);

        assertThat(server.admin().get(path).expect(200).json().get("minFailuresPerMinute").asLong()).isEqualTo(30);
    }

    @Test
    @DisplayName("When a realm is deleted, its attack-state series leaves /metrics")
    void deletedRealmLeavesMetrics() {
        failedLogins(1, null);
        String label = "realm=\"" + realm.name() + "\"";
        Poll.until("the realm's state gauge", Duration.ofSeconds(20),
                () -> Metrics.value(Metrics.scrape(server), "sentinel_attack_state", label).isPresent() ? Boolean.TRUE : null);

        realm.close();

        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_attack_state", label)).isEmpty();
    }
}
