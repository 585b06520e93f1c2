package io.keycloaksentinel.it.signup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailQueue;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.ProofOfWork;
import io.keycloaksentinel.it.harness.RegistrationForm;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser.Page;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Enumeration-safe sign-up: the same answer for new and registered addresses, the owner told instead")
class EnumerationSafeSignupIT {

    private static final String PASSWORD = "Owner-pass-2026!";
    private static final String OWNER = "owner@example.test";
    private static final String LOADER = "sentinel/captcha.js";
    private static final Pattern FORM_ACTION = Pattern.compile("<form[^>]*action=\"([^\"]+)\"");
    private static final Pattern CODE = Pattern.compile("\\b(\\d{8})\\b");
    private static final Duration MAIL_WAIT = Duration.ofSeconds(30);

    private final KeycloakServer server;
    private TestRealm realm;
    private MailServer mail;
    private URI base;

    EnumerationSafeSignupIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("signup").user("owner", PASSWORD).customize(r -> {
            r.setSmtpServer(mail.realmSmtp());
            r.setRegistrationAllowed(true);
            r.setResetPasswordAllowed(true);
            r.setEventsEnabled(true);
            // the new account's address is verified by the code: Keycloak must not ask again
            r.setVerifyEmail(true);
        }).create(server);
        // created, not bound: Keycloak's own registration flow is reported as not enumeration-safe
        JsonNode created = server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/sign-up/flows",
                Map.of()).expect(200).json();
        assertThat(created.get("registrationFlowCreated").asBoolean()).isTrue();
        assertThat(created.get("boundRegistrationFlowHasSignupStep").asBoolean()).isFalse();
        JsonNode flows = server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/sign-up/flows?bind=true",
                Map.of()).expect(200).json();
        assertThat(flows.get("registrationFlowCreated").asBoolean()).isFalse();
        assertThat(flows.get("bound").asBoolean()).isTrue();
        assertThat(flows.get("boundRegistrationFlowHasSignupStep").asBoolean()).isTrue();
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        base = server.baseUrl();
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private static InetAddress source(int network, int host) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 61, (byte) network, (byte) host});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The first sign-up page a browser gets from the client's "register" link. */
    private Page signupPage(Browser browser) {
        String query = LoginClient.form(Map.of("client_id", TestRealm.CLIENT_ID, "redirect_uri", TestRealm.REDIRECT_URI,
                "response_type", "code", "scope", "openid",
                "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));
        Page page = browser.follow(base, browser.get(base,
                "/realms/" + AdminApi.encPath(realm.name()) + "/protocol/openid-connect/registrations?" + query), null);
        assertThat(page.status()).as("%s", page.body()).isEqualTo(200);
        return page;
    }

    private Page post(Browser browser, Page page, Map<String, String> fields) {
        Matcher action = FORM_ACTION.matcher(page.body());
        assertThat(action.find()).as("a form on %s", page.body()).isTrue();
        return browser.follow(base, browser.post(base, action.group(1), fields), TestRealm.REDIRECT_URI);
    }

    private Page submitEmail(Browser browser, String email) {
        return post(browser, signupPage(browser), Map.of("email", email));
    }

    /** The page with what differs per login (session codes, tab ids) and the typed address taken out. */
    private static String normalized(String html, String email) {
        return html.replace(email, "EMAIL")
                .replaceAll("(session_code|execution|tab_id|client_data|client_id|kc_locale)=[^&\"]*", "$1=X")
                .replaceAll("checkAuthSession\\(\\s*\"[^\"]*\"", "checkAuthSession(X");
    }

    private static String code(MailServer.Mail m) {
        Matcher c = CODE.matcher(m.text());
        assertThat(c.find()).as("a code in %s", m.text()).isTrue();
        return c.group(1);
    }

    private JsonNode usersWithEmail(String email) {
        return server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&email=" + AdminApi.enc(email))
                .expect(200).json();
    }

    @Test
    @DisplayName("A registered and a new address get the same status, page and cookies; the owner gets a notice and no code works, the new address gets a code that opens the form with the address locked and verified")
    void sameAnswer() {
        Browser attacker = new Browser(source(1, 1), "Mozilla/5.0 attacker");
        Browser newcomer = new Browser(source(2, 1), "Mozilla/5.0 newcomer");
        String fresh = "newcomer@example.test";
        Page taken = submitEmail(attacker, OWNER);
        Page open = submitEmail(newcomer, fresh);

        assertThat(taken.status()).isEqualTo(200).isEqualTo(open.status());
        assertThat(taken.cookieNames()).isEqualTo(open.cookieNames());
        assertThat(normalized(taken.body(), OWNER)).isEqualTo(normalized(open.body(), fresh));
        assertThat(taken.body()).contains("We sent a message to").doesNotContain("already exists")
                .doesNotContain("already has an account");

        MailServer.Mail notice = mail.await(OWNER, 1, MAIL_WAIT).get(0);
        assertThat(notice.subject()).isEqualTo("Someone tried to create an account with your address");
        assertThat(notice.text()).contains("already has an account").containsPattern("/realms/" + realm.name() + "/account");
        assertThat(CODE.matcher(notice.text()).find()).as("no code in the owner's notice").isFalse();
        MailServer.Mail codeMail = mail.await(fresh, 1, MAIL_WAIT).get(0);
        assertThat(codeMail.subject()).isEqualTo("Your code to create an account");

        // whatever the attacker types on the code page, it is refused the same way as a wrong code for a new address
        Page guessed = post(attacker, taken, Map.of("code", code(codeMail)));
        Page wrong = post(newcomer, open, Map.of("code", "00000000"));
        assertThat(guessed.status()).isEqualTo(200).isEqualTo(wrong.status());
        assertThat(guessed.body()).contains("That code is not right");
        assertThat(normalized(guessed.body(), OWNER)).isEqualTo(normalized(wrong.body(), fresh));

        Page form = post(newcomer, wrong, Map.of("code", code(codeMail)));
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.body()).contains("kc-register-form").contains("value=\"" + fresh + "\"");

        // the verified mailbox cannot be used to probe other addresses: only "use the address you confirmed"
        Page probe = post(newcomer, form, RegistrationForm.fields("newcomer", OWNER));
        assertThat(probe.status()).isEqualTo(200);
        assertThat(probe.body()).contains("Please create the account with the address you confirmed")
                .doesNotContain("Email already exists");
        Page other = post(newcomer, probe, RegistrationForm.fields("newcomer", "someone-else@example.test"));
        assertThat(other.body()).contains("Please create the account with the address you confirmed");
        assertThat(usersWithEmail("someone-else@example.test")).isEmpty();

        Page created = post(newcomer, other, RegistrationForm.fields("newcomer", fresh));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(302);
        assertThat(created.location()).startsWith(TestRealm.REDIRECT_URI).contains("code=");
        JsonNode users = usersWithEmail(fresh);
        assertThat(users).hasSize(1);
        assertThat(users.get(0).get("emailVerified").asBoolean()).isTrue();
        assertThat(users.get(0).get("requiredActions")).isEmpty();
        assertThat(usersWithEmail(OWNER)).hasSize(1);
        // and the password chosen on the form works
        assertThat(realm.login("newcomer", RegistrationForm.PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("Throttling: one address gets 429 with Retry-After after its sign-up budget, another network is unaffected; an inbox gets at most 3 sign-up mails an hour, the page stays the same")
    void throttled() {
        InetAddress flooder = source(3, 7);
        int accepted = 0;
        Page refused = null;
        for (int i = 0; i < 40 && refused == null; i++) {
            Browser b = new Browser(flooder, "Mozilla/5.0 flood");
            Page page = signupPage(b);
            Matcher action = FORM_ACTION.matcher(page.body());
            assertThat(action.find()).isTrue();
            Page answer = b.post(base, action.group(1), Map.of("email", OWNER));
            if (answer.status() == 429) {
                refused = answer;
            } else {
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.body()).contains("We sent a message to");
                accepted++;
            }
        }
        assertThat(refused).as("429 within 40 requests").isNotNull();
        assertThat(accepted).as("the budget of 10 per address is honoured").isGreaterThanOrEqualTo(10);
        assertThat(refused.retryAfter()).isEqualTo("900");
        assertThat(refused.body()).contains("Too many sign-up attempts");

        // another network still signs up
        assertThat(submitEmail(new Browser(source(4, 1), "Mozilla/5.0 other"), "neighbour@example.test").status())
                .isEqualTo(200);
        // the owner's inbox got 3 notices, not one per request (checked once every queued mail is out)
        mail.await(OWNER, 3, MAIL_WAIT);
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to(OWNER)).hasSize(3);
    }

    @Test
    @DisplayName("A forged X-Forwarded-For does not move a flooder to a fresh budget")
    void forgedHeaderDoesNotResetBudget() {
        InetAddress flooder = source(5, 9);
        Page refused = null;
        for (int i = 0; i < 40 && refused == null; i++) {
            Browser b = new Browser(flooder, "Mozilla/5.0 forger");
            Page page = signupPage(b);
            Matcher action = FORM_ACTION.matcher(page.body());
            assertThat(action.find()).isTrue();
            // a browser cannot add headers to a form post; a script can: Keycloak runs without --proxy-headers here
            Page answer = b.postWithHeader(base, action.group(1), Map.of("email", "forger" + i + "@example.test"),
                    "X-Forwarded-For", "10.9." + i + ".1");
            if (answer.status() == 429) {
                refused = answer;
            }
        }
        assertThat(refused).as("429 within 40 requests despite a new X-Forwarded-For on each").isNotNull();
    }

    @Test
    @DisplayName("During an attack (risky CAPTCHA) the email page asks for the CAPTCHA; without an answer nothing is looked up or mailed, with one the code page follows")
    void captchaDuringAttack() {
        SentinelFlows.captchaMode(server.admin(), realm.name(), "risky");
        assertThat(signupPage(new Browser(source(6, 1), "Mozilla/5.0 calm")).body()).doesNotContain(LOADER);
        io.keycloaksentinel.it.harness.Attacks.underAttack(server, realm.name());

        Browser bot = new Browser(source(6, 2), "Mozilla/5.0 bot");
        Page page = signupPage(bot);
        assertThat(page.body()).contains(LOADER);
        Page refused = post(bot, page, Map.of("email", OWNER));
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.body()).contains("Please complete the security check").doesNotContain("We sent a message to");

        Browser person = new Browser(source(6, 3), "Mozilla/5.0 person");
        Page answered = post(person, signupPage(person),
                Map.of("email", "person@example.test", "altcha", ProofOfWork.solvedAnswer(server, realm.name(), "registration")));
        assertThat(answered.body()).contains("We sent a message to");
        assertThat(mail.await("person@example.test", 1, MAIL_WAIT)).hasSize(1);
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to(OWNER)).isEmpty();
    }

    @Test
    @DisplayName("Bad input: malformed and oversize addresses get a clear message and no mail; a code from another login and five wrong codes do not verify; nothing is created")
    void badInput() {
        Browser b = new Browser(source(7, 1), "Mozilla/5.0 typo");
        Page malformed = submitEmail(b, "not-an-address");
        assertThat(malformed.status()).isEqualTo(200);
        assertThat(malformed.body()).contains("Invalid email address").doesNotContain("We sent a message to");
        Page oversize = submitEmail(b, "a".repeat(300) + "@example.test");
        assertThat(oversize.body()).contains("Invalid email address");
        Page empty = submitEmail(b, "");
        assertThat(empty.body()).contains("Invalid email address");

        // a code of one login does not work in another login for the same address
        String address = "twice@example.test";
        Browser first = new Browser(source(7, 2), "Mozilla/5.0 first");
        Browser second = new Browser(source(7, 3), "Mozilla/5.0 second");
        submitEmail(first, address);
        String firstCode = code(mail.await(address, 1, MAIL_WAIT).get(0));
        Page secondPage = submitEmail(second, address);
        mail.await(address, 2, MAIL_WAIT);
        Page replayed = post(second, secondPage, Map.of("code", firstCode));
        assertThat(replayed.body()).contains("That code is not right");

        // five wrong codes (the replayed one was the first): back to the address
        Page page = replayed;
        for (int i = 0; i < 3; i++) {
            page = post(second, page, Map.of("code", "1234567" + i));
            assertThat(page.body()).contains("That code is not right");
        }
        Page reset = post(second, page, Map.of("code", "99999999"));
        assertThat(reset.body()).contains("Too many wrong codes").contains("name=\"email\"");
        assertThat(usersWithEmail(address)).isEmpty();
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to("not-an-address")).isEmpty();
        assertThat(mail.to("a".repeat(300) + "@example.test")).isEmpty();
        assertThat(mail.to(address)).hasSize(2);
    }

    @Test
    @DisplayName("Email as username: a registered address gets the same page; the verified address becomes the username and cannot be swapped for another")
    void emailAsUsername() {
        server.admin().put("/admin/realms/" + realm.name(), Map.of("registrationEmailAsUsername", true)).expect(204);
        // a part of a registered address is still a new one (the lookup is exact)
        String fresh = "wner@example.test";
        Browser attacker = new Browser(source(8, 1), "Mozilla/5.0 attacker");
        Browser person = new Browser(source(8, 2), "Mozilla/5.0 person");
        Page taken = submitEmail(attacker, OWNER);
        Page open = submitEmail(person, fresh);
        assertThat(taken.status()).isEqualTo(open.status());
        assertThat(normalized(taken.body(), OWNER)).isEqualTo(normalized(open.body(), fresh));

        Page form = post(person, open, Map.of("code", code(mail.await(fresh, 1, MAIL_WAIT).get(0))));
        assertThat(form.body()).contains("value=\"" + fresh + "\"").doesNotContain("name=\"username\"");
        Map<String, String> swapped = RegistrationForm.fields(null, OWNER);
        Page probe = post(person, form, swapped);
        assertThat(probe.body()).contains("Please create the account with the address you confirmed")
                .doesNotContain("already exists");
        Map<String, String> own = RegistrationForm.fields(null, fresh);
        Page created = post(person, probe, own);
        assertThat(created.status()).as("%s", created.body()).isEqualTo(302);
        JsonNode users = usersWithEmail(fresh);
        assertThat(users).hasSize(1);
        assertThat(users.get(0).get("username").asText()).isEqualTo(fresh);
        assertThat(users.get(0).get("emailVerified").asBoolean()).isTrue();
    }

    @Test
    @DisplayName("Password reset: a registered and an unknown address get the same status and page; the owner's mail arrives after the answer and its link leads to a new password")
    void resetSameAnswer() {
        // the ready-made reset flow (the MFA one: with no policy it asks nothing more) sends through the queue
        server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200);
        assertThat(server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/sign-up/flows", Map.of())
                .expect(200).json().get("boundResetFlowHasQueuedEmail").asBoolean()).isTrue();
        LoginClient known = new LoginClient(base);
        LoginClient unknown = new LoginClient(base);
        String pageA = resetAnswer(known, OWNER);
        String pageB = resetAnswer(unknown, "nobody-here@example.test");
        assertThat(pageA).contains("You should receive an email shortly");
        assertThat(pageA).isEqualTo(pageB);

        List<MailServer.Mail> got = mail.await(OWNER, 1, MAIL_WAIT);
        String link = got.get(0).link("/login-actions/action-token");
        LoginClient.Result followed = known.open(link);
        assertThat(followed.page()).contains("password-new");
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to("nobody-here@example.test")).isEmpty();
    }

    /** Status and page (after Keycloak's redirects) of a reset request, normalized. */
    private String resetAnswer(LoginClient client, String username) {
        LoginClient.Result r = client.submitLinkedFormAndFollow(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/reset-credentials", Map.of("username", username));
        return r.status() + " " + normalized(r.page(), username);
    }
}
