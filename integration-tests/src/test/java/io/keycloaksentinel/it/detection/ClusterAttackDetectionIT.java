package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Attack detection across a two-node cluster")
class ClusterAttackDetectionIT {

    private static KeycloakCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = KeycloakCluster.start("detect-a", "detect-b");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonNode attack(KeycloakNode node, String realm) {
        return node.admin().get("/admin/realms/" + realm + "/sentinel-admin/attack?ip=127.0.0.1").expect(200).json();
    }

    private static void failedLogins(KeycloakNode node, String realm, int from, int count) {
        for (int i = from; i < from + count; i++) {
            LoginClient.Result r = new LoginClient(node.baseUrl()).login(realm, TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                    "stranger-" + i + "@example.test", "Winter2020!");
            assertThat(r.loggedIn()).isFalse();
        }
    }

    @Test
    @DisplayName("Failures sent half to node A and half to node B count together and throttle on both; node B keeps counts and state when A crashes")
    void countsAreClusterWide() {
        KeycloakNode a = cluster.node(0);
        KeycloakNode b = cluster.node(1);
        TestRealm realm = TestRealm.builder("cluster-detect").user("carol", "Carol-pass-1").create(a);
        SentinelFlows.useSentinelLoginForm(a.admin(), realm.name());
        // throttling and counting alone: the CAPTCHA in front of them is tested by CaptchaIT
        SentinelFlows.captchaMode(a.admin(), realm.name(), "never");
        String base = "/admin/realms/" + realm.name() + "/sentinel-admin/";
        a.admin().put(base + "config", java.util.Map.of("ipFailuresPerDay", 40)).expect(200);

        failedLogins(a, realm.name(), 0, 20);
        failedLogins(b, realm.name(), 20, 20);

        for (KeycloakNode node : cluster.nodes()) {
            JsonNode body = Poll.until("40 failures and UNDER_ATTACK on " + node.name(), Duration.ofSeconds(30), () -> {
                JsonNode r = attack(node, realm.name());
                // one failure adds to several counters, which a flush may carry in two batches: wait for all
                return r.at("/signals/failuresLastMinute").asLong() == 40 && "UNDER_ATTACK".equals(r.get("state").asText())
                        && r.at("/source/ipFailures15m").asLong() == 40
                        && r.at("/signals/unknownUserShare").asDouble() == 1.0 ? r : null;
            });
            assertThat(body.at("/source/ipFailures15m").asLong()).isEqualTo(40);
            assertThat(body.at("/signals/unknownUserShare").asDouble()).isEqualTo(1.0);
        }
        for (KeycloakNode node : cluster.nodes()) {
            LoginClient.Result throttled = new LoginClient(node.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "carol", "Carol-pass-1");
            assertThat(throttled.status()).as("carol's post on %s", node.name()).isEqualTo(429);
        }
        // the offender list is the cluster's, whichever node answers
        JsonNode offenders = b.admin().get(base + "attack/offenders").expect(200).json();
        assertThat(offenders.at("/addresses/0/source").asText()).isEqualTo("127.0.0.1");
        assertThat(offenders.at("/addresses/0/failures").asLong()).isEqualTo(40);
        assertThat(offenders.at("/addresses/0/distinctUsernames").asLong()).isEqualTo(40);
        assertThat(offenders.at("/addresses/0/throttled").asBoolean()).as("%s", offenders).isTrue();

        a.crash(); // SIGKILL: whatever node A owned must still be on node B, the other owner

        JsonNode afterStop = Poll.until("node B answering after node A crashed", Duration.ofSeconds(120), () -> {
            try {
                return attack(b, realm.name());
            } catch (RuntimeException | AssertionError stillFailingOver) {
                return null;
            }
        });
        assertThat(afterStop.get("state").asText()).isEqualTo("UNDER_ATTACK");
        assertThat(afterStop.at("/signals/failuresLastDay").asLong()).isEqualTo(40);
        assertThat(afterStop.at("/source/ipFailures24h").asLong()).isEqualTo(40);

        Poll.until("lift on node B", Duration.ofSeconds(120),
                () -> b.admin().post(base + "attack/lift", java.util.Map.of("source", "127.0.0.1")).status() == 200
                        ? Boolean.TRUE : null);
        assertThat(new LoginClient(b.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "carol", "Carol-pass-1").loggedIn()).isTrue();
    }
}
