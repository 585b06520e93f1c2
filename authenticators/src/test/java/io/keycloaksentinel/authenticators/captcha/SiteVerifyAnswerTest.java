package io.keycloaksentinel.authenticators.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import io.keycloaksentinel.core.captcha.CaptchaMode;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.keycloak.util.JsonSerialization;

/**
 * What each vendor's {@code siteverify} answer decides, one {@code @Nested} class per registered
 * vendor: a stub on loopback answers every question with the reply a test sets, and the verdict
 * is what the login form acts on (PASSED goes on; INVALID and LOW_SCORE refuse; UNAVAILABLE is
 * left to the realm's fail-open choice).
 */
class SiteVerifyAnswerTest {

    private static final String SITE_KEY = "site-key-1234";
    private static final String SECRET = "secret-5678";

    private final CountDownLatch release = new CountDownLatch(1);
    private ExecutorService executor;
    private HttpServer server;
    private String verifyUrl;
    /** The reply to the next question: status and JSON body. */
    private volatile int status = 200;
    private volatile Object reply;
    private volatile boolean slow;
    private volatile String sentForm;

    @BeforeEach
    void startStub() throws IOException {
        executor = Executors.newCachedThreadPool();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.setExecutor(executor);
        server.start();
        verifyUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/siteverify";
    }

    @AfterEach
    void stopStub() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    @Test
    @DisplayName("Every vendor of the table is registered (META-INF/services) by exactly one provider, under its id")
    void everyVendorRegistered() {
        List<SiteVerifyVendor> registered = new ArrayList<>();
        for (CaptchaProviderFactory factory : ServiceLoader.load(CaptchaProviderFactory.class)) {
            if (factory instanceof SiteVerifyCaptchaProvider provider) {
                assertThat(provider.getId()).isEqualTo(provider.vendor().id());
                registered.add(provider.vendor());
            }
        }
        assertThat(registered).containsExactlyInAnyOrderElementsOf(SiteVerifyVendor.ALL);
    }

    /** The answers every vendor documents alike. */
    abstract class EveryVendor {

        abstract SiteVerifyCaptchaProvider provider();

        /** The vendor's documented reply to a good token. */
        Map<String, Object> good() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("success", true);
            body.put("challenge_ts", "2025-06-01T12:00:00Z");
            body.put("hostname", "login.example.test");
            return body;
        }

        CaptchaVerdict answered(Object body) {
            return answered(body, 0.5);
        }

        CaptchaVerdict answered(Object body, double minScore) {
            reply = body;
            SiteVerifyCaptchaProvider provider = provider();
            // a generous deadline on a busy machine, except where the test is about it
            return provider.verify(request(provider, minScore, slow ? 300 : 10_000), "token-from-the-widget");
        }

        @Test
        @DisplayName("success: PASSED")
        void success() {
            assertThat(answered(good())).isEqualTo(CaptchaVerdict.passed());
        }

        @Test
        @DisplayName("success for another hostname: PASSED (the vendor's domain list for the site key decides that)")
        void anotherHostname() {
            Map<String, Object> body = good();
            body.put("hostname", "phishing.example.test");

            assertThat(answered(body).outcome()).isEqualTo(Outcome.PASSED);
        }

