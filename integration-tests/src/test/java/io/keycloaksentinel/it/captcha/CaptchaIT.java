package io.keycloaksentinel.it.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.RegistrationForm;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Adaptive CAPTCHA over plain HTTP, as a bot sees it")
class CaptchaIT {

    private static final String PASSWORD = "Ordinary-pass-1";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";
    private static final String LOADER = "sentinel/captcha.js";
    private static final String MISSING = "Please complete the security check before you continue.";
    private static final String FAILED = "The security check could not be confirmed.";

    private final KeycloakServer server;
    private TestRealm realm;
    private String captchaPath;

    CaptchaIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("captcha").user("olivia", PASSWORD).customize(r -> r.setEventsEnabled(true))
                .create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        SentinelFlows.useSentinelRegistrationCaptcha(server.admin(), realm.name());
        SentinelFlows.useSentinelResetChooseUser(server.admin(), realm.name());
        captchaPath = "/admin/realms/" + realm.name() + "/sentinel-admin/captcha";
        // small proof-of-work so this JVM solves it in milliseconds
        server.admin().put(captchaPath, Map.of("workLow", 1000, "workMedium", 1000, "workHigh", 2000)).expect(200);
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private double hashes() {
        OptionalDouble v = Metrics.total(Metrics.scrape(server), HASHES);
        return v.orElseThrow(() -> new AssertionError(HASHES + " is not exposed"));
    }

    private String loginPage() {
        return new LoginClient(server.baseUrl()).openLoginPage(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").body();
    }

    private LoginClient.Result loginWith(String password, Map<String, String> extra) {
        return new LoginClient(server.baseUrl()).login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "olivia", password, extra);
    }

    private double captchaCount(String form, String outcome) {
        return Metrics.value(Metrics.scrape(server), "sentinel_captcha_total", "realm=\"" + realm.name() + "\"",
                "form=\"" + form + "\"", "outcome=\"" + outcome + "\"").orElse(0);
    }

    private void putRealmUnderAttack() {
        io.keycloaksentinel.it.harness.Attacks.underAttack(server, realm.name());
    }

    @Test
    @DisplayName("In a quiet realm (default mode 'risky'), the login page has no CAPTCHA and a login needs none")
    void quietRealmHasNoCaptcha() {
        assertThat(loginPage()).doesNotContain(LOADER).doesNotContain("security check");
        assertThat(realm.login("olivia", PASSWORD).loggedIn()).isTrue();
        assertThat(captchaCount("login", "shown")).isZero();
    }

