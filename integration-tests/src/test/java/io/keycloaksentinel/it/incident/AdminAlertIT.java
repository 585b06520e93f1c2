package io.keycloaksentinel.it.incident;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.TestRealm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Attack alerts to a local webhook server and to GreenMail, from a real attack on a real server:
 * one alert when it starts, bounded updates, one when it ends, each signed.
 */
@KeycloakIT
@DisplayName("Admin alerts: attack started / ended, to a signed webhook and by email")
class AdminAlertIT {

    private static final String SECRET = "webhook-secret-for-the-test-2026";

    private final KeycloakServer server;
    private MailServer mail;
    private TestRealm realm;
    private HttpServer hook;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failFirst = new AtomicInteger();

    private record Received(int status, String body, String signature) {
    }

    AdminAlertIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() throws IOException {
        mail = new MailServer();
        hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status = failFirst.getAndDecrement() > 0 ? 500 : 204;
            received.add(new Received(status, body, exchange.getRequestHeaders().getFirst("X-Sentinel-Signature")));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        hook.start();
        realm = TestRealm.builder("alerts-admin").user("olivia", "Ordinary-pass-1")
                .customize(r -> r.setSmtpServer(mail.realmSmtp())).create(server);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        hook.stop(0);
        mail.close();
    }

    private String alerts() {
        return "/admin/realms/" + realm.name() + "/sentinel-admin/admin-alerts";
    }

    private List<JsonNode> delivered(String type) {
        return received.stream().filter(r -> r.status() == 204).map(r -> {
            try {
                return AdminApi.JSON.readTree(r.body());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).filter(j -> type.equals(j.get("type").asText())).toList();
    }

    @Test
    @DisplayName("One start (delivered after two webhook failures: retried), then one end with a summary; every request carries a valid HMAC; the admin gets both by email")
    void startAndEnd() {
        String url = "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook";
        JsonNode saved = server.admin().put(alerts(), Map.of("emails", List.of("sec@example.test"), "webhookUrl", url,
                "webhookSecret", SECRET, "updateMinutes", 1)).expect(200).json();
        assertThat(saved.get("webhookSecret").asText()).as("write-only").isEqualTo("**********");
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config", Map.of("minFailuresPerMinute", 3,
                "attackFailuresPerMinute", 6, "cooldownSeconds", 5)).expect(200);
        failFirst.set(2);
        for (int i = 0; i < 6; i++) {
            assertThat(realm.login("olivia", "wrong-" + i).loggedIn()).isFalse();
        }
        Poll.until("the start alert delivered", Duration.ofSeconds(60), () -> delivered("attack_started").isEmpty() ? null : true);
        JsonNode started = delivered("attack_started").get(0);
        assertThat(started.get("realm").asText()).isEqualTo(realm.name());
        assertThat(started.get("state").asText()).isEqualTo("UNDER_ATTACK");
        assertThat(started.at("/size/failuresLastDay").asLong()).as("the failures that made it").isGreaterThanOrEqualTo(3);
        assertThat(started.at("/responses/throttling").asText()).isEqualTo("enforce");
        assertThat(received.stream().filter(r -> r.status() == 500).count()).as("two failed deliveries, retried").isEqualTo(2);

        Poll.until("the end alert", Duration.ofSeconds(180), () -> delivered("attack_ended").isEmpty() ? null : true);
        JsonNode ended = delivered("attack_ended").get(0);
        assertThat(ended.get("durationSeconds").asLong()).isPositive();
        assertThat(delivered("attack_started")).as("one start").hasSize(1);
        assertThat(delivered("attack_update").size()).as("updates at most every minute").isLessThanOrEqualTo(3);
        for (Received r : received) {
            String[] parts = r.signature().split(",");
            String t = parts[0].substring(2);
            assertThat(parts[1]).isEqualTo("v1=" + hmac(SECRET, t + "." + r.body()));
        }
        // the start, the end, and between them at most one update a minute (the attack may outlast one)
        List<MailServer.Mail> mails = Poll.until("the end mail", Duration.ofSeconds(30), () -> {
            List<MailServer.Mail> all = mail.to("sec@example.test");
            return all.stream().anyMatch(m -> m.subject().contains("Attack ended")) ? all : null;
        });
        assertThat(mails.get(0).subject()).contains("Attack started");
        assertThat(mails).filteredOn(m -> m.subject().contains("Attack started")).hasSize(1);
        assertThat(mails).filteredOn(m -> m.subject().contains("Attack ended")).hasSize(1);
        assertThat(mails.size()).as("start, end and updates at most every minute").isLessThanOrEqualTo(5);
        assertThat(mails.get(0).text()).contains("Failed logins").doesNotContain(SECRET);
    }

    @Test
    @DisplayName("Bad settings: a non-http URL, this server itself, a short secret, a bad address: 400, nothing saved")
    void badSettings() {
        String self = "http://127.0.0.1:" + server.baseUrl().getPort() + "/realms/master";
        for (Map<String, Object> bad : List.of(Map.<String, Object>of("webhookUrl", "ftp://example.test/x"),
                Map.<String, Object>of("webhookUrl", self), Map.<String, Object>of("webhookUrl", "http://localhost:"
                        + server.baseUrl().getPort() + "/x"), Map.<String, Object>of("webhookSecret", "short"),
                Map.<String, Object>of("emails", List.of("not an address")), Map.<String, Object>of("updateMinutes", 0),
                Map.<String, Object>of("webhookFormat", "xml"), Map.<String, Object>of("channels", "all"))) {
            AdminApi.Response r = server.admin().put(alerts(), bad);
            assertThat(r.status()).as("%s", bad).isEqualTo(400);
        }
        JsonNode saved = server.admin().get(alerts()).expect(200).json();
        assertThat(saved.path("webhookUrl").isMissingNode() || saved.path("webhookUrl").isNull()).as("%s", saved).isTrue();
    }

    private static String hmac(String secret, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
