package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Rotating a realm's signing key ({@code POST .../keys/rotate}): during the grace period a device
 * cookie signed before is still recognised (and signed anew), and a CAPTCHA challenge issued before
 * still verifies; a rotation without grace ends what the key before signed at once.
 */
@KeycloakIT
@DisplayName("Rotating a realm's signing key with a grace period")
class KeyRotationIT {

    private static final String PASSWORD = "Rota-pass-1";
    private static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    private final KeycloakServer server;
    private TestRealm devices;
    private TestRealm captcha;

    KeyRotationIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealms() {
        devices = TestRealm.builder("rotate-devices").user("rosa", PASSWORD).create(server);
        captcha = TestRealm.builder("rotate-captcha").user("rosa", PASSWORD).create(server);
        server.admin().put(path(devices, "/alerts"), Map.of("newDeviceAlerts", true)).expect(200);
        SentinelFlows.useSentinelLoginForm(server.admin(), captcha.name());
        server.admin().put(path(captcha, "/captcha"), Map.of("mode", "always", "workLow", 1000)).expect(200);
    }

    @AfterEach
    void deleteRealms() {
        devices.close();
        captcha.close();
    }

    private static String path(TestRealm realm, String path) {
        return "/admin/realms/" + realm.name() + "/sentinel-admin" + path;
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private Outcome login(Browser browser) {
        return browser.login(server.baseUrl(), devices.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "rosa", PASSWORD)
                .outcome();
    }

    @Test
    @DisplayName("Within the grace period an old device cookie is recognised and signed anew, and an old challenge"
            + " verifies; a rotation without grace ends the previous key at once")
    void rotateWithGrace() {
        JsonNode never = server.admin().get(path(devices, "/keys")).expect(200).json();
        assertThat(never.path("rotatedAt").isMissingNode() || never.path("rotatedAt").isNull()).as("never rotated: %s", never)
                .isTrue();

        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(login(home)).isEqualTo(Outcome.LOGGED_IN);
        String before = home.cookie("SENTINEL_DEVICE");
        assertThat(before).isNotNull();
        String answer = ProofOfWork.solvedAnswer(server, captcha.name());

        assertThat(server.admin().post(path(devices, "/keys/rotate"), Map.of("graceDays", 400)).expect(400).json()
                .get("error").asText()).contains("graceDays");
        JsonNode rotated = server.admin().post(path(devices, "/keys/rotate"), Map.of("graceDays", 1)).expect(200).json();
        assertThat(rotated.get("previousStillValid").asBoolean()).isTrue();
        assertThat(rotated.toString()).as("no key material").doesNotContain("key\"");
        assertThat(rotated.get("stored").asBoolean()).as("in the database: a full restart keeps it").isTrue();
        assertThat(server.admin().post(path(devices, "/keys/rotate"), Map.of("graceDays", 1)).expect(409).json()
                .get("error").asText()).as("a second rotation would end the first one's grace early")
                .contains("grace period runs until");
        server.admin().post(path(captcha, "/keys/rotate"), Map.of()).expect(200);
        assertThat(server.admin().get(path(devices, "/keys")).expect(200).json().get("rotatedAt").asText()).isNotBlank();

        // the same browser from another network, with only its old cookie: known by it, and given one under the new key
        Browser roaming = new Browser(address("127.0.92.9"), CHROME_WINDOWS);
        roaming.cookie("SENTINEL_DEVICE", before);
        assertThat(login(roaming)).isEqualTo(Outcome.LOGGED_IN);
        String renewed = roaming.cookie("SENTINEL_DEVICE");
        assertThat(renewed).as("signed anew").isNotEqualTo(before);
        assertThat(renewed.split("\\.")[1]).as("the same device id").isEqualTo(before.split("\\.")[1]);
        assertThat(server.admin().devices(devices.name(), "rosa")).as("still one device, seen on the new network")
                .containsExactly("Chrome@127.0.92.0/24");

        LoginClient.Result solved = new LoginClient(server.baseUrl()).login(captcha.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "rosa", PASSWORD, Map.of("altcha", answer));
        assertThat(solved.loggedIn()).as("a challenge issued before the rotation: %s", solved).isTrue();

        // no grace (a key that leaked): what the key before signed is refused at once
        server.admin().post(path(devices, "/keys/rotate"), Map.of("graceDays", 0)).expect(200);
        Browser third = new Browser(address("127.0.93.9"), CHROME_WINDOWS);
        third.cookie("SENTINEL_DEVICE", renewed);
        assertThat(login(third)).isEqualTo(Outcome.LOGGED_IN);
        assertThat(third.cookie("SENTINEL_DEVICE").split("\\.")[1]).as("a new device id").isNotEqualTo(before.split("\\.")[1]);
        assertThat(server.admin().devices(devices.name(), "rosa")).as("a new device").hasSize(2);
    }
}
