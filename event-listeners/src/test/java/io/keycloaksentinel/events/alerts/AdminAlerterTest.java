package io.keycloaksentinel.events.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Webhook delivery against a local HTTP server that is slow, failing, or fine. */
class AdminAlerterTest {

    /** As the test servers run: the webhook receivers of these tests listen on 127.0.0.1. */
    @org.junit.jupiter.api.BeforeEach
    void allowLoopbackReceiver() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(io.keycloaksentinel.core.net.OutboundPolicy.parse("127.0.0.1/32"));
    }

    @org.junit.jupiter.api.AfterEach
    void noAllowance() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(java.util.List.of());
    }


    private HttpServer hook;
    private final List<String> signatures = new CopyOnWriteArrayList<>();
    private volatile long delayMillis;
    private volatile int status = 204;
    private AdminAlerter alerter;
    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        Metrics.addRegistry(registry);
        hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        hook.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            signatures.add(String.valueOf(exchange.getRequestHeaders().getFirst(AdminAlerter.SIGNATURE_HEADER)));
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        hook.start();
        // a deadline long enough for a busy machine to send each try before it passes
        alerter = new AdminAlerter(null, Duration.ofMillis(1_000), new long[] {50, 50});
    }

    @AfterEach
    void stop() {
        Metrics.removeRegistry(registry);
        alerter.close();
        hook.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook";
    }

    private static double count(String realm, String outcome) {
        Counter c = Metrics.globalRegistry.find("sentinel_admin_alerts_total").tags("realm", realm, "channel", "webhook",
                "outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static void waitFor(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    @DisplayName("A slow webhook (answers after the deadline): three tries, then counted as failed, no more")
    void slow() throws Exception {
        delayMillis = 2_500;
        Thread caller = new Thread(() -> alerter.deliver("slow-realm", url(), "{}", "secret-secret-secret", 0));
        caller.start();
        waitFor(() -> count("slow-realm", "failed") >= 1);
        assertThat(count("slow-realm", "failed")).isEqualTo(1);
        assertThat(count("slow-realm", "retried")).isEqualTo(2);
        waitFor(() -> signatures.size() >= 3);
        assertThat(signatures).as("'failed' is counted after the third answer; no fourth try is scheduled").hasSize(3);
    }

    @Test
    @DisplayName("A webhook that answers 500 is retried; one answering 2xx is sent once, signed")
    void failingThenFine() throws Exception {
        status = 500;
        alerter.deliver("failing-realm", url(), "{\"a\":1}", "secret-secret-secret", 0);
        waitFor(() -> count("failing-realm", "failed") >= 1);
        assertThat(signatures).hasSize(3);
        signatures.clear();
        status = 204;
        alerter.deliver("fine-realm", url(), "{\"a\":1}", "secret-secret-secret", 0);
        waitFor(() -> count("fine-realm", "sent") >= 1);
        assertThat(count("fine-realm", "retried")).isZero();
        String signature = signatures.get(0);
        String t = signature.substring(2, signature.indexOf(','));
        assertThat(signature).endsWith("v1=" + AdminAlerter.sign("secret-secret-secret", t + ".{\"a\":1}"));
    }

    @Test
    @DisplayName("The text for people says what, since when, how big and which responses, and points at the compromised-account list")
    void text() {
        String text = AdminAlerter.text(Map.of("type", "attack_started", "realm", "demo", "state", "UNDER_ATTACK",
                "since", "2026-11-23T10:00:00Z", "reason", "40 failures in a minute",
                "size", Map.of("failuresLastMinute", 40, "unknownUserFailuresLastMinute", 36, "failuresLastDay", 41,
                        "flaggedSources", 2),
                "responses", Map.of("throttling", "enforce", "captcha", "risky", "emergency", false),
                "accountsEnteredFromFlaggedSources", 1,
                "contained", Map.of("policy", "contain", "accounts", 2, "signedOutOnly", 1, "notified", 0)));
        assertThat(text).contains("an attack on realm demo started").contains("UNDER_ATTACK").contains("40 in the last minute")
                .contains("CAPTCHA risky").contains("incident/compromised")
                .contains("Containment (contain): 2 accounts signed out and asked for a second proof, 1 only signed out");
        assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThan(2000);
    }
}