        @Test
        @DisplayName("failure for the token (used, expired or unknown): INVALID, with the vendor's codes")
        void tokenRefused() {
            CaptchaVerdict verdict = answered(Map.of("success", false, "error-codes", List.of("timeout-or-duplicate")));

            assertThat(verdict).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "rejected: timeout-or-duplicate"));
        }

        @Test
        @DisplayName("failure without error codes: INVALID")
        void failureWithoutCodes() {
            assertThat(answered(Map.of("success", false))).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "rejected"));
        }

        @Test
        @DisplayName("failure for the realm's secret: UNAVAILABLE (a configuration fault, not the user's answer)")
        void secretRefused() {
            assertThat(answered(Map.of("success", false, "error-codes", List.of("invalid-input-secret"))).outcome())
                    .isEqualTo(Outcome.UNAVAILABLE);
        }

        @Test
        @DisplayName("no answer within the realm's timeout: UNAVAILABLE")
        void timeout() {
            slow = true;

            CaptchaVerdict verdict = answered(good());

            assertThat(verdict.outcome()).isEqualTo(Outcome.UNAVAILABLE);
            assertThat(verdict.detail()).contains("timeout");
        }

        @Test
        @DisplayName("a server error, even with a success body: UNAVAILABLE")
        void serverError() {
            status = 503;

            assertThat(answered(good()).outcome()).isEqualTo(Outcome.UNAVAILABLE);
        }

        @Test
        @DisplayName("a status the token provokes (400): INVALID")
        void badRequest() {
            status = 400;

            assertThat(answered(good()).outcome()).isEqualTo(Outcome.INVALID);
        }

        @Test
        @DisplayName("success as a string: UNAVAILABLE (not a siteverify reply)")
        void successNotBoolean() {
            assertThat(answered(Map.of("success", "true"))).isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
        }
    }

    @Nested
    @DisplayName("reCAPTCHA v2")
    class Recaptcha extends EveryVendor {

        @Override
        SiteVerifyCaptchaProvider provider() {
            return new RecaptchaCaptchaProvider();
        }

        @Test
        @DisplayName("a score in the reply (a v3 key) is ignored: PASSED")
        void scoreIgnored() {
            Map<String, Object> body = good();
            body.put("score", 0.1);
            body.put("action", "register");

            assertThat(answered(body, 0.9).outcome()).isEqualTo(Outcome.PASSED);
        }
    }

    @Nested
    @DisplayName("reCAPTCHA v3")
    class RecaptchaV3 extends EveryVendor {

        @Override
        SiteVerifyCaptchaProvider provider() {
            return new RecaptchaV3CaptchaProvider();
        }

        @Override
        Map<String, Object> good() {
            Map<String, Object> body = super.good();
            body.put("score", 0.9);
            body.put("action", "login");
            return body;
        }

        @Test
        @DisplayName("a score exactly at the realm's minimum: PASSED")
        void scoreAtMinimum() {
            Map<String, Object> body = good();
            body.put("score", 0.7);

            assertThat(answered(body, 0.7).outcome()).isEqualTo(Outcome.PASSED);
        }

        @Test
        @DisplayName("a score below the realm's minimum: LOW_SCORE, the score in the detail")
        void lowScore() {
            Map<String, Object> body = good();
            body.put("score", 0.3);

            assertThat(answered(body, 0.5)).isEqualTo(CaptchaVerdict.of(Outcome.LOW_SCORE, "score 0.3 below 0.5"));
        }

        @Test
        @DisplayName("a token minted for another action: INVALID, even with a high score")
        void wrongAction() {
            Map<String, Object> body = good();
            body.put("action", "register");

            assertThat(answered(body)).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "wrong action"));
        }

        @Test
        @DisplayName("a reply without an action: judged by its score alone")
        void noAction() {
            Map<String, Object> body = good();
            body.remove("action");

            assertThat(answered(body).outcome()).isEqualTo(Outcome.PASSED);
        }

        @Test
        @DisplayName("success without a numeric score (a v2 key): UNAVAILABLE, garbage reply")
        void noScore() {
            Map<String, Object> body = good();
            body.put("score", "0.9");

            assertThat(answered(body)).isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
            body.remove("score");
            assertThat(answered(body)).isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
        }
    }

    @Nested
    @DisplayName("hCaptcha")
    class Hcaptcha extends EveryVendor {

        @Override
        SiteVerifyCaptchaProvider provider() {
            return new HcaptchaCaptchaProvider();
        }

        @Test
        @DisplayName("the site key goes with the question, so a token solved for another site is refused by hCaptcha")
        void sendsSiteKey() {
            answered(good());

            assertThat(sentForm).contains("sitekey=" + SITE_KEY);
        }

        @Test
        @DisplayName("hCaptcha's answer to another site's token (sitekey-secret-mismatch): INVALID")
        void anotherSite() {
            assertThat(answered(Map.of("success", false, "error-codes", List.of("sitekey-secret-mismatch"))).outcome())
                    .isEqualTo(Outcome.INVALID);
        }
    }

    @Nested
    @DisplayName("Turnstile")
    class Turnstile extends EveryVendor {

        @Override
        SiteVerifyCaptchaProvider provider() {
            return new TurnstileCaptchaProvider();
        }

        @Override
        Map<String, Object> good() {
            Map<String, Object> body = super.good();
            body.put("error-codes", List.of());
            body.put("action", "");
            body.put("cdata", "");
            return body;
        }

        @Test
        @DisplayName("the site key stays at home: only secret, response and remoteip are sent")
        void formFields() {
            answered(good());

            assertThat(sentForm).doesNotContain("sitekey").contains("secret=").contains("response=").contains("remoteip=");
        }
    }

    // ---------------------------------------------------------------- helpers

    private CaptchaRequest request(SiteVerifyCaptchaProvider provider, double minScore, int timeoutMillis) {
        CaptchaSettings settings = new CaptchaSettings(CaptchaMode.ALWAYS, RiskLevel.MEDIUM, provider.getId(), false,
                SITE_KEY, SECRET, verifyUrl, timeoutMillis, minScore, 1000, 2000, 5000, 300);
        ReplayGuard noReplayRegister = (token, ttl) -> {
            throw new AssertionError("third-party tokens are single-use at the vendor");
        };
        return new CaptchaRequest("realm-a", "203.0.113.7", RiskLevel.LOW, settings, "https://login.example.test/resources/x",
                "https://login.example.test/realms/a", "en", new byte[32], noReplayRegister, () -> 1_700_000_000_000L,
                "login", 0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            sentForm = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (slow) {
                release.await(30, TimeUnit.SECONDS);
            }
            byte[] body = JsonSerialization.writeValueAsBytes(reply);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client hung up (timeout): nothing to answer
        }
    }
}
