package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.H2TcpServer;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.Settings;
import io.keycloaksentinel.it.harness.TestRealm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The admin console tabs need Keycloak's experimental {@code declarative-ui} feature. A server
 * built without it runs Sentinel as before (REST, no tab, nothing stored for one); a server
 * started later with it on, on the same database, shows in the tabs what was set before, and
 * keeps no secret in them (read from the database itself, beneath Keycloak's masking).
 */
@DisplayName("Admin console tabs: without the declarative-ui feature, and turned on later")
class ConsoleTabsFeatureIT {

    private static final String TAB_TYPE = "org.keycloak.services.ui.extend.UiTabProvider";
    private static final String SECRET = "feature-off-secret-4711";

    @Test
    @DisplayName("Without the feature the REST API works and no tab exists; with it on later, the tabs show the"
            + " settings made before, never a secret")
    void offThenOn() throws Exception {
        try (H2TcpServer db = H2TcpServer.start(Settings.workDir().resolve("console-feature-db"))) {
            String realmName;
            try (KeycloakNode off = KeycloakNode.start(BuiltDistribution.withoutDeclarativeUi(), "console-off",
                    db.nodeOptions(), Map.of())) {
                TestRealm realm = TestRealm.builder("console-feature").create(off);
                realmName = realm.name();
                String sentinel = "/admin/realms/" + realmName + "/sentinel-admin";
                off.admin().put(sentinel + "/captcha", Map.of("mode", "always", "workHigh", 150_000, "secret", SECRET))
                        .expect(200);
                off.admin().put(sentinel + "/config", Map.of("ipFailuresPerDay", 55)).expect(200);
                assertThat(off.admin().get(sentinel + "/captcha").expect(200).json().get("mode").asText()).isEqualTo("always");

                // Keycloak 26.7 lists the tab types with the feature off, but its console shows no tab then
                JsonNode features = off.admin().serverInfo().path("features");
                assertThat(features.toString()).contains("DECLARATIVE_UI");
                features.forEach(f -> {
                    if ("DECLARATIVE_UI".equals(f.path("name").asText())) {
                        assertThat(f.path("enabled").asBoolean()).isFalse();
                    }
                });
                assertThat(off.admin().get("/admin/realms/" + realmName + "/components?type=" + TAB_TYPE).expect(200)
                        .json()).isEmpty();
                Map<String, Object> tab = new HashMap<>();
                tab.put("name", "sentinel-captcha");
                tab.put("providerId", "sentinel-captcha");
                tab.put("providerType", TAB_TYPE);
                tab.put("config", Map.of("mode", List.of("never")));
                io.keycloaksentinel.it.harness.AdminApi.Response refused = off.admin().post("/admin/realms/" + realmName
                        + "/components", tab);
                assertThat(refused.status()).isEqualTo(400);
                assertThat(refused.body()).contains("declarative-ui");
                assertThat(off.admin().get(sentinel + "/captcha").expect(200).json().get("mode").asText())
                        .as("nothing changed").isEqualTo("always");
                assertThat(tabRows(db)).isEmpty();
                assertThat(Files.readAllLines(off.log(), StandardCharsets.UTF_8))
                        .noneMatch(l -> l.contains("ERROR") && l.toLowerCase().contains("sentinel"));
            }

            try (KeycloakNode on = KeycloakNode.start(BuiltDistribution.get(), "console-on", db.nodeOptions(), Map.of())) {
                String sentinel = "/admin/realms/" + realmName + "/sentinel-admin";
                JsonNode types = on.admin().serverInfo().path("componentTypes").path(TAB_TYPE);
                assertThat(types.toString()).contains("sentinel-captcha", "sentinel-detection", "sentinel-attack");

                // the start-up refresh made the tabs of what differs from the defaults
                Map<String, Map<String, String>> tabs = tabs(db);
                assertThat(tabs.get("sentinel-captcha")).containsEntry("mode", "always").containsEntry("workHigh", "150000")
                        .containsEntry("secret", "**********");
                assertThat(tabs.get("sentinel-detection")).containsEntry("ipFailuresPerDay", "55");
                assertThat(tabs).as("settings at their defaults need no component").doesNotContainKey("sentinel-mfa");
                assertThat(tabRows(db).toString()).doesNotContain(SECRET);

                // a REST change reaches the tab before it commits
                on.admin().put(sentinel + "/captcha", Map.of("challengeSeconds", 600)).expect(200);
                assertThat(tabs(db).get("sentinel-captcha")).containsEntry("challengeSeconds", "600")
                        .containsEntry("mode", "always");
                // the vendor secret is still the one set before, in Sentinel's secrets component (only its mask was copied)
                assertThat(db.query("SELECT cc.VALUE FROM COMPONENT c JOIN COMPONENT_CONFIG cc ON cc.COMPONENT_ID = c.ID"
                        + " WHERE c.PROVIDER_ID = 'sentinel-realm-secrets' AND cc.NAME = 'sentinel.captcha.secret'"))
                        .containsExactly(List.of(SECRET));
                on.admin().deleteRealm(realmName);
            }
        }
    }

    /** Provider id, property name and value of every stored config row of a tab component. */
    private static List<List<String>> tabRows(H2TcpServer db) {
        return db.query("SELECT c.PROVIDER_ID, cc.NAME, cc.VALUE FROM COMPONENT c JOIN COMPONENT_CONFIG cc"
                + " ON cc.COMPONENT_ID = c.ID WHERE c.PROVIDER_TYPE = '" + TAB_TYPE + "'");
    }

    private static Map<String, Map<String, String>> tabs(H2TcpServer db) {
        Map<String, Map<String, String>> out = new HashMap<>();
        for (List<String> row : tabRows(db)) {
            out.computeIfAbsent(row.get(0), k -> new HashMap<>()).put(row.get(1), row.get(2));
        }
        return out;
    }
}
