package io.keycloaksentinel.it.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

/** Drives a test realm into Sentinel's attack states the way an attacker would. */
public final class Attacks {

    private Attacks() {
    }

    /**
     * Forty failed logins for unknown usernames, then waits for UNDER_ATTACK. The realm's
     * CAPTCHA is off during the flood (from ELEVATED on it would hold the flood off at the
     * CAPTCHA, which is the point of it) and back to its previous mode afterwards.
     */
    public static void underAttack(KeycloakServer server, String realm) {
        String captcha = "/admin/realms/" + AdminApi.encPath(realm) + "/sentinel-admin/captcha";
        String mode = server.admin().get(captcha).expect(200).json().get("mode").asText();
        server.admin().put(captcha, Map.of("mode", "never")).expect(200);
        for (int i = 0; i < 40; i++) {
            LoginClient.Result r = new LoginClient(server.baseUrl()).login(realm, TestRealm.CLIENT_ID,
                    TestRealm.REDIRECT_URI, "nobody-" + i + "@example.test", "Summer2019!");
            assertThat(r.loggedIn()).isFalse();
        }
        Poll.until("UNDER_ATTACK", Duration.ofSeconds(30), () -> "UNDER_ATTACK".equals(server.admin()
                .get("/admin/realms/" + AdminApi.encPath(realm) + "/sentinel-admin/attack").expect(200).json()
                .get("state").asText()) ? Boolean.TRUE : null);
        server.admin().put(captcha, Map.of("mode", mode)).expect(200);
    }
}
