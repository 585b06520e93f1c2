package io.keycloaksentinel.it.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.MailQueue;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("New-device alerts across a two-node cluster")
class ClusterDeviceIT {

    private static final String PASSWORD = "Carol-pass-1";
    private static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static final String FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private static final String CAROL = "carol@example.test";
    private static final String DAVE = "dave@example.test";
    private static KeycloakCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = KeycloakCluster.start("devices-a", "devices-b");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Outcome login(Browser browser, KeycloakNode node, String realm, String username) {
        return browser.login(node.baseUrl(), realm, TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, PASSWORD).outcome();
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }


    @Test
    @DisplayName("A browser known from node A is known on node B (same cookie, even from another network); another browser on node B gets exactly one alert")
    void devicesAreClusterWide() {
        KeycloakNode a = cluster.node(0);
        KeycloakNode b = cluster.node(1);
        try (MailServer mail = new MailServer();
             TestRealm realm = TestRealm.builder("cluster-devices").user("carol", PASSWORD).user("dave", PASSWORD)
                     .customize(r -> r.setSmtpServer(mail.realmSmtp())).create(a)) {
            String alerts = "/admin/realms/" + realm.name() + "/sentinel-admin/alerts";
            a.admin().put(alerts, Map.of("newDeviceAlerts", true)).expect(200);
            Poll.until("node B sees the alerts turned on", Duration.ofSeconds(30),
                    () -> b.admin().get(alerts).expect(200).json().get("newDeviceAlerts").asBoolean() ? Boolean.TRUE : null);

            // carol's first device, on node A: remembered, no mail
            Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
            assertThat(login(home, a, realm.name(), "carol")).isEqualTo(Outcome.LOGGED_IN);
            String deviceCookie = home.cookie("SENTINEL_DEVICE");
            assertThat(deviceCookie).as("node A's device cookie").isNotNull();

            // the same browser (same cookie jar) on node B
            assertThat(login(home, b, realm.name(), "carol")).isEqualTo(Outcome.LOGGED_IN);
            // the same browser on another network, with only its device cookie (no session): recognised on node B by
            // node A's cookie alone, which needs the cluster's key and the list node A wrote
            Browser roaming = new Browser(address("127.0.91.9"), CHROME_WINDOWS);
            roaming.cookie("SENTINEL_DEVICE", deviceCookie);
            assertThat(login(roaming, b, realm.name(), "carol")).isEqualTo(Outcome.LOGGED_IN);
            assertThat(roaming.cookie("SENTINEL_DEVICE")).as("no new device cookie on node B").isEqualTo(deviceCookie);

            // another browser on another network, on node B: a new device
            Browser other = new Browser(address("127.0.92.9"), FIREFOX_LINUX);
            assertThat(login(other, b, realm.name(), "carol")).isEqualTo(Outcome.LOGGED_IN);
            MailServer.Mail alert = mail.await(CAROL, 1, Duration.ofSeconds(30)).get(0);
            assertThat(alert.subject()).isEqualTo("New sign-in to " + realm.name());
            assertThat(alert.text()).contains("Firefox").contains("127.0.92.9");

            // a sync point: dave's alert, queued after anything carol's logins could have queued, has arrived, and no
            // node has a mail waiting (mails are not delivered in the order they were queued)
            assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), a, realm.name(), "dave")).isEqualTo(Outcome.LOGGED_IN);
            assertThat(login(new Browser(address("127.0.93.9"), FIREFOX_LINUX), b, realm.name(), "dave")).isEqualTo(Outcome.LOGGED_IN);
            mail.await(DAVE, 1, Duration.ofSeconds(30));
            cluster.nodes().forEach(node -> MailQueue.awaitDrained(node, Duration.ofSeconds(30)));
            assertThat(mail.to(CAROL)).as("carol's alerts").hasSize(1);

            for (KeycloakNode node : cluster.nodes()) {
                assertThat(node.admin().devices(realm.name(), "carol")).as("carol's devices seen from %s", node.name())
                        .containsExactlyInAnyOrder("Chrome@127.0.91.0/24", "Firefox@127.0.92.0/24");
            }
        }
    }
}
