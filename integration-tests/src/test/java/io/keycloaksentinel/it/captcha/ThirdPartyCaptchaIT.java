package io.keycloaksentinel.it.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The third-party providers against a local server that implements their documented siteverify
 * protocol (form POST of secret, response, remoteip; JSON reply with success, score,
 * error-codes), pointed at through the configurable verify URL.
 */
@KeycloakIT
@DisplayName("Third-party CAPTCHA providers against a local siteverify server")
class ThirdPartyCaptchaIT {

    private static final String PASSWORD = "Ordinary-pass-1";
    private static final String SECRET = "test-secret-0x4AAA";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";

    private final KeycloakServer server;
    private TestRealm realm;
    private String captchaPath;
    private HttpServer siteverify;
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

    ThirdPartyCaptchaIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void start() throws IOException {
        siteverify = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        siteverify.setExecutor(Executors.newFixedThreadPool(4));
        siteverify.createContext("/siteverify", exchange -> {
            Map<String, String> form = parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            received.add(form);
            String token = form.getOrDefault("response", "");
            int status = 200;
            String body;
            switch (token) {
                case "good-token" -> body = "{\"success\":true,\"hostname\":\"127.0.0.1\"}";
                case "v3-good" -> body = "{\"success\":true,\"score\":0.9,\"action\":\"login\"}";
                case "v3-low" -> body = "{\"success\":true,\"score\":0.1,\"action\":\"login\"}";
                case "boom" -> {
                    status = 500;
                    body = "{\"error\":\"internal\"}";
                }
                case "garbage" -> body = "<html><body>Service Unavailable</body></html>";
                case "slow" -> {
                    try {
                        releaseSlow.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    body = "{\"success\":true}";
                }
                default -> body = "{\"success\":false,\"error-codes\":[\"invalid-input-response\"]}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            try {
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            } catch (IOException clientGaveUp) {
                // the server under test timed out first: expected for "slow"
            }
        });
        siteverify.start();
        realm = TestRealm.builder("captcha-vendor").user("olivia", PASSWORD).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        captchaPath = "/admin/realms/" + realm.name() + "/sentinel-admin/captcha";
    }

    @AfterEach
    void stop() {
        releaseSlow.countDown();
        siteverify.stop(0);
        ((java.util.concurrent.ExecutorService) siteverify.getExecutor()).shutdownNow();
        realm.close();
    }

    private void use(String provider, Map<String, Object> more) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", "always");
        settings.put("provider", provider);
        settings.put("siteKey", "site-key-" + provider);
        settings.put("secret", SECRET);
        settings.put("verifyUrl", "http://127.0.0.1:" + siteverify.getAddress().getPort() + "/siteverify");
        settings.put("timeoutMillis", 500);
        settings.putAll(more);
        server.admin().put(captchaPath, settings).expect(200);
    }

