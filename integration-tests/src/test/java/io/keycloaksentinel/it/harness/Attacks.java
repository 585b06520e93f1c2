package io.keycloaksentinel.it.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
        JsonNode settings = server.admin().get(captcha).expect(200).json();
        if ("altcha".equals(settings.path("provider").asText()) && ("risky".equals(mode) || "always".equals(mode))) {
            // each node reuses the realm's state it read for up to 100 ms: wait until the pages this node
            // serves ask the attack's work, so that a challenge fetched now is not too weak for the next post
            long high = settings.path("workHigh").asLong();
            Poll.until("the proof-of-work sized for the attack", Duration.ofSeconds(10),
                    () -> ProofOfWork.challenge(server, realm).path("maxnumber").asLong() >= high ? Boolean.TRUE : null);
        }
    }
}