    @Test
    @DisplayName("Under attack, the login page asks for the CAPTCHA; a post without an answer is refused before any hash; a solved one logs in; a replayed one is refused")
    void underAttack() {
        putRealmUnderAttack();
        String page = loginPage();
        assertThat(page).contains(LOADER).contains("unusual sign-in activity");

        double before = hashes();
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result bare = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "olivia",
                PASSWORD, Map.of());
        assertThat(bare.loggedIn()).isFalse();
        assertThat(bare.status()).isEqualTo(200);
        // the refusal page (rendered once, not the form per post): the message and a link back to the form
        assertThat(bare.page()).contains(MISSING).contains("enable JavaScript").doesNotContain("name=\"password\"");
        assertThat(hashes()).as("password hashes for a post without a CAPTCHA answer").isEqualTo(before);
        // served like Keycloak's own pages: never cached, never framed
        assertThat(bare.header("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
        assertThat(bare.header("X-Frame-Options")).as("the realm's browser security headers").isPresent();
        assertThat(bare.header("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("frame-ancestors"));
        java.util.regex.Matcher back = java.util.regex.Pattern.compile("id=\"sentinel-retry\" href=\"([^\"]+)\"")
                .matcher(bare.page());
        assertThat(back.find()).as("a link back to the sign-in").isTrue();
        LoginClient.Result form = client.open(back.group(1).replace("&amp;", "&"));
        assertThat(form.page()).as("the link leads back to the form with the widget").contains(LOADER)
                .contains("name=\"password\"");
        LoginClient.Result retried = client.submit(form.page(), Map.of("username", "olivia", "password", PASSWORD,
                "altcha", ProofOfWork.solvedAnswer(server, realm.name())));
        assertThat(retried.loggedIn()).as("signed in from the form the link led back to: %s", retried).isTrue();
        // a bare post is refused like a throttled one: no event row per bot post (the metric and the realm count it)
        assertThat(server.admin().get("/admin/realms/" + realm.name() + "/events?type=LOGIN_ERROR&max=100").expect(200)
                .json()).as("CAPTCHA events after a post without any answer")
                .noneSatisfy(e -> assertThat(e.path("error").asText()).isEqualTo("sentinel_captcha_failed"));

        String answer = ProofOfWork.solvedAnswer(server, realm.name());
        LoginClient.Result solved = loginWith(PASSWORD, Map.of("altcha", answer));
        assertThat(solved.loggedIn()).as("%s", solved).isTrue();

        double afterLogin = hashes();
        LoginClient.Result replayed = loginWith(PASSWORD, Map.of("altcha", answer));
        assertThat(replayed.loggedIn()).isFalse();
        // an answer that was checked and refused: the admin sees it as a CAPTCHA failure, not as a wrong password
        JsonNode events = server.admin().get("/admin/realms/" + realm.name() + "/events?type=LOGIN_ERROR&max=100")
                .expect(200).json();
        assertThat(events).anySatisfy(e -> assertThat(e.path("error").asText()).isEqualTo("sentinel_captcha_failed"));
        assertThat(events).noneSatisfy(e -> assertThat(e.path("error").asText()).isEqualTo("invalid_user_credentials"));
        assertThat(replayed.page()).contains(FAILED);
        assertThat(hashes()).as("password hashes for a replayed answer").isEqualTo(afterLogin);

        assertThat(captchaCount("login", "missing")).isEqualTo(1);
        assertThat(captchaCount("login", "passed")).as("from the linked form, then a fresh login").isEqualTo(2);
        assertThat(captchaCount("login", "replayed")).isEqualTo(1);
        // the two refused posts count as failures for the realm, so an attack held off at the
        // CAPTCHA keeps the realm under attack instead of switching the CAPTCHA off
        Poll.until("40 + 2 failures counted", Duration.ofSeconds(20), () -> server.admin()
                .get("/admin/realms/" + realm.name() + "/sentinel-admin/attack").expect(200).json()
                .at("/signals/failuresLastDay").asLong() == 42 ? Boolean.TRUE : null);
    }

    @Test
    @DisplayName("A challenge fetched while the realm was quiet (less work) is refused once the realm is under attack, before any hash; a fresh one logs in")
    void weakChallengeRefusedUnderAttack() {
        JsonNode quiet = ProofOfWork.challenge(server, realm.name());
        assertThat(quiet.get("maxnumber").asLong()).as("work asked at low risk").isEqualTo(1000);
        String weak = ProofOfWork.solve(quiet);
        putRealmUnderAttack();

        double before = hashes();
        LoginClient.Result refused = loginWith(PASSWORD, Map.of("altcha", weak));
        assertThat(refused.loggedIn()).isFalse();
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.page()).contains(FAILED);
        assertThat(hashes()).as("password hashes for a too-weak answer").isEqualTo(before);
        assertThat(captchaCount("login", "invalid")).isEqualTo(1);

        JsonNode strong = ProofOfWork.challenge(server, realm.name());
        assertThat(strong.get("maxnumber").asLong()).as("work asked under attack").isEqualTo(2000);
        LoginClient.Result solved = loginWith(PASSWORD, Map.of("altcha", ProofOfWork.solve(strong)));
        assertThat(solved.loggedIn()).as("%s", solved).isTrue();
    }

    @Test
    @DisplayName("'When risky' is per source too: an address at half its failure threshold is asked for the CAPTCHA instead of being throttled later; another address is not")
    void riskySource() throws Exception {
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/config", Map.of("ipFailuresPerDay", 6))
                .expect(200);
        for (int i = 0; i < 3; i++) {
            LoginClient.Result wrong = realm.login("mallory", "guess-" + i);
            assertThat(wrong.formError()).contains("Invalid username or password.");
        }
        Poll.until("3 failures counted for 127.0.0.1", Duration.ofSeconds(20), () -> server.admin()
                .get("/admin/realms/" + realm.name() + "/sentinel-admin/attack?ip=127.0.0.1").expect(200).json()
                .at("/source/ipFailures24h").asLong() >= 3 ? Boolean.TRUE : null);

        assertThat(loginPage()).contains(LOADER);
        double before = hashes();
        LoginClient.Result bare = loginWith(PASSWORD, Map.of());
        assertThat(bare.status()).as("a CAPTCHA, not a 429").isEqualTo(200);
        assertThat(bare.loggedIn()).isFalse();
        assertThat(bare.page()).contains(MISSING);
        assertThat(hashes()).as("password hashes for a post without a CAPTCHA answer").isEqualTo(before);
        LoginClient.Result solved = loginWith(PASSWORD, Map.of("altcha", ProofOfWork.solvedAnswer(server, realm.name())));
        assertThat(solved.loggedIn()).as("%s", solved).isTrue();

        SourceBoundLogin.Attempt elsewhere = SourceBoundLogin.attempt(server.baseUrl(),
                java.net.InetAddress.getByName("127.0.9.9"), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "olivia", PASSWORD);
        assertThat(elsewhere.outcome()).as("another address, no CAPTCHA answer").isEqualTo(SourceBoundLogin.Outcome.LOGGED_IN);
    }

    @Test
    @DisplayName("A CAPTCHA failure is not a password failure: many of them never lock the account")
    void captchaFailuresDoNotLockTheAccount() {
        server.admin().put(captchaPath, Map.of("mode", "always")).expect(200);
        for (int i = 0; i < 35; i++) { // above the realm's brute-force failure factor (30)
            assertThat(loginWith(PASSWORD, Map.of("altcha", "bm90IGFuIGFuc3dlcg==")).loggedIn()).isFalse();
        }
        // 35 refused answers in a minute put the realm under attack: a challenge fetched while its state
        // was still rising is too weak for a post made once it is there (the work is bound to the
        // challenge), and is refused like a browser's would be; a browser then solves the fresh widget
        Poll.until("UNDER_ATTACK", Duration.ofSeconds(30), () -> "UNDER_ATTACK".equals(server.admin()
                .get("/admin/realms/" + realm.name() + "/sentinel-admin/attack").expect(200).json().get("state").asText())
                ? Boolean.TRUE : null);
        LoginClient.Result ok = Poll.until("a solved CAPTCHA signs olivia in", Duration.ofSeconds(30), () -> {
            LoginClient.Result r = loginWith(PASSWORD, Map.of("altcha", ProofOfWork.solvedAnswer(server, realm.name())));
            return r.loggedIn() ? r : null;
        });
        assertThat(ok.loggedIn()).as("%s", ok).isTrue();
        JsonNode status = server.admin().get("/admin/realms/" + realm.name() + "/attack-detection/brute-force/users/"
                + server.admin().userId(realm.name(), "olivia")).expect(200).json();
        assertThat(status.get("numFailures").asInt()).isZero();
    }

    @Test
    @DisplayName("Malformed, oversize, tampered, wrong and other-realm answers get a clear message, never a 500, never a hash")
    void badAnswers() {
        server.admin().put(captchaPath, Map.of("mode", "always")).expect(200);
        JsonNode challenge = ProofOfWork.challenge(server, realm.name());
        String solved = ProofOfWork.solve(challenge);
        long number = AdminApi.JSON.valueToTree(decode(solved)).get("number").asLong();

        Map<String, String> answers = new LinkedHashMap<>();
        answers.put("not base64", "%%% not base64 %%%");
        answers.put("base64 of text", Base64.getEncoder().encodeToString("hello".getBytes()));
        answers.put("a JSON array", Base64.getEncoder().encodeToString("[1,2,3]".getBytes()));
        answers.put("oversize", "A".repeat(100_000));
        answers.put("wrong number", ProofOfWork.answer(challenge, number + 1));
        ObjectNodeEdit tampered = new ObjectNodeEdit(solved);
        answers.put("tampered signature", tampered.with("signature", "0".repeat(64)));
        answers.put("tampered salt", new ObjectNodeEdit(solved).with("salt",
                challenge.get("salt").asText().replace("expires=", "expires=9")));
        try (TestRealm other = TestRealm.builder("captcha-other").create(server)) {
            answers.put("another realm's answer", ProofOfWork.solvedAnswer(server, other.name()));
        }

        double before = hashes();
        answers.forEach((what, answer) -> {
            LoginClient.Result r = loginWith(PASSWORD, Map.of("altcha", answer));
            assertThat(r.status()).as(what).isEqualTo(200);
            assertThat(r.loggedIn()).as(what).isFalse();
            assertThat(r.page()).as(what).contains(FAILED);
        });
        assertThat(hashes()).as("password hashes for bad answers").isEqualTo(before);
        assertThat(captchaCount("login", "invalid")).isEqualTo(answers.size());
        // the good answer was never spent by the bad ones
        assertThat(loginWith(PASSWORD, Map.of("altcha", solved)).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("Monitoring-only mode shows nothing and refuses nothing, and counts what it would have asked")
    void monitorMode() {
        server.admin().put(captchaPath, Map.of("mode", "monitor")).expect(200);
        putRealmUnderAttack();
        assertThat(loginPage()).doesNotContain(LOADER);
        double monitoredBefore = captchaCount("login", "monitored");
        assertThat(loginWith(PASSWORD, Map.of()).loggedIn()).isTrue();
        assertThat(captchaCount("login", "monitored")).isEqualTo(monitoredBefore + 1);
    }

    @Test
    @DisplayName("Registration: without an answer nothing is created and nothing about existing accounts is revealed; with one the account is created")
    void registration() {
        server.admin().put(captchaPath, Map.of("mode", "always")).expect(200);
        LoginClient client = new LoginClient(server.baseUrl());
        Map<String, String> taken = RegistrationForm.fields("olivia", "olivia@example.test");
        LoginClient.Result refused = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/registration", taken);
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.page()).contains(MISSING).doesNotContain("Username already exists")
                .doesNotContain("Email already exists");

        Map<String, String> fresh = RegistrationForm.fields("newbie", "newbie@example.test");
        LoginClient.Result noAnswer = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/registration", fresh);
        assertThat(noAnswer.page()).contains(MISSING);
        assertThat(server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&username=newbie").expect(200).json())
                .isEmpty();

        // a challenge fetched for the login form does not answer on the registration form
        fresh.put("altcha", ProofOfWork.solvedAnswer(server, realm.name(), "login"));
        LoginClient.Result otherForm = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/registration", fresh);
        assertThat(otherForm.page()).contains(FAILED);
        assertThat(server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&username=newbie").expect(200).json())
                .isEmpty();

        fresh.put("altcha", ProofOfWork.solvedAnswer(server, realm.name(), "registration"));
        LoginClient.Result created = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/registration", fresh);
        assertThat(created.status()).as("%s", created.page()).isEqualTo(302);
        assertThat(server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&username=newbie").expect(200).json())
                .hasSize(1);
        assertThat(captchaCount("registration", "missing")).isEqualTo(2);
        assertThat(captchaCount("registration", "invalid")).isEqualTo(1);
        assertThat(captchaCount("registration", "passed")).isEqualTo(1);
    }

    @Test
    @DisplayName("Reset credentials: the Choose User step refuses a post without an answer before looking anyone up")
    void resetCredentials() {
        server.admin().put(captchaPath, Map.of("mode", "always")).expect(200);
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result refused = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/reset-credentials", Map.of("username", "nobody@example.test"));
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.page()).contains(MISSING).contains(LOADER);

        LoginClient.Result accepted = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/reset-credentials", Map.of("username", "nobody@example.test",
                        "altcha", ProofOfWork.solvedAnswer(server, realm.name(), "reset")));
        assertThat(accepted.page()).doesNotContain(MISSING).doesNotContain(FAILED);
        assertThat(captchaCount("reset", "missing")).isEqualTo(1);
        assertThat(captchaCount("reset", "passed")).isEqualTo(1);
    }

    @Test
    @DisplayName("The login step's authenticator config (admin console) overrides the realm-wide mode for its form")
    void executionConfigOverridesRealm() {
        String flows = "/admin/realms/" + realm.name() + "/authentication";
        String executionId = null;
        for (JsonNode e : server.admin().get(flows + "/flows/" + SentinelFlows.FLOW + "/executions").expect(200).json()) {
            if ("sentinel-login-form".equals(e.path("providerId").asText())) {
                executionId = e.get("id").asText();
            }
        }
        assertThat(executionId).isNotNull();
        assertThat(loginPage()).doesNotContain(LOADER);
        server.admin().post(flows + "/executions/" + executionId + "/config",
                Map.of("alias", "captcha-always", "config", Map.of("mode", "always"))).expect(201);

        assertThat(loginPage()).contains(LOADER);
        assertThat(loginWith(PASSWORD, Map.of()).page()).contains(MISSING);
        // the realm-wide setting itself is unchanged
        assertThat(server.admin().get(captchaPath).expect(200).json().get("mode").asText()).isEqualTo("risky");
    }

    @Test
    @DisplayName("The admin REST validates CAPTCHA settings (400 naming the field, nothing saved) and never shows the secret")
    void adminSettings() {
        assertThat(server.admin().put(captchaPath, Map.of("mode", "sometimes")).status()).isEqualTo(400);
        AdminApi.Response unknownProvider = server.admin().put(captchaPath, Map.of("provider", "acme-captcha"));
        assertThat(unknownProvider.status()).isEqualTo(400);
        assertThat(unknownProvider.json().get("error").asText()).contains("provider must be one of").contains("altcha");
        assertThat(server.admin().put(captchaPath, Map.of("workHigh", 10)).status()).isEqualTo(400);
        assertThat(server.admin().put(captchaPath, Map.of("verifyUrl", "file:///etc/passwd")).status()).isEqualTo(400);
        assertThat(server.admin().put(captchaPath, Map.of("colour", "red")).status()).isEqualTo(400);

        JsonNode saved = server.admin().put(captchaPath, Map.of("provider", "turnstile", "siteKey", "1x00000000000000000000AA",
                "secret", "a-very-secret-value")).expect(200).json();
        assertThat(saved.get("secret").asText()).isEqualTo("**********");
        assertThat(saved.toString()).doesNotContain("a-very-secret-value");
        JsonNode read = server.admin().get(captchaPath).expect(200).json();
        assertThat(read.get("mode").asText()).isEqualTo("risky");
        assertThat(read.get("provider").asText()).isEqualTo("turnstile");
        assertThat(read.toString()).doesNotContain("a-very-secret-value");
        assertThat(read.get("providers")).extracting(JsonNode::asText).contains("altcha", "turnstile", "hcaptcha",
                "recaptcha", "recaptcha-v3");
    }

    private static Map<?, ?> decode(String answer) {
        try {
            return AdminApi.JSON.readValue(Base64.getDecoder().decode(answer), Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Edits one field of an encoded answer. */
    private record ObjectNodeEdit(String answer) {
        String with(String field, Object value) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) decode(answer));
            m.put(field, value);
            try {
                return Base64.getEncoder().encodeToString(AdminApi.JSON.writeValueAsBytes(m));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