    private LoginClient.Result login(String field, String token) {
        return new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "olivia", PASSWORD, Map.of(field, token));
    }

    private double hashes() {
        OptionalDouble v = Metrics.total(Metrics.scrape(server), HASHES);
        return v.orElseThrow(() -> new AssertionError(HASHES + " is not exposed"));
    }

    @Test
    @DisplayName("Turnstile: a good token logs in; the server received secret, token and the client's address")
    void turnstileSuccess() {
        use("turnstile", Map.of());
        JsonNode widget = server.admin().getAnonymous("/realms/" + realm.name() + "/sentinel-captcha/widget?form=login")
                .expect(200).json();
        assertThat(widget.get("field").asText()).isEqualTo("cf-turnstile-response");
        assertThat(widget.get("scripts").get(0).asText()).startsWith("https://challenges.cloudflare.com/turnstile/");
        assertThat(widget.at("/attributes/data-sitekey").asText()).isEqualTo("site-key-turnstile");
        assertThat(widget.toString()).doesNotContain(SECRET);

        assertThat(login("cf-turnstile-response", "good-token").loggedIn()).isTrue();
        assertThat(received).hasSize(1);
        assertThat(received.get(0)).containsEntry("secret", SECRET).containsEntry("response", "good-token")
                .containsEntry("remoteip", "127.0.0.1");
    }

    @Test
    @DisplayName("hCaptcha and reCAPTCHA v2: a token the vendor rejects is refused with a clear message and no hash")
    void rejectedTokens() {
        for (String[] vendor : new String[][] {{"hcaptcha", "h-captcha-response"}, {"recaptcha", "g-recaptcha-response"}}) {
            use(vendor[0], Map.of());
            double before = hashes();
            LoginClient.Result r = login(vendor[1], "forged-token");
            assertThat(r.loggedIn()).as(vendor[0]).isFalse();
            assertThat(r.status()).as(vendor[0]).isEqualTo(200);
            assertThat(r.page()).as(vendor[0]).contains("The security check could not be confirmed.");
            assertThat(hashes()).as(vendor[0]).isEqualTo(before);
            assertThat(login(vendor[1], "good-token").loggedIn()).as(vendor[0]).isTrue();
        }
        assertThat(received).anySatisfy(f -> assertThat(f).containsEntry("sitekey", "site-key-hcaptcha"));
    }

    @Test
    @DisplayName("reCAPTCHA v3: a score below the threshold is refused, a good score logs in")
    void recaptchaV3Score() {
        use("recaptcha-v3", Map.of("minScore", 0.5));
        double before = hashes();
        LoginClient.Result low = login("g-recaptcha-response", "v3-low");
        assertThat(low.loggedIn()).isFalse();
        assertThat(low.page()).contains("The security check could not be confirmed.");
        assertThat(hashes()).isEqualTo(before);
        assertThat(login("g-recaptcha-response", "v3-good").loggedIn()).isTrue();
    }

    @Test
    @DisplayName("Outbound calls go only to public addresses, checked when made: a step's own verifyUrl on a non-public address (never checked when saved) is not called, the login fails closed; the realm-wide setting refuses it when saved")
    void nonPublicVerifyUrlNotCalled() throws IOException {
        List<String> reached = new CopyOnWriteArrayList<>();
        // a service on a loopback address the server may not reach (the tests allow 127.0.0.1 only)
        HttpServer internal = HttpServer.create(new InetSocketAddress("127.0.0.2", 0), 0);
        internal.createContext("/", exchange -> {
            reached.add(exchange.getRequestURI().toString());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        internal.start();
        try {
            String internalUrl = "http://127.0.0.2:" + internal.getAddress().getPort() + "/siteverify";
            use("turnstile", Map.of());
            assertThat(server.admin().put(captchaPath, Map.of("verifyUrl", internalUrl)).status()).isEqualTo(400);
            assertThat(server.admin().put(captchaPath, Map.of("verifyUrl", "https://169.254.169.254/latest/meta-data/"))
                    .status()).as("the cloud metadata address").isEqualTo(400);
            // the step's own config (the flow editor's), which Keycloak saves without asking Sentinel
            String base = "/admin/realms/" + realm.name() + "/authentication";
            String execution = null;
            for (JsonNode e : server.admin().get(base + "/flows/" + AdminApi.encPath(SentinelFlows.FLOW) + "/executions")
                    .expect(200).json()) {
                if ("sentinel-login-form".equals(e.path("providerId").asText())) {
                    execution = e.get("id").asText();
                }
            }
            assertThat(execution).isNotNull();
            server.admin().post(base + "/executions/" + execution + "/config", Map.of("alias", "internal-vendor",
                    "config", Map.of("verifyUrl", internalUrl))).expect(201);
            LoginClient.Result r = login("cf-turnstile-response", "good-token");
            assertThat(r.status()).isEqualTo(503);
            assertThat(reached).as("nothing reached the internal service").isEmpty();
            assertThat(received).as("nor the realm's vendor").isEmpty();
        } finally {
            internal.stop(0);
        }
    }

    @Test
    @DisplayName("A vendor that is slow, answers 500 or answers garbage: 503 with a clear message when failing closed (default), a normal login when failing open")
    void vendorDownOrSlow() {
        use("turnstile", Map.of());
        double before = hashes();
        for (String token : List.of("slow", "boom", "garbage")) {
            LoginClient.Result r = login("cf-turnstile-response", token);
            assertThat(r.status()).as(token).isEqualTo(503);
            assertThat(r.retryAfter()).as(token).isNotBlank();
            assertThat(r.page()).as(token).contains("The security check is unavailable right now.");
        }
        assertThat(hashes()).as("hashes while the vendor is unavailable").isEqualTo(before);
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_captcha_total", "realm=\"" + realm.name() + "\"",
                "form=\"login\"", "outcome=\"unavailable\"")).hasValue(3.0);

        use("turnstile", Map.of("failOpen", true));
        assertThat(login("cf-turnstile-response", "boom").loggedIn()).isTrue();
        assertThat(login("cf-turnstile-response", "slow").loggedIn()).isTrue();
    }

    @Test
    @DisplayName("A wrong or missing token never reaches the vendor as anything but a form post, and an oversize one not at all")
    void oversizeTokenIsNotSent() {
        use("turnstile", Map.of());
        LoginClient.Result huge = login("cf-turnstile-response", "x".repeat(50_000));
        assertThat(huge.loggedIn()).isFalse();
        assertThat(huge.page()).contains("The security check could not be confirmed.");
        LoginClient.Result missing = new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "olivia", PASSWORD);
        assertThat(missing.page()).contains("Please complete the security check");
        assertThat(received).isEmpty();
    }

    private static Map<String, String> parse(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }
}
