package io.keycloaksentinel.authenticators.captcha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.altcha.altcha.Altcha;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.keycloak.util.JsonSerialization;

/**
 * The built-in proof-of-work CAPTCHA, end to end without a browser: the test solves each
 * challenge the way the ALTCHA widget does and posts the payload the widget would.
 */
class AltchaCaptchaProviderTest {

    private static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] OTHER_KEY = HexFormat.of().parseHex("f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f");
    private static final String RESOURCES = "https://login.example.test/resources/abc12/login/keycloak.v2";
    private static final String REALM_URL = "https://login.example.test/realms/demo";
    /** Small work so that the test's brute force is instant; the canonical constructor does not clamp. */
    private static final CaptchaSettings SETTINGS = new CaptchaSettings(CaptchaSettings.DEFAULTS.mode(),
            CaptchaSettings.DEFAULTS.minRisk(), "altcha", false, null, null, null, 3000, 0.5, 1000, 2000, 5000,
            CaptchaSettings.DEFAULTS.challengeSeconds());

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final Map<String, Long> used = new HashMap<>();
    /** A single-use register with expiry on the test's clock, like the cluster's. */
    private final ReplayGuard replay = (token, ttl) -> {
        used.values().removeIf(expiry -> expiry <= now.get());
        return used.putIfAbsent(token, now.get() + ttl.toMillis()) == null;
    };
    private static final String LOGIN = "login";
    private final AltchaCaptchaProvider provider = new AltchaCaptchaProvider();

    @Test
    @DisplayName("A solved challenge passes, and its signature is registered until shortly after the challenge expires")
    void solvedPasses() {
        String answer = solve(provider.challengeJson(request()));

        assertThat(provider.verify(request(), answer)).isEqualTo(CaptchaVerdict.passed());
        assertThat(used).hasSize(1);
        assertThat(used.values()).allSatisfy(expiry ->
                assertThat(expiry).isEqualTo(now.get() + Duration.ofSeconds(SETTINGS.challengeSeconds() + 60).toMillis()));
    }

    @Test
    @DisplayName("The challenge from the widget attributes is solvable too, and passes")
    void widgetChallengePasses() {
        String challenge = provider.widget(request()).attributes().get("challengejson");

        assertThat(provider.verify(request(), solve(challenge)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("The extra fields the real widget posts (took, test) are ignored")
    void widgetExtraFields() {
        Map<String, Object> payload = payload(provider.challengeJson(request()));
        payload.put("took", 1234);
        payload.put("test", false);

        assertThat(provider.verify(request(), encode(payload)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("The same answer posted again is REPLAYED, also with whitespace around it")
    void replayed() {
        String answer = solve(provider.challengeJson(request()));
        assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.PASSED);

        assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.REPLAYED);
        assertThat(provider.verify(request(), " " + answer + "\n").outcome()).isEqualTo(Outcome.REPLAYED);
        now.addAndGet(Duration.ofSeconds(10).toMillis());
        assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.REPLAYED);
    }

    @Test
    @DisplayName("Two challenges are different, and each passes once")
    void challengesDiffer() {
        String first = provider.challengeJson(request());
        String second = provider.challengeJson(request());

        assertThat(first).isNotEqualTo(second);
        assertThat(provider.verify(request(), solve(first)).outcome()).isEqualTo(Outcome.PASSED);
        assertThat(provider.verify(request(), solve(second)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("No answer (null, empty, blank) is MISSING")
    void missing() {
        for (String answer : new String[] {null, "", "  \t"}) {
            assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.MISSING);
        }
        assertThat(used).isEmpty();
    }

    @Test
    @DisplayName("Junk is INVALID: not base64, not JSON, a JSON array or null, wrong field types, 5000 characters")
    void junk() {
        Map<String, Object> good = payload(provider.challengeJson(request()));
        List<String> answers = List.of(
                "%%% not base64 %%%",
                b64("not json at all"),
                b64("{\"algorithm\": \"SHA-256\", "),
                b64("[1, 2, 3]"),
                b64("null"),
                b64("42"),
                encode(with(good, "number", String.valueOf(good.get("number")))),
                encode(with(good, "number", ((Number) good.get("number")).doubleValue() + 0.5)),
                encode(with(good, "number", -1)),
                encode(with(good, "salt", 12345)),
                encode(with(good, "challenge", Map.of("x", 1))),
                encode(with(good, "signature", List.of(good.get("signature")))),
                encode(with(good, "signature", null)),
                encode(with(good, "challenge", ((String) good.get("challenge")).toUpperCase())),
                encode(with(good, "salt", "a".repeat(600))),
                "A".repeat(5000));
        for (String answer : answers) {
            assertThat(provider.verify(request(), answer).outcome()).as(answer).isEqualTo(Outcome.INVALID);
        }
        assertThat(used).isEmpty();
        assertThat(provider.verify(request(), encode(good)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("A wrong number is INVALID")
    void wrongNumber() {
        Map<String, Object> good = payload(provider.challengeJson(request()));
        long number = ((Number) good.get("number")).longValue();

        for (long wrong : new long[] {number + 1, number == 0 ? 2 : number - 1, SETTINGS.workLow() + 1}) {
            assertThat(provider.verify(request(), encode(with(good, "number", wrong))).outcome())
                    .isEqualTo(Outcome.INVALID);
        }
        assertThat(provider.verify(request(), encode(good)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("An altered signature is INVALID")
    void alteredSignature() {
        Map<String, Object> good = payload(provider.challengeJson(request()));
        String signature = (String) good.get("signature");
        String altered = (signature.charAt(0) == '0' ? "1" : "0") + signature.substring(1);

        assertThat(provider.verify(request(), encode(with(good, "signature", altered))))
                .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "bad signature"));
    }

    @Test
    @DisplayName("An altered salt is INVALID: a later expiry, another realm, or an appended expires parameter")
    void alteredSalt() {
        Map<String, Object> good = payload(provider.challengeJson(request()));
        String salt = (String) good.get("salt");
        Map<String, String> params = AltchaCaptchaProvider.saltParams(salt).orElseThrow();
        String expires = params.get("expires");
        assertThat(expires).isEqualTo(Long.toString(now.get() / 1000 + SETTINGS.challengeSeconds()));
        assertThat(params).containsEntry("realm", "realm-a");

        List<String> salts = List.of(
                salt.replace("expires=" + expires, "expires=" + (Long.parseLong(expires) + 86_400)),
                salt.replace("realm=realm-a", "realm=realm-b"),
                salt + "expires=99999999999&");
        for (String altered : salts) {
            assertThat(altered).isNotEqualTo(salt);
            assertThat(provider.verify(request(), encode(with(good, "salt", altered))).outcome())
                    .as(altered).isEqualTo(Outcome.INVALID);
        }
        assertThat(provider.verify(request(), encode(good)).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("An altered salt re-solved with its own challenge is INVALID without the realm's key")
    void forgedChallenge() {
        Map<String, Object> good = payload(provider.challengeJson(request()));
        String salt = ((String) good.get("salt")).replace("realm=realm-a", "realm=realm-b");
        Map<String, Object> forged = with(good, "salt", salt);
        forged.put("challenge", sha256Hex(salt + good.get("number")));

        assertThat(provider.verify(request(), encode(forged)))
                .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "bad signature"));
    }

    @Test
    @DisplayName("After a key rotation, a challenge of the previous key passes during the grace (once), and not after it")
    void previousKeyDuringGrace() {
        String answer = solve(provider.challengeJson(request()));
        CaptchaRequest rotated = new CaptchaRequest("realm-a", "198.51.100.4", RiskLevel.LOW, SETTINGS, RESOURCES, REALM_URL,
                "en", OTHER_KEY, replay, now::get, LOGIN, SETTINGS.work(RiskLevel.LOW), KEY);
        CaptchaRequest graceOver = request("realm-a", RiskLevel.LOW, OTHER_KEY);

        assertThat(provider.verify(graceOver, answer)).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "bad signature"));
        assertThat(provider.verify(rotated, answer)).isEqualTo(CaptchaVerdict.passed());
        assertThat(provider.verify(rotated, answer).outcome()).as("still single-use").isEqualTo(Outcome.REPLAYED);
        String fresh = solve(provider.challengeJson(rotated));
        assertThat(provider.verify(graceOver, fresh)).as("signed with the new key").isEqualTo(CaptchaVerdict.passed());
    }

    @Test
    @DisplayName("An answer checked with another realm's key, or in another realm with the same key, is INVALID")
    void otherRealm() {
        String answer = solve(provider.challengeJson(request()));

        assertThat(provider.verify(request("realm-a", RiskLevel.LOW, OTHER_KEY), answer))
                .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "bad signature"));
        assertThat(provider.verify(request("realm-b", RiskLevel.LOW, OTHER_KEY), answer).outcome())
                .isEqualTo(Outcome.INVALID);
        assertThat(provider.verify(request("realm-b", RiskLevel.LOW, KEY), answer))
                .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "challenge of another realm"));
        assertThat(used).isEmpty();
        assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    @DisplayName("An algorithm other than SHA-256 is INVALID (SHA-1, sha-256, none)")
    void otherAlgorithm() {
        Map<String, Object> good = payload(provider.challengeJson(request()));

        for (Object algorithm : java.util.Arrays.asList("SHA-1", "sha-256", "SHA-512", null, 256)) {
            assertThat(provider.verify(request(), encode(with(good, "algorithm", algorithm))).outcome())
                    .as(String.valueOf(algorithm)).isEqualTo(Outcome.INVALID);
        }
    }

    @Test
    @DisplayName("A good answer is still good on its last second and EXPIRED one second later; an expired answer is not registered")
    void expired() {
        String answer = solve(provider.challengeJson(request()));
        String late = solve(provider.challengeJson(request()));

        now.addAndGet(Duration.ofSeconds(SETTINGS.challengeSeconds()).toMillis());
        assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.PASSED);

        now.addAndGet(Duration.ofSeconds(1).toMillis());
        assertThat(provider.verify(request(), late)).isEqualTo(CaptchaVerdict.of(Outcome.EXPIRED, "challenge expired"));
        assertThat(used).hasSize(1);
    }

    @Test
    @DisplayName("A replay register that cannot answer makes the verdict UNAVAILABLE, not a pass and not an exception")
    void replayRegisterDown() {
        String answer = solve(provider.challengeJson(request()));
        ReplayGuard down = (token, ttl) -> {
            throw new IllegalStateException("cache down");
        };
        CaptchaRequest request = new CaptchaRequest("realm-a", "198.51.100.4", RiskLevel.LOW, SETTINGS, RESOURCES,
                REALM_URL, "en", KEY, down, now::get, LOGIN, SETTINGS.workLow());

        assertThat(provider.verify(request, answer))
                .isEqualTo(CaptchaVerdict.of(Outcome.UNAVAILABLE, "replay register unavailable"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(RiskLevel.class)
    @DisplayName("The work asked (maxnumber) is the realm's setting for the request's risk")
    void workGrowsWithRisk(RiskLevel risk) {
        Map<?, ?> challenge = read(provider.challengeJson(request("realm-a", risk, KEY)));

        assertThat(((Number) challenge.get("maxnumber")).longValue()).isEqualTo(SETTINGS.work(risk));
        assertThat(challenge.get("algorithm")).isEqualTo("SHA-256");
        assertThat(SETTINGS.work(RiskLevel.LOW)).isLessThan(SETTINGS.work(RiskLevel.MEDIUM));
        assertThat(SETTINGS.work(RiskLevel.MEDIUM)).isLessThan(SETTINGS.work(RiskLevel.HIGH));
    }

    @Test
    @DisplayName("The widget is <altcha-widget name=altcha> with an inline challenge, a refresh URL on the realm and the script from the theme resources")
    void widget() {
        CaptchaWidget widget = provider.widget(request());

        assertThat(provider.responseField()).isEqualTo("altcha");
        assertThat(widget.element()).isEqualTo("altcha-widget");
        assertThat(widget.invisible()).isFalse();
        assertThat(widget.attributes())
                .containsEntry("name", "altcha")
                .containsEntry("challengeurl", REALM_URL + "/sentinel-captcha/challenge?form=login")
                .containsEntry("language", "en")
                .containsKey("challengejson");
        assertThat(widget.scripts()).singleElement().asString()
                .startsWith(RESOURCES + "/").endsWith("/" + AltchaCaptchaProvider.SCRIPT);
        List<Object> fields = List.copyOf(read(widget.attributes().get("challengejson")).keySet());
        assertThat(fields)
                .containsExactlyInAnyOrder("algorithm", "challenge", "maxnumber", "salt", "signature");
    }

    @Nested
    @DisplayName("Malformed answers: INVALID, never an exception, never registered")
    class MalformedAnswers {

        /** Answers a client can post as they are: checked for shape before anything is signed or solved. */
        static Stream<Arguments> crafted() {
            Map<String, Object> shape = new LinkedHashMap<>();
            shape.put("algorithm", "SHA-256");
            shape.put("challenge", "a".repeat(64));
            shape.put("number", 5);
            shape.put("salt", "0123456789abcdef?realm=realm-a&form=login&work=1000&expires=1700000300&");
            shape.put("signature", "b".repeat(64));
            String deep = "[".repeat(1500) + "]".repeat(1500);
            return Stream.of(
                    arguments(named("bad %-escape in the salt's parameters", encode(with(shape, "salt", "00ff?realm=%zz&expires=%")))),
                    arguments(named("a lone % at the end of the salt", encode(with(shape, "salt", "00ff?expires=1%")))),
                    arguments(named("a %-escape of invalid UTF-8 in the salt", encode(with(shape, "salt", "00ff?realm=%C3%28")))),
                    arguments(named("a number past 64 bits that wraps into range", numberAs(shape, "18446744073709551621"))),
                    arguments(named("a negative number past 64 bits", numberAs(shape, "-18446744073709551611"))),
                    arguments(named("a number of 1500 digits", numberAs(shape, "9".repeat(1500)))),
                    arguments(named("a number of 1e400", numberAs(shape, "1e400"))),
                    arguments(named("a whole number written as a fraction", numberAs(shape, "5.0"))),
                    arguments(named("a number above the most work there is", encode(with(shape, "number", CaptchaSettings.MAX_WORK + 1)))),
                    arguments(named("a boolean number", encode(with(shape, "number", true)))),
                    arguments(named("a null number", encode(with(shape, "number", null)))),
                    arguments(named("an object salt", encode(with(shape, "salt", Map.of("realm", "realm-a"))))),
                    arguments(named("a nested array as the salt", b64(json(shape).replace("\"salt\":\"", "\"salt\":" + deep
                            + ",\"x\":\"")))),
                    arguments(named("1500 nested arrays", b64(deep))),
                    arguments(named("a short signature", encode(with(shape, "signature", "b".repeat(63))))),
                    arguments(named("a non-hex challenge", encode(with(shape, "challenge", "g".repeat(64))))),
                    arguments(named("no algorithm", encode(with(shape, "algorithm", null)))),
                    arguments(named("invalid UTF-8", Base64.getEncoder().encodeToString(new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'}))),
                    arguments(named("URL-safe base64", b64("{\"salt\":\"??>>\"}").replace('+', '-').replace('/', '_') + "~_-")),
                    arguments(named("base64 padding only", "====")),
                    arguments(named("a line break inside the base64", encode(shape).substring(0, 20) + "\n" + encode(shape).substring(20))),
                    arguments(named("a lone surrogate in the salt", b64(json(shape).replace("0123456789abcdef", "\\ud800")))),
                    arguments(named("NUL characters", "\u0000".repeat(100))),
                    arguments(named("an empty JSON object", b64("{}"))));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("crafted")
        @DisplayName("A crafted answer is INVALID")
        void craftedIsInvalid(String answer) {
            CaptchaVerdict verdict = provider.verify(request(), answer);

            assertThat(verdict.outcome()).isEqualTo(Outcome.INVALID);
            assertThat(used).isEmpty();
        }

        /**
         * Salts whose signature is good (signed here with the realm's key, as a leaked key or a
         * future bug would allow): what is inside a signed salt is parsed as carefully.
         */
        static Stream<Arguments> signedButMalformed() {
            String expires = Long.toString(1_700_000_000L + 300);
            return Stream.of(
                    arguments(named("a bad %-escape", "00ff?realm=%zz&form=login&work=1000&expires=" + expires + "&"), "malformed challenge"),
                    arguments(named("a lone %", "00ff?realm=realm-a&form=login&work=1000&expires=%"), "malformed challenge"),
                    arguments(named("no parameters at all", "00ff"), "challenge of another realm"),
                    arguments(named("no form (issued before forms were bound)",
                            "00ff?realm=realm-a&expires=" + expires + "&"), "challenge for another form"),
                    arguments(named("no work (issued before work was bound)",
                            "00ff?realm=realm-a&form=login&expires=" + expires + "&"), "challenge without work"),
                    arguments(named("a signed work", "00ff?realm=realm-a&form=login&work=-5000&expires=" + expires), "challenge without work"),
                    arguments(named("work in exponent notation", "00ff?realm=realm-a&form=login&work=1e9&expires=" + expires),
                            "challenge without work"),
                    arguments(named("work past 64 bits", "00ff?realm=realm-a&form=login&work=" + "9".repeat(30) + "&expires=" + expires),
                            "challenge without work"),
                    arguments(named("a negative expiry", "00ff?realm=realm-a&form=login&work=1000&expires=-1"), "challenge without expiry"),
                    arguments(named("an expiry past 64 bits", "00ff?realm=realm-a&form=login&work=1000&expires=" + "9".repeat(25)),
                            "challenge without expiry"),
                    arguments(named("an expiry with a plus sign", "00ff?realm=realm-a&form=login&work=1000&expires=%2B" + expires),
                            "challenge without expiry"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("signedButMalformed")
        @DisplayName("A signed challenge whose parameters are damaged is INVALID")
        void signedButMalformed(String salt, String detail) {
            assertThat(provider.verify(request(), signed(salt, 7))).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, detail));
            assertThat(used).isEmpty();
        }

        @Test
        @DisplayName("A signed challenge with an expiry at the end of time passes once and is kept a bounded time")
        void farExpiry() {
            String answer = signed("00ff?realm=realm-a&form=login&work=1000&expires=" + "9".repeat(18), 7);

            assertThat(provider.verify(request(), answer).outcome()).isEqualTo(Outcome.PASSED);
            assertThat(used.values()).singleElement().satisfies(expiry ->
                    assertThat(expiry).isEqualTo(now.get() + Duration.ofSeconds(86_400 + 60).toMillis()));
        }
    }

    @Nested
    @DisplayName("Binding: a challenge answers only the form and the risk it was issued for")
    class Binding {

        @Test
        @DisplayName("The signed salt names the realm, the form and the work the challenge was issued with")
        void saltCarriesTheBinding() {
            Map<?, ?> challenge = read(provider.challengeJson(request("realm-a", RiskLevel.MEDIUM, KEY, "reset")));

            assertThat(AltchaCaptchaProvider.saltParams((String) challenge.get("salt")).orElseThrow())
                    .containsEntry("realm", "realm-a")
                    .containsEntry("form", "reset")
                    .containsEntry("work", Long.toString(SETTINGS.workMedium()))
                    .containsKey("expires");
            assertThat(((Number) challenge.get("maxnumber")).longValue()).isEqualTo(SETTINGS.workMedium());
        }

        @ParameterizedTest(name = "issued at {0}, answered at {1}")
        @CsvSource({
                "LOW, LOW, PASSED", "LOW, MEDIUM, INVALID", "LOW, HIGH, INVALID",
                "MEDIUM, LOW, PASSED", "MEDIUM, MEDIUM, PASSED", "MEDIUM, HIGH, INVALID",
                "HIGH, LOW, PASSED", "HIGH, MEDIUM, PASSED", "HIGH, HIGH, PASSED"})
        @DisplayName("A challenge passes where its work is at least what the risk now asks, and is too weak otherwise")
        void workAtLeastTheRisk(RiskLevel issued, RiskLevel answered, Outcome outcome) {
            String answer = solve(provider.challengeJson(request("realm-a", issued, KEY)));

            CaptchaVerdict verdict = provider.verify(request("realm-a", answered, KEY), answer);

            assertThat(verdict.outcome()).isEqualTo(outcome);
            if (outcome == Outcome.INVALID) {
                assertThat(verdict.detail()).isEqualTo("challenge too weak");
                assertThat(used).as("a weak answer is not spent").isEmpty();
            }
        }

        @Test
        @DisplayName("Given the realm is now under attack, a LOW challenge fetched before (or from a clean address) is refused; a fresh HIGH one passes")
        void lowRefusedWhereHighRequired() {
            String low = solve(provider.challengeJson(request("realm-a", RiskLevel.LOW, KEY)));

            assertThat(provider.verify(request("realm-a", RiskLevel.HIGH, KEY), low))
                    .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "challenge too weak"));
            String high = solve(provider.challengeJson(request("realm-a", RiskLevel.HIGH, KEY)));
            assertThat(provider.verify(request("realm-a", RiskLevel.HIGH, KEY), high).outcome()).isEqualTo(Outcome.PASSED);
        }

        @Test
        @DisplayName("A HIGH challenge is accepted where LOW is required (more work than asked is fine)")
        void highAcceptedWhereLowRequired() {
            String high = solve(provider.challengeJson(request("realm-a", RiskLevel.HIGH, KEY)));

            assertThat(provider.verify(request("realm-a", RiskLevel.LOW, KEY), high)).isEqualTo(CaptchaVerdict.passed());
        }

        @ParameterizedTest(name = "a {0} challenge posted on the {1} form")
        @CsvSource({"login, registration", "login, reset", "registration, login", "reset, registration"})
        @DisplayName("A challenge issued for one form is INVALID on another, and still good on its own")
        void otherForm(String issuedFor, String postedOn) {
            String answer = solve(provider.challengeJson(request("realm-a", RiskLevel.LOW, KEY, issuedFor)));

            assertThat(provider.verify(request("realm-a", RiskLevel.LOW, KEY, postedOn), answer))
                    .isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "challenge for another form"));
            assertThat(used).isEmpty();
            assertThat(provider.verify(request("realm-a", RiskLevel.LOW, KEY, issuedFor), answer).outcome())
                    .isEqualTo(Outcome.PASSED);
        }

        @ParameterizedTest(name = "{0}")
        @CsvSource({
                "'work raised to HIGH', work=1000, work=5000, login",
                "'form changed to registration', form=login, form=registration, registration"})
        @DisplayName("A tampered work or form parameter is INVALID: as posted (wrong solution) and re-solved (bad signature)")
        void tamperedBinding(String what, String from, String to, String postedOn) {
            Map<String, Object> good = payload(provider.challengeJson(request("realm-a", RiskLevel.LOW, KEY)));
            String salt = ((String) good.get("salt")).replace(from, to);
            assertThat(salt).as(what).isNotEqualTo(good.get("salt"));
            CaptchaRequest required = request("realm-a", RiskLevel.HIGH, KEY, postedOn);

            assertThat(provider.verify(required, encode(with(good, "salt", salt))).outcome()).isEqualTo(Outcome.INVALID);
            Map<String, Object> resolved = with(good, "salt", salt);
            resolved.put("challenge", sha256Hex(salt + good.get("number")));
            assertThat(provider.verify(required, encode(resolved))).isEqualTo(CaptchaVerdict.of(Outcome.INVALID, "bad signature"));
            assertThat(used).isEmpty();
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"login", "registration", "reset"})
        @DisplayName("The widget's refresh URL asks for a challenge of the same form")
        void refreshUrlNamesTheForm(String form) {
            CaptchaWidget widget = provider.widget(request("realm-a", RiskLevel.LOW, KEY, form));

            assertThat(widget.attributes()).containsEntry("challengeurl", REALM_URL + "/sentinel-captcha/challenge?form=" + form);
            assertThat(AltchaCaptchaProvider.saltParams((String) read(widget.attributes().get("challengejson")).get("salt"))
                    .orElseThrow()).containsEntry("form", form);
        }
    }

    @Nested
    @DisplayName("Across a cluster: the answer's signature is claimed in the cluster's replay register, as the login steps wire it")
    class AcrossNodes {

        private final DefaultCacheManager cluster =
                new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
        /** Two nodes: each its own store and detector, both on the same caches. */
        private final AttackDetector nodeA = node();
        private final AttackDetector nodeB = node();

        private AttackDetector node() {
            InfinispanCounterStore store = InfinispanCounterStore.open(cluster, 10_000, 1_000, 1_000)
                    .withReplayRegister(cluster, 1_000);
            return new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);
        }

        @AfterEach
        void stop() {
            cluster.stop();
        }

        /** A post to {@code node}, whose replay register is the node's view of the cluster's (CaptchaGate's wiring). */
        private CaptchaVerdict postTo(AttackDetector node, String realmId, String answer) {
            ReplayGuard guard = (token, ttl) -> node.keys().claimOnce(realmId, token, ttl);
            CaptchaRequest request = request(realmId, RiskLevel.LOW, KEY);
            return provider.verify(new CaptchaRequest(request.realmId(), request.clientIp(), request.risk(), request.settings(),
                    request.resourcesUrl(), request.realmUrl(), request.language(), request.signingKey(), guard,
                    request.clock(), request.form(), request.minWork()), answer);
        }

        @Test
        @DisplayName("A challenge issued by node A passes once on node B; its answer replayed on either node is REPLAYED")
        void oncePerCluster() {
            String answer = solve(provider.challengeJson(request()));

            assertThat(postTo(nodeB, "realm-a", answer)).isEqualTo(CaptchaVerdict.passed());
            assertThat(postTo(nodeB, "realm-a", answer).outcome()).isEqualTo(Outcome.REPLAYED);
            assertThat(postTo(nodeA, "realm-a", answer).outcome()).isEqualTo(Outcome.REPLAYED);
        }

        @Test
        @DisplayName("Answers to two challenges each pass once, whichever node they reach")
        void eachChallengeOnce() {
            String first = solve(provider.challengeJson(request()));
            String second = solve(provider.challengeJson(request()));

            assertThat(postTo(nodeA, "realm-a", first).outcome()).isEqualTo(Outcome.PASSED);
            assertThat(postTo(nodeB, "realm-a", second).outcome()).isEqualTo(Outcome.PASSED);
            assertThat(postTo(nodeA, "realm-a", second).outcome()).isEqualTo(Outcome.REPLAYED);
            assertThat(postTo(nodeB, "realm-a", first).outcome()).isEqualTo(Outcome.REPLAYED);
        }

        @Test
        @DisplayName("A node whose replay register is not open answers UNAVAILABLE, never a pass")
        void registerNotOpen() {
            AttackDetector withoutRegister = new AttackDetector(InfinispanCounterStore.open(cluster, 10_000, 1_000, 1_000),
                    DetectionThresholds.DEFAULTS, now::get, 24, 64);

            assertThat(postTo(withoutRegister, "realm-a", solve(provider.challengeJson(request()))).outcome())
                    .isEqualTo(Outcome.UNAVAILABLE);
        }
    }

    // ---------------------------------------------------------------- helpers

    private CaptchaRequest request() {
        return request("realm-a", RiskLevel.LOW, KEY);
    }

    private CaptchaRequest request(String realmId, RiskLevel risk, byte[] key) {
        return request(realmId, risk, key, LOGIN);
    }

    /** A page or a post of {@code form} at {@code risk}: its challenge asks, and its answer needs, the work of that risk. */
    private CaptchaRequest request(String realmId, RiskLevel risk, byte[] key, String form) {
        return new CaptchaRequest(realmId, "198.51.100.4", risk, SETTINGS, RESOURCES, REALM_URL, "en", key, replay, now::get,
                form, SETTINGS.work(risk));
    }

    /** Solves a challenge and returns the form value the widget would post. */
    private static String solve(String challengeJson) {
        return encode(payload(challengeJson));
    }

    /**
     * Solves a challenge as the ALTCHA widget does: the first {@code n} from 0 to {@code maxnumber}
     * with lowercase-hex {@code SHA-256(salt + n)} equal to the challenge; returns the payload it posts.
     */
    private static Map<String, Object> payload(String challengeJson) {
        Map<?, ?> c = read(challengeJson);
        String salt = (String) c.get("salt");
        String challenge = (String) c.get("challenge");
        long max = ((Number) c.get("maxnumber")).longValue();
        for (long n = 0; n <= max; n++) {
            if (sha256Hex(salt + n).equals(challenge)) {
                Map<String, Object> payload = new LinkedHashMap<>();
                payload.put("algorithm", c.get("algorithm"));
                payload.put("challenge", challenge);
                payload.put("number", n);
                payload.put("salt", salt);
                payload.put("signature", c.get("signature"));
                return payload;
            }
        }
        throw new AssertionError("no solution up to maxnumber " + max);
    }

    /** A payload for {@code salt} signed with the test realm's key, as the server would sign it, answered with {@code number}. */
    private static String signed(String salt, long number) {
        try {
            String challenge = sha256Hex(salt + number);
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("algorithm", "SHA-256");
            payload.put("challenge", challenge);
            payload.put("number", number);
            payload.put("salt", salt);
            payload.put("signature", Altcha.hmacHex(Altcha.Algorithm.SHA256, challenge.getBytes(StandardCharsets.UTF_8),
                    HexFormat.of().formatHex(KEY)));
            return encode(payload);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code payload} with its number written as {@code literal} (JSON the serializer would not write). */
    private static String numberAs(Map<String, Object> payload, String literal) {
        return b64(json(with(payload, "number", 424242)).replace("\"number\":424242", "\"number\":" + literal));
    }

    private static String json(Map<String, Object> payload) {
        try {
            return JsonSerialization.writeValueAsString(payload);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> with(Map<String, Object> payload, String field, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(payload);
        copy.put(field, value);
        return copy;
    }

    private static String encode(Map<String, Object> payload) {
        try {
            return b64(JsonSerialization.writeValueAsString(payload));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<?, ?> read(String json) {
        try {
            return JsonSerialization.readValue(json, Map.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
