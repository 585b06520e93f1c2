package io.keycloaksentinel.it.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The proof-of-work CAPTCHA across a two-node cluster")
class ClusterCaptchaIT {

    private static final String PASSWORD = "Carol-pass-1";
    private static KeycloakCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = KeycloakCluster.start("captcha-a", "captcha-b");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static LoginClient.Result login(KeycloakNode node, String realm, String answer) {
        return new LoginClient(node.baseUrl()).login(realm, TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "carol",
                PASSWORD, Map.of("altcha", answer));
    }

    @Test
    @DisplayName("A challenge issued by node A is accepted on node B once, and its answer replayed on either node is refused")
    void singleUseAcrossNodes() {
        KeycloakNode a = cluster.node(0);
        KeycloakNode b = cluster.node(1);
        try (TestRealm realm = TestRealm.builder("cluster-captcha").user("carol", PASSWORD).create(a)) {
            SentinelFlows.useSentinelLoginForm(a.admin(), realm.name());
            a.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/captcha",
                    Map.of("mode", "always", "workLow", 1000)).expect(200);

            String fromA = ProofOfWork.solvedAnswer(a, realm.name());
            assertThat(login(b, realm.name(), fromA).loggedIn()).as("node A's challenge, answered on node B").isTrue();
            LoginClient.Result replayOnA = login(a, realm.name(), fromA);
            assertThat(replayOnA.loggedIn()).isFalse();
            assertThat(replayOnA.page()).contains("The security check could not be confirmed.");
            assertThat(login(b, realm.name(), fromA).loggedIn()).as("replayed on node B").isFalse();

            String fromB = ProofOfWork.solvedAnswer(b, realm.name());
            assertThat(login(a, realm.name(), fromB).loggedIn()).as("node B's challenge, answered on node A").isTrue();
        }
    }
}
