package io.keycloaksentinel.authenticators.captcha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

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
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.keycloak.util.JsonSerialization;

/**
 * The third-party CAPTCHAs against a local stand-in for the vendors' {@code siteverify}
 * endpoints, which answers as their documentation shows (and, on demand, slowly, wrongly or not
 * at all).
 */
class SiteVerifyCaptchaProviderTest {

    private static final String SITE_KEY = "site-key-1234";
    /** Characters that need form encoding, to prove the secret arrives intact. */
    private static final String SECRET = "0x4AAA-s3cr&t=+/%";
    private static final String CLIENT_IP = "203.0.113.7";
    private static final String SERVER_PATH = "/siteverify";

    /** What the fake vendor received. */
    record Received(String path, String method, String contentType, Map<String, String> form) {
    }

    /** A reply the fake vendor sends instead of its documented one. */
    record Reply(int status, String body, Map<String, String> headers) {
        static Reply json(int status, String body) {
            return new Reply(status, body, Map.of("Content-Type", "application/json"));
        }
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    /** Replaces the documented reply for one test; null answers as the vendor would. */
    private volatile BiFunction<String, Map<String, String>, Reply> override;
    private ExecutorService executor;
    private HttpServer server;
    private String base;

    @BeforeEach
    void startVendor() throws IOException {
        executor = Executors.newCachedThreadPool();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopVendor() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    static Stream<Arguments> vendors() {
        return Stream.of(
                arguments(named("reCAPTCHA v2", new RecaptchaCaptchaProvider())),
                arguments(named("reCAPTCHA v3", new RecaptchaV3CaptchaProvider())),
                arguments(named("hCaptcha", new HcaptchaCaptchaProvider())),
                arguments(named("Turnstile", new TurnstileCaptchaProvider())));
    }

    static Stream<Arguments> garbageReplies() {
        List<Arguments> all = new ArrayList<>();
        vendors().forEach(vendor -> Stream.of(
                named("an HTML page", new Reply(200, "<html><body>Service Unavailable</body></html>",
                        Map.of("Content-Type", "text/html"))),
                named("truncated JSON", Reply.json(200, "{\"success\": true, \"challenge_ts\": \"2025-")),
                named("success as a string", Reply.json(200, "{\"success\": \"yes\"}")),
                named("no success field", Reply.json(200, "{\"error-codes\": []}")),
                named("a JSON array", Reply.json(200, "[true]")),
                named("JSON null", Reply.json(200, "null")),
                named("an empty body", Reply.json(200, "")))
                .forEach(reply -> all.add(arguments(vendor.get()[0], reply))));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A good token passes, and the vendor receives a form POST of secret, response and remoteip (hCaptcha also sitekey)")
    void goodTokenPasses(SiteVerifyCaptchaProvider provider) {
        CaptchaVerdict verdict = verify(provider, request(provider), "good-token");

        assertThat(verdict.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(received).hasSize(1);
        Received call = received.get(0);
        assertThat(call.method()).isEqualTo("POST");
        assertThat(call.path()).isEqualTo("/" + provider.getId() + SERVER_PATH);
        assertThat(call.contentType()).startsWith("application/x-www-form-urlencoded");
        assertThat(call.form()).containsEntry("secret", SECRET).containsEntry("response", "good-token")
                .containsEntry("remoteip", CLIENT_IP);
        if (provider instanceof HcaptchaCaptchaProvider) {
            assertThat(call.form()).containsOnlyKeys("secret", "response", "remoteip", "sitekey")
                    .containsEntry("sitekey", SITE_KEY);
        } else {
            assertThat(call.form()).containsOnlyKeys("secret", "response", "remoteip");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("Without a client address, remoteip is left out of the form")
    void noClientIp(SiteVerifyCaptchaProvider provider) {
        CaptchaRequest request = request(provider, settings(provider, SITE_KEY, SECRET, 3000, 0.5), null);

        assertThat(verify(provider, request, "good-token").outcome()).isEqualTo(Outcome.PASSED);
        assertThat(received).singleElement().satisfies(call -> assertThat(call.form()).doesNotContainKey("remoteip"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A token the vendor rejects is INVALID, with the vendor's error codes in the detail")
    void rejectedToken(SiteVerifyCaptchaProvider provider) {
        CaptchaVerdict verdict = verify(provider, request(provider), "used-token");

        assertThat(verdict.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(verdict.detail()).contains("timeout-or-duplicate");
        assertThat(received).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A secret the vendor rejects is a configuration fault (UNAVAILABLE: the realm's fail-open choice applies), never a pass")
    void wrongSecret(SiteVerifyCaptchaProvider provider) {
        CaptchaRequest request = request(provider, settings(provider, SITE_KEY, "not-the-secret", 3000, 0.5), CLIENT_IP);

        CaptchaVerdict verdict = verify(provider, request, "good-token");

        assertThat(verdict.outcome()).isEqualTo(Outcome.UNAVAILABLE);
        assertThat(verdict.detail()).contains("secret").doesNotContain("not-the-secret");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("Error codes echoing the secret or the token never reach the detail, and the detail stays short")
    void detailNeverCarriesSecrets(SiteVerifyCaptchaProvider provider) {
        String plainSecret = "plainSecret0123456789";
        override = (path, form) -> Reply.json(200, json(Map.of("success", false,
                "error-codes", List.of(form.get("secret"), form.get("response"), "invalid-input-response"))));
        CaptchaRequest request = request(provider, settings(provider, SITE_KEY, plainSecret, 3000, 0.5), CLIENT_IP);

        CaptchaVerdict verdict = verify(provider, request, "token-echo-42");

        assertThat(verdict.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(verdict.detail()).doesNotContain(plainSecret).doesNotContain("token-echo-42");

        override = (path, form) -> Reply.json(200, json(Map.of("success", false,
                "error-codes", java.util.Collections.nCopies(30, "invalid-input-response"))));
        CaptchaVerdict longVerdict = verify(provider, request(provider), "good-token");
        assertThat(longVerdict.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(longVerdict.detail()).startsWith("rejected: invalid-input-response").hasSizeLessThanOrEqualTo(100);
    }

    @ParameterizedTest(name = "score {0}")
    @ValueSource(doubles = {0.9, 0.5})
    @DisplayName("reCAPTCHA v3: a score at or above the realm's minimum passes")
    void v3GoodScore(double score) {
        RecaptchaV3CaptchaProvider provider = new RecaptchaV3CaptchaProvider();

        assertThat(verify(provider, request(provider), "good;score=" + score).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("reCAPTCHA v3: a score below the realm's minimum is LOW_SCORE, with the score in the detail")
    void v3LowScore() {
        RecaptchaV3CaptchaProvider provider = new RecaptchaV3CaptchaProvider();

        CaptchaVerdict verdict = verify(provider, request(provider), "good;score=0.2");

        assertThat(verdict.outcome()).isEqualTo(Outcome.LOW_SCORE);
        assertThat(verdict.detail()).contains("0.2");
    }

    @Test
    @DisplayName("reCAPTCHA v3: the realm's minimum score applies (0.9 required, 0.7 given)")
    void v3RealmMinimum() {
        RecaptchaV3CaptchaProvider provider = new RecaptchaV3CaptchaProvider();
        CaptchaRequest request = request(provider, settings(provider, SITE_KEY, SECRET, 3000, 0.9), CLIENT_IP);

        assertThat(verify(provider, request, "good;score=0.7").outcome()).isEqualTo(Outcome.LOW_SCORE);
    }

    @Test
    @DisplayName("reCAPTCHA v3: a token minted for another action is INVALID, whatever its score")
    void v3WrongAction() {
        RecaptchaV3CaptchaProvider provider = new RecaptchaV3CaptchaProvider();

        CaptchaVerdict verdict = verify(provider, request(provider), "good;action=register");

        assertThat(verdict.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(verdict.detail()).isEqualTo("wrong action");
    }

    @Test
    @DisplayName("reCAPTCHA v3: a success without a numeric score (say, a v2 key) is a garbage reply, UNAVAILABLE")
    void v3NoScore() {
        RecaptchaV3CaptchaProvider provider = new RecaptchaV3CaptchaProvider();

        assertThat(verify(provider, request(provider), "good;score=none"))
                .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
        override = (path, form) -> Reply.json(200, "{\"success\": true, \"score\": \"0.9\", \"action\": \"login\"}");
        assertThat(verify(provider, request(provider), "good-token"))
                .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A vendor slower than the realm's timeout is UNAVAILABLE")
    void slowVendor(SiteVerifyCaptchaProvider provider) {
        override = (path, form) -> {
            awaitRelease();
            return Reply.json(200, "{\"success\": true}");
        };
        CaptchaRequest request = request(provider, settings(provider, SITE_KEY, SECRET, 300, 0.5), CLIENT_IP);

        CaptchaVerdict verdict = verify(provider, request, "good-token");

        assertThat(verdict.outcome()).isEqualTo(Outcome.UNAVAILABLE);
        assertThat(verdict.detail()).contains("timeout");
    }

    @Test
    @DisplayName("An interrupted login thread gets UNAVAILABLE and keeps its interrupt flag")
    void interrupted() {
        TurnstileCaptchaProvider provider = new TurnstileCaptchaProvider();
        override = (path, form) -> {
            awaitRelease();
            return Reply.json(200, "{\"success\": true}");
        };

        Thread.currentThread().interrupt();
        CaptchaVerdict verdict = verify(provider, request(provider), "good-token");

        assertThat(Thread.interrupted()).isTrue();
        assertThat(verdict.outcome()).isEqualTo(Outcome.UNAVAILABLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("An HTTP 500 from the vendor is UNAVAILABLE, even with a success body")
    void serverError(SiteVerifyCaptchaProvider provider) {
        override = (path, form) -> Reply.json(500, "{\"success\": true, \"score\": 0.9, \"action\": \"login\"}");

        CaptchaVerdict verdict = verify(provider, request(provider), "good-token");

        assertThat(verdict.outcome()).isEqualTo(Outcome.UNAVAILABLE);
        assertThat(verdict.detail()).contains("500");
    }

    static Stream<Arguments> statusReplies() {
        return vendors().flatMap(vendor -> Stream.of(
                arguments(vendor.get()[0], 400, Outcome.INVALID), arguments(vendor.get()[0], 413, Outcome.INVALID),
                arguments(vendor.get()[0], 414, Outcome.INVALID), arguments(vendor.get()[0], 422, Outcome.INVALID),
                arguments(vendor.get()[0], 401, Outcome.UNAVAILABLE), arguments(vendor.get()[0], 403, Outcome.UNAVAILABLE),
                arguments(vendor.get()[0], 404, Outcome.UNAVAILABLE), arguments(vendor.get()[0], 408, Outcome.UNAVAILABLE),
                arguments(vendor.get()[0], 429, Outcome.UNAVAILABLE), arguments(vendor.get()[0], 503, Outcome.UNAVAILABLE)));
    }

    @ParameterizedTest(name = "{0} answering HTTP {1}: {2}")
    @MethodSource("statusReplies")
    @DisplayName("A status the posted token can provoke (400, 413, 414, 422) refuses the answer, INVALID; a busy, missing or misconfigured vendor is UNAVAILABLE")
    void statusOtherThan200(SiteVerifyCaptchaProvider provider, int status, Outcome outcome) {
        override = (path, form) -> Reply.json(status, "{\"success\": true, \"score\": 0.9, \"action\": \"login\"}");

        CaptchaVerdict verdict = verify(provider, request(provider), "good-token");

        assertThat(verdict.outcome()).isEqualTo(outcome);
        assertThat(verdict.detail()).contains(Integer.toString(status));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A redirect is not followed (the secret would go with it): UNAVAILABLE, one request only")
    void redirectNotFollowed(SiteVerifyCaptchaProvider provider) {
        override = (path, form) -> path.endsWith("/moved")
                ? Reply.json(200, "{\"success\": true, \"score\": 0.9, \"action\": \"login\"}")
                : new Reply(307, "", Map.of("Location", base + "/moved"));

        assertThat(verify(provider, request(provider), "good-token").outcome()).isEqualTo(Outcome.UNAVAILABLE);
        assertThat(received).hasSize(1);
    }

    @ParameterizedTest(name = "{0} answering {1}")
    @MethodSource("garbageReplies")
    @DisplayName("A 200 reply that is not a siteverify JSON object is a garbage reply, UNAVAILABLE")
    void garbageReply(SiteVerifyCaptchaProvider provider, Reply reply) {
        override = (path, form) -> reply;

        assertThat(verify(provider, request(provider), "good-token"))
                .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A 1 MiB reply is not read to the end: garbage, UNAVAILABLE, even though it starts as a success")
    void hugeReply(SiteVerifyCaptchaProvider provider) {
        override = (path, form) -> Reply.json(200, padded(vendorReply(path, form).body(), 1024 * 1024));

        assertThat(verify(provider, request(provider), "good-token"))
                .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "garbage reply"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A padded but real reply just under 64 KiB is still read")
    void replyUnderLimit(SiteVerifyCaptchaProvider provider) {
        override = (path, form) -> Reply.json(200, padded(vendorReply(path, form).body(), 64 * 1024 - 10));

        assertThat(verify(provider, request(provider), "good-token").outcome()).isEqualTo(Outcome.PASSED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A vendor that refuses connections is UNAVAILABLE")
    void vendorDown(SiteVerifyCaptchaProvider provider) throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        CaptchaSettings settings = new CaptchaSettings(CaptchaMode.ALWAYS, RiskLevel.MEDIUM, provider.getId(), false,
                SITE_KEY, SECRET, "http://127.0.0.1:" + closedPort + SERVER_PATH, 3000, 0.5, 1000, 2000, 5000, 300);

        assertThat(verify(provider, request(provider, settings, CLIENT_IP), "good-token").outcome())
                .isEqualTo(Outcome.UNAVAILABLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A verify URL that is not a usable URL is UNAVAILABLE, not an exception")
    void badVerifyUrl(SiteVerifyCaptchaProvider provider) {
        for (String url : List.of("not a url", "ftp://127.0.0.1/siteverify", "http://")) {
            CaptchaSettings settings = new CaptchaSettings(CaptchaMode.ALWAYS, RiskLevel.MEDIUM, provider.getId(), false,
                    SITE_KEY, SECRET, url, 3000, 0.5, 1000, 2000, 5000, 300);
            assertThat(verify(provider, request(provider, settings, CLIENT_IP), "good-token").outcome())
                    .as(url).isEqualTo(Outcome.UNAVAILABLE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("No token (null, empty, blank) is MISSING, and the vendor is not asked")
    void missingToken(SiteVerifyCaptchaProvider provider) {
        for (String token : new String[] {null, "", "   "}) {
            assertThat(verify(provider, request(provider), token).outcome()).isEqualTo(Outcome.MISSING);
        }
        assertThat(received).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("An oversize or non-ASCII token is INVALID (malformed answer), and the vendor is not asked")
    void malformedToken(SiteVerifyCaptchaProvider provider) {
        for (String token : List.of("a".repeat(16_385), "gööd-token", "good\ntoken", "good\u0000token")) {
            assertThat(verify(provider, request(provider), token))
                    .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "malformed answer"));
        }
        assertThat(received).isEmpty();
        assertThat(verify(provider, request(provider), "good" + "a".repeat(16_380)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("Without a secret or a site key the realm is not configured: UNAVAILABLE, and the vendor is not asked")
    void notConfigured(SiteVerifyCaptchaProvider provider) {
        for (CaptchaSettings settings : List.of(settings(provider, SITE_KEY, null, 3000, 0.5),
                settings(provider, null, SECRET, 3000, 0.5), settings(provider, SITE_KEY, " ", 3000, 0.5))) {
            assertThat(verify(provider, request(provider, settings, CLIENT_IP), "good-token"))
                    .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "not configured"));
        }
        assertThat(received).isEmpty();
    }

    @Test
    @DisplayName("Each vendor's documented siteverify URL is the default")
    void defaultUrls() {
        assertThat(new RecaptchaCaptchaProvider().vendor().verifyUrl()).isEqualTo("https://www.google.com/recaptcha/api/siteverify");
        assertThat(new RecaptchaV3CaptchaProvider().vendor().verifyUrl()).isEqualTo("https://www.google.com/recaptcha/api/siteverify");
        assertThat(new HcaptchaCaptchaProvider().vendor().verifyUrl()).isEqualTo("https://api.hcaptcha.com/siteverify");
        assertThat(new TurnstileCaptchaProvider().vendor().verifyUrl())
                .isEqualTo("https://challenges.cloudflare.com/turnstile/v0/siteverify");
    }

    @Test
    @DisplayName("Widgets: each vendor's script, element, class and site key, and the form field its token comes in")
    void widgets() {
        RecaptchaCaptchaProvider v2 = new RecaptchaCaptchaProvider();
        assertThat(v2.responseField()).isEqualTo("g-recaptcha-response");
        assertThat(v2.widget(request(v2))).isEqualTo(new CaptchaWidget(List.of("https://www.google.com/recaptcha/api.js"),
                "div", Map.of("class", "g-recaptcha", "data-sitekey", SITE_KEY), false));

        RecaptchaV3CaptchaProvider v3 = new RecaptchaV3CaptchaProvider();
        CaptchaRequest v3Request = request(v3, settings(v3, "key+with space", SECRET, 3000, 0.5), CLIENT_IP);
        assertThat(v3.responseField()).isEqualTo("g-recaptcha-response");
        assertThat(v3.widget(v3Request)).isEqualTo(new CaptchaWidget(
                List.of("https://www.google.com/recaptcha/api.js?render=key%2Bwith+space"), "div",
                Map.of("class", "sentinel-recaptcha-v3", "data-sitekey", "key+with space", "data-action", "login"), true));

        HcaptchaCaptchaProvider h = new HcaptchaCaptchaProvider();
        assertThat(h.responseField()).isEqualTo("h-captcha-response");
        assertThat(h.widget(request(h))).isEqualTo(new CaptchaWidget(List.of("https://js.hcaptcha.com/1/api.js"),
                "div", Map.of("class", "h-captcha", "data-sitekey", SITE_KEY), false));

        TurnstileCaptchaProvider t = new TurnstileCaptchaProvider();
        assertThat(t.responseField()).isEqualTo("cf-turnstile-response");
        assertThat(t.widget(request(t))).isEqualTo(new CaptchaWidget(
                List.of("https://challenges.cloudflare.com/turnstile/v0/api.js"),
                "div", Map.of("class", "cf-turnstile", "data-sitekey", SITE_KEY), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vendors")
    @DisplayName("A widget for a realm without a site key renders with an empty one instead of throwing")
    void widgetWithoutSiteKey(SiteVerifyCaptchaProvider provider) {
        CaptchaWidget widget = provider.widget(request(provider, settings(provider, null, null, 3000, 0.5), CLIENT_IP));

        assertThat(widget.attributes()).containsEntry("data-sitekey", "");
        assertThat(widget.scripts()).isNotEmpty();
    }

    @Test
    @DisplayName("The services file registers the four vendors next to the built-in ALTCHA, each its own factory")
    void registered() {
        List<String> ids = new ArrayList<>();
        for (CaptchaProviderFactory factory : ServiceLoader.load(CaptchaProviderFactory.class)) {
            ids.add(factory.getId());
            assertThat(factory.create(null)).isSameAs(factory);
        }
        assertThat(ids).containsExactlyInAnyOrder("altcha", "recaptcha", "recaptcha-v3", "hcaptcha", "turnstile");
    }

    // ---------------------------------------------------------------- helpers

    /** Verifies, and checks on every verdict that the detail carries neither the secret nor the token. */
    private static CaptchaVerdict verify(CaptchaProvider provider, CaptchaRequest request, String token) {
        CaptchaVerdict verdict = provider.verify(request, token);
        assertThat(verdict).isNotNull();
        assertThat(verdict.detail()).isNotBlank().hasSizeLessThanOrEqualTo(100).doesNotContain(SECRET);
        if (request.settings().secret() != null && !request.settings().secret().isBlank()) {
            assertThat(verdict.detail()).doesNotContain(request.settings().secret());
        }
        if (token != null && token.length() >= 8) {
            assertThat(verdict.detail()).doesNotContain(token);
        }
        return verdict;
    }

    private CaptchaRequest request(SiteVerifyCaptchaProvider provider) {
        return request(provider, settings(provider, SITE_KEY, SECRET, 3000, 0.5), CLIENT_IP);
    }

    private static CaptchaRequest request(SiteVerifyCaptchaProvider provider, CaptchaSettings settings, String clientIp) {
        ReplayGuard noReplayRegister = (token, ttl) -> {
            throw new AssertionError("third-party tokens are single-use at the vendor");
        };
        return new CaptchaRequest("realm-a", clientIp, RiskLevel.LOW, settings, "https://login.example.test/resources/x",
                "https://login.example.test/realms/a", "en", new byte[32], noReplayRegister, () -> 1_700_000_000_000L, "login", 0);
    }

    private CaptchaSettings settings(SiteVerifyCaptchaProvider provider, String siteKey, String secret, int timeoutMillis,
                                     double minScore) {
        return new CaptchaSettings(CaptchaMode.ALWAYS, RiskLevel.MEDIUM, provider.getId(), false, siteKey, secret,
                base + "/" + provider.getId() + SERVER_PATH, timeoutMillis, minScore, 1000, 2000, 5000, 300);
    }

    private void awaitRelease() {
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String json(Object value) {
        try {
            return JsonSerialization.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code reply} (a JSON object) with a padding field making it {@code size} bytes long. */
    private static String padded(String reply, int size) {
        String head = reply.substring(0, reply.length() - 1) + ",\"padding\":\"";
        String tail = "\"}";
        return head + "x".repeat(size - head.length() - tail.length()) + tail;
    }

    // ---------------------------------------------------------------- the fake vendor

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> form = parseForm(body);
            received.add(new Received(path, exchange.getRequestMethod(),
                    exchange.getRequestHeaders().getFirst("Content-Type"), form));
            BiFunction<String, Map<String, String>, Reply> o = override;
            Reply reply = o != null ? o.apply(path, form) : vendorReply(path, form);
            reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException e) {
            // the client hung up (timeout, oversize reply): nothing to answer
        } finally {
            exchange.close();
        }
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.put(name, value);
        }
        return form;
    }

    /**
     * The documented replies. Tokens: {@code good...} is valid, with {@code ;score=x} or
     * {@code ;action=y} to shape a reCAPTCHA v3 reply ({@code score=none} leaves the score out);
     * {@code used...} was already redeemed; anything else is unknown.
     */
    private static Reply vendorReply(String path, Map<String, String> form) {
        String vendor = path.substring(1, path.indexOf('/', 1));
        List<String> errors = new ArrayList<>();
        String secret = form.get("secret");
        String token = form.get("response");
        if (secret == null) {
            errors.add("missing-input-secret");
        } else if (!SECRET.equals(secret)) {
            errors.add("invalid-input-secret");
        }
        if (token == null) {
            errors.add("missing-input-response");
        } else if (token.startsWith("used")) {
            errors.add("timeout-or-duplicate");
        } else if (!token.startsWith("good")) {
            errors.add("invalid-input-response");
        }
        if (vendor.equals("hcaptcha") && !SITE_KEY.equals(form.get("sitekey"))) {
            errors.add("sitekey-secret-mismatch");
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("success", errors.isEmpty());
        if (!errors.isEmpty()) {
            reply.put("error-codes", errors);
            return Reply.json(200, json(reply));
        }
        reply.put("challenge_ts", "2025-06-01T12:00:00Z");
        reply.put("hostname", "login.example.test");
        switch (vendor) {
            case "recaptcha-v3" -> {
                String score = option(token, "score", "0.9");
                if (!score.equals("none")) {
                    reply.put("score", Double.parseDouble(score));
                }
                reply.put("action", option(token, "action", "login"));
            }
            case "hcaptcha" -> reply.put("credit", false);
            case "turnstile" -> {
                reply.put("error-codes", List.of());
                reply.put("action", "");
                reply.put("cdata", "");
            }
            default -> {
                // reCAPTCHA v2: nothing more
            }
        }
        return Reply.json(200, json(reply));
    }

    private static String option(String token, String name, String fallback) {
        for (String part : token.split(";")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return fallback;
    }
}
