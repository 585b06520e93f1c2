package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sentinel's secret settings (the CAPTCHA vendor secret, the alert webhook's secret and URL) are
 * stored as secrets: no read shows them, to a realm viewer or to the server's admin, whether
 * Sentinel's own API, Keycloak's realm and component reads or a partial export; and they still work
 * (the vendor receives the secret). A secret an earlier version kept in a realm attribute (or an old
 * export carries) is moved out on the first read, without losing it.
 */
@KeycloakIT
@DisplayName("Secret settings: never read back, by anyone; moved out of realm attributes")
class SecretSettingsIT {

    private static final String PASSWORD = "Ordinary-pass-1";
    private static final String VIEWER_PASSWORD = "Viewer-pass-1x";
    private static final String SECRET = "vendor-secret-7Hq2Zp";
    private static final String WEBHOOK_SECRET = "webhook-secret-0123456789abcdef";
    private static final String WEBHOOK_PATH = "hook-path-token-Xy81";

    private final KeycloakServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private HttpServer vendor;
    private final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

    SecretSettingsIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void start() throws IOException {
        vendor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        vendor.createContext("/siteverify", exchange -> {
            Map<String, String> form = new HashMap<>();
            for (String pair : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            received.add(form);
            boolean ok = SECRET.equals(form.get("secret")) && "good-token".equals(form.get("response"));
            byte[] body = (ok ? "{\"success\":true}" : "{\"success\":false,\"error-codes\":[\"invalid-input-response\"]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        vendor.start();
    }

    @AfterEach
    void stop() {
        vendor.stop(0);
    }

    private String verifyUrl() {
        return "http://127.0.0.1:" + vendor.getAddress().getPort() + "/siteverify";
    }

    private Map<String, Object> captcha(boolean withSecret) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", "always");
        settings.put("provider", "turnstile");
        settings.put("siteKey", "site-key-turnstile");
        settings.put("verifyUrl", verifyUrl());
        settings.put("timeoutMillis", 2000);
        if (withSecret) {
            settings.put("secret", SECRET);
        }
        return settings;
    }

    private boolean signsIn(TestRealm realm) {
        return new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "olivia",
                PASSWORD, Map.of("cf-turnstile-response", "good-token")).loggedIn();
    }

    /** A realm user with only realm-management's view-realm. */
    private static void viewer(org.keycloak.representations.idm.RealmRepresentation r) {
        r.getUsers().stream().filter(u -> u.getUsername().equals("viewer"))
                .forEach(u -> u.setClientRoles(Map.of("realm-management", List.of("view-realm"))));
    }

    private String token(TestRealm realm, String username, String password) throws Exception {
        String form = "grant_type=password&client_id=admin-cli&username=" + AdminApi.enc(username) + "&password="
                + AdminApi.enc(password);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        server.baseUrl().resolve("/realms/" + realm.name() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("viewer token: %s", r.body()).isEqualTo(200);
        return AdminApi.JSON.readTree(r.body()).get("access_token").asText();
    }

    private HttpResponse<String> as(String token, String method, String path) throws Exception {
        URI uri = server.baseUrl().resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        b = "POST".equals(method) ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void noSecretIn(String what, String body) {
        assertThat(body).as(what).doesNotContain(SECRET).doesNotContain(WEBHOOK_SECRET).doesNotContain(WEBHOOK_PATH);
    }

    @Test
    @DisplayName("Set through Sentinel's API: a view-realm admin and the server admin see them masked everywhere; the vendor gets the secret")
    void neverReadBack() throws Exception {
        try (TestRealm realm = TestRealm.builder("secrets").user("olivia", PASSWORD).user("viewer", VIEWER_PASSWORD)
                .customize(SecretSettingsIT::viewer).create(server)) {
            SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
            String base = "/admin/realms/" + realm.name();
            server.admin().put(base + "/sentinel-admin/captcha", captcha(true)).expect(200);
            JsonNode alerts = server.admin().put(base + "/sentinel-admin/admin-alerts", Map.of(
                    "webhookUrl", "http://127.0.0.1:" + vendor.getAddress().getPort() + "/" + WEBHOOK_PATH,
                    "webhookSecret", WEBHOOK_SECRET)).expect(200).json();
            assertThat(alerts.get("webhookUrl").asText()).isEqualTo("**********");
            assertThat(alerts.get("webhookSecret").asText()).isEqualTo("**********");

            assertThat(signsIn(realm)).as("signed in: the vendor accepted the stored secret").isTrue();
            assertThat(received).anySatisfy(f -> assertThat(f).containsEntry("secret", SECRET));

            String viewer = token(realm, "viewer", VIEWER_PASSWORD);
            HttpResponse<String> rep = as(viewer, "GET", base);
            assertThat(rep.statusCode()).isEqualTo(200);
            noSecretIn("the realm as a viewer reads it", rep.body());
            HttpResponse<String> components = as(viewer, "GET", base + "/components");
            assertThat(components.statusCode()).isEqualTo(200);
            assertThat(components.body()).as("Sentinel's components are internal: not listed")
                    .doesNotContain("sentinel-realm-secrets").doesNotContain("sentinel-realm-keys");
            noSecretIn("the components as a viewer reads them", components.body());
            for (String sentinel : List.of("captcha", "admin-alerts", "")) {
                HttpResponse<String> read = as(viewer, "GET", base + "/sentinel-admin/" + sentinel);
                assertThat(read.statusCode()).as(sentinel).isEqualTo(200);
                noSecretIn("Sentinel's read of " + sentinel, read.body());
            }
            HttpResponse<String> viewerExport = as(viewer, "POST", base + "/partial-export");
            if (viewerExport.statusCode() == 200) {
                noSecretIn("a partial export by a viewer", viewerExport.body());
            } else {
                assertThat(viewerExport.statusCode()).as("a viewer may not export").isEqualTo(403);
            }

            // the server's own admin sees no more
            noSecretIn("the realm as the admin reads it", server.admin().get(base).expect(200).body());
            noSecretIn("the components as the admin reads them", server.admin().get(base + "/components").expect(200).body());
            String export = server.admin().post(base + "/partial-export?exportClients=true&exportGroupsAndRoles=true", Map.of())
                    .expect(200).body();
            noSecretIn("a full partial export by the admin", export);

            // nor can the admin plant a realm key through Keycloak's components API (it would forge device cookies)
            String realmId = server.admin().get(base).expect(200).json().get("id").asText();
            AdminApi.Response planted = server.admin().post(base + "/components", Map.of("name", "planted",
                    "providerId", "sentinel-realm-keys", "providerType", "io.keycloaksentinel.core.secrets.SecretStore",
                    "parentId", realmId, "config", Map.of("key", List.of("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))));
            assertThat(planted.status()).as("creating Sentinel's internal component: %s", planted.body()).isEqualTo(403);

            // sending the mask back changes nothing
            server.admin().put(base + "/sentinel-admin/captcha", Map.of("secret", "**********", "mode", "always")).expect(200);
            received.clear();
            assertThat(signsIn(realm)).isTrue();
            assertThat(received).anySatisfy(f -> assertThat(f).containsEntry("secret", SECRET));
        }
    }

    @Test
    @DisplayName("A secret in a realm attribute (an earlier version, an old export) is moved out on first use and still works")
    void legacyAttributeMoved() throws Exception {
        try (TestRealm realm = TestRealm.builder("secrets-old").user("olivia", PASSWORD)
                .customize(r -> {
                    Map<String, String> attributes = new HashMap<>(r.getAttributes() == null ? Map.of() : r.getAttributes());
                    attributes.put("sentinel.captcha.secret", SECRET);
                    r.setAttributes(attributes);
                }).create(server)) {
            SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
            String base = "/admin/realms/" + realm.name();
            // moved out when the realm was imported: no read shows it
            noSecretIn("the realm imported with the attribute", server.admin().get(base).expect(200).body());
            server.admin().put(base + "/sentinel-admin/captcha", captcha(false)).expect(200);

            assertThat(signsIn(realm)).as("signed in with the secret the old attribute held").isTrue();
            assertThat(received).anySatisfy(f -> assertThat(f).containsEntry("secret", SECRET));
            noSecretIn("the realm after the move", server.admin().get(base).expect(200).body());
            assertThat(server.admin().get(base + "/sentinel-admin/captcha").expect(200).json().get("secret").asText())
                    .isEqualTo("**********");
            received.clear();
            assertThat(signsIn(realm)).as("still signs in after the move").isTrue();
            assertThat(received).anySatisfy(f -> assertThat(f).containsEntry("secret", SECRET));

            // a realm update that sets one as an attribute (as an older node would): moved on the next read
            com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) server.admin()
                    .get(base).expect(200).json();
            rep.with("attributes").put("sentinel.adminAlerts.webhookSecret", WEBHOOK_SECRET);
            server.admin().put(base, rep).expect(204);
            assertThat(server.admin().get(base + "/sentinel-admin/admin-alerts").expect(200).json().get("webhookSecret")
                    .asText()).as("kept as a secret").isEqualTo("**********");
            noSecretIn("the realm after the next read", server.admin().get(base).expect(200).body());
        }
    }
}
