package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Two Keycloak nodes with Sentinel form one cluster")
class TwoNodeClusterIT {

    private static KeycloakCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = KeycloakCluster.start("node-a", "node-b");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @DisplayName("Each node reports a cluster of two members")
    void bothNodesSeeClusterOfTwo() {
        for (KeycloakNode node : cluster.nodes()) {
            double size = Poll.until("cluster size 2 on " + node.describe(), Duration.ofSeconds(60), () -> {
                OptionalDouble v = Metrics.value(Metrics.scrape(node), "vendor_cluster_size");
                return v.isPresent() && v.getAsDouble() == 2.0 ? v.getAsDouble() : null;
            });
            assertThat(size).isEqualTo(2.0);
        }
    }

    @Test
    @DisplayName("A session made on node A is seen, refreshed and ended on node B")
    void sessionMadeOnOneNodeIsVisibleOnTheOther() {
        KeycloakNode a = cluster.node(0);
        KeycloakNode b = cluster.node(1);
        try (TestRealm realm = TestRealm.builder("cluster").user("erin", "Cluster-pass-77").create(a)) {
            LoginClient.Result login = realm.login("erin", "Cluster-pass-77");
            assertThat(login.loggedIn()).as("login on node A: %s", login).isTrue();
            String sessionId = login.tokens().get("session_state").asText();

            String userId = b.admin().userId(realm.name(), "erin");
            JsonNode sessionsOnB = b.admin().get("/admin/realms/" + realm.name() + "/users/" + userId + "/sessions")
                    .expect(200).json();
            assertThat(sessionsOnB).hasSize(1);
            assertThat(sessionsOnB.get(0).get("id").asText()).isEqualTo(sessionId);

            String refreshToken = login.tokens().get("refresh_token").asText();
            AdminApi.Response refreshedOnB = LoginClient.refresh(b.baseUrl(), realm.name(), TestRealm.CLIENT_ID, refreshToken);
            assertThat(refreshedOnB.status()).as("refresh on node B: %s", refreshedOnB.body()).isEqualTo(200);

            b.admin().delete("/admin/realms/" + realm.name() + "/sessions/" + sessionId).expect(204);
            AdminApi.Response refreshedOnA = LoginClient.refresh(a.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                    refreshedOnB.json().get("refresh_token").asText());
            assertThat(refreshedOnA.status()).as("refresh on node A after logout on B: %s", refreshedOnA.body())
                    .isEqualTo(400);
            assertThat(refreshedOnA.json().get("error").asText()).isEqualTo("invalid_grant");
        }
    }
}
