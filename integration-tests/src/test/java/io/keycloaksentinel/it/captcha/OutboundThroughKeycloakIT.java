package io.keycloaksentinel.it.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Ports;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sentinel's outbound calls go through Keycloak's own HTTP client ({@code HttpClientProvider}), so
 * what an operator configures for Keycloak's calls (its proxy mappings, its truststore) applies
 * to them. Shown with the proxy: a node whose {@code connections-http-client} mappings send every
 * host through a local HTTP proxy, and a CAPTCHA vendor address where nothing listens. The
 * verification can only succeed through the proxy; a client of Sentinel's own would connect
 * directly and fail.
 */
@DisplayName("Outbound calls use Keycloak's HTTP client: its proxy mappings apply")
class OutboundThroughKeycloakIT {

    private static final String PASSWORD = "Ordinary-pass-1";
    private static final String SECRET = "proxy-test-secret-0x4AAA";

    private static HttpServer proxy;
    private static final List<String> proxied = new CopyOnWriteArrayList<>();
    private static final List<String> bodies = new CopyOnWriteArrayList<>();
    private static KeycloakNode node;
    private static TestRealm realm;
    private static int deadPort;

    @BeforeAll
    static void start() throws IOException {
        // a plain HTTP forward proxy: it receives the absolute URL in the request line and answers as the vendor would
        proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/", exchange -> {
            proxied.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] reply = "{\"success\":true,\"hostname\":\"127.0.0.1\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        proxy.start();
        deadPort = Ports.free(); // nothing listens here: only the proxy can answer for it
        node = KeycloakNode.start("outbound-proxy", List.of(
                "--spi-connections-http-client--default--proxy-mappings=.*;http://127.0.0.1:" + proxy.getAddress().getPort()),
                Map.of());
        realm = TestRealm.builder("outbound-proxy").user("olivia", PASSWORD).create(node);
        SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (proxy != null) {
            proxy.stop(0);
        }
    }

    @Test
    @DisplayName("The CAPTCHA verification goes through the proxy Keycloak is configured with, and the login succeeds")
    void captchaThroughKeycloaksProxy() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", "always");
        settings.put("provider", "turnstile");
        settings.put("siteKey", "site-key-turnstile");
        settings.put("secret", SECRET);
        settings.put("verifyUrl", "http://127.0.0.1:" + deadPort + "/siteverify");
        settings.put("timeoutMillis", 2000);
        node.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/captcha", settings).expect(200);

        LoginClient.Result r = new LoginClient(node.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "olivia", PASSWORD, Map.of("cf-turnstile-response", "good-token"));

        assertThat(proxied).as("the proxy saw the vendor call, in proxy form (absolute URL)")
                .containsExactly("POST http://127.0.0.1:" + deadPort + "/siteverify");
        assertThat(bodies.get(0)).contains("response=good-token").contains("secret=" + SECRET);
        assertThat(r.loggedIn()).as("verified through the proxy: %s", r.status()).isTrue();
    }
}
