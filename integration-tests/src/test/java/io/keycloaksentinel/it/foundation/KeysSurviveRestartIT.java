package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.KeycloakCluster;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A realm's random key outlives a full restart (every node down, nothing left in Infinispan, the
 * same database): a device cookie issued before is still recognised and a CAPTCHA challenge issued
 * before still verifies within its lifetime, also when the realm's signing key was rotated after
 * the challenge was issued. Without the stored keys both would be forgotten.
 */
@DisplayName("Sentinel's realm keys survive a full restart on the same database")
class KeysSurviveRestartIT {

    private static final String PASSWORD = "Carol-pass-1";
    private static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static KeycloakCluster cluster;

    @BeforeAll
    static void start() {
        cluster = KeycloakCluster.start("keys-a");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("A device cookie and a solved CAPTCHA challenge from before the restart are both accepted after it")
    void keysOutliveTheCluster() {
        KeycloakNode before = cluster.node(0);
        TestRealm devicesRealm = TestRealm.builder("keys-devices").user("carol", PASSWORD).create(before);
        TestRealm captchaRealm = TestRealm.builder("keys-captcha").user("carol", PASSWORD).create(before);
        before.admin().put("/admin/realms/" + devicesRealm.name() + "/sentinel-admin/alerts", Map.of("newDeviceAlerts", true))
                .expect(200);
        SentinelFlows.useSentinelLoginForm(before.admin(), captchaRealm.name());
        before.admin().put("/admin/realms/" + captchaRealm.name() + "/sentinel-admin/captcha",
                Map.of("mode", "always", "workLow", 1000)).expect(200);

        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(home.login(before.baseUrl(), devicesRealm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "carol",
                PASSWORD).outcome()).isEqualTo(Outcome.LOGGED_IN);
        String deviceCookie = home.cookie("SENTINEL_DEVICE");
        assertThat(deviceCookie).as("the device cookie issued before the restart").isNotNull();
        assertThat(before.admin().devices(devicesRealm.name(), "carol")).containsExactly("Chrome@127.0.0.0/24");
        String answer = ProofOfWork.solvedAnswer(before, captchaRealm.name());
        // the CAPTCHA realm's signing key rotated after the challenge was issued: after the restart the challenge
        // verifies only if the rotation (new key, and the one before within its grace) came back from the database
        JsonNode rotated = before.admin().post("/admin/realms/" + captchaRealm.name() + "/sentinel-admin/keys/rotate",
                Map.of("graceDays", 1)).expect(200).json();
        assertThat(rotated.path("stored").asBoolean()).as("the rotation is in the database before the restart: %s", rotated)
                .isTrue();
        String rotatedAt = rotated.get("rotatedAt").asText();
        JsonNode components = before.admin().get("/admin/realms/" + devicesRealm.name() + "/components").expect(200).json();
        assertThat(components.toString()).as("the realm's key component is internal: never listed")
                .doesNotContain("sentinel-realm-keys");

        cluster.restartAll();
        KeycloakNode after = cluster.node(0);

        // the same browser from another network, with only its device cookie: known by the cookie alone, which needs
        // the key it was signed with and the stored id the user's list holds under that key
        Browser roaming = new Browser(address("127.0.91.9"), CHROME_WINDOWS);
        roaming.cookie("SENTINEL_DEVICE", deviceCookie);
        assertThat(roaming.login(after.baseUrl(), devicesRealm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "carol",
                PASSWORD).outcome()).isEqualTo(Outcome.LOGGED_IN);
        assertThat(roaming.cookie("SENTINEL_DEVICE")).as("no new device cookie after the restart").isEqualTo(deviceCookie);
        assertThat(after.admin().devices(devicesRealm.name(), "carol")).as("still one device, now seen on the new network")
                .containsExactly("Chrome@127.0.91.0/24");

        assertThat(after.admin().get("/admin/realms/" + captchaRealm.name() + "/sentinel-admin/keys").expect(200).json()
                .get("rotatedAt").asText()).as("the rotation outlived the cluster").isEqualTo(rotatedAt);
        LoginClient.Result solved = new LoginClient(after.baseUrl()).login(captchaRealm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "carol", PASSWORD, Map.of("altcha", answer));
        assertThat(solved.loggedIn()).as("a challenge solved before the restart, answered after it: %s", solved).isTrue();
    }
}
