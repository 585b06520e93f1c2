package io.keycloaksentinel.it.signup;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.CodeFlow;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.MailQueue;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, item 1: "Forgot password" as a mail cannon. A bot loops reset requests for one
 * victim, from many networks (each its own /24) and from one address; Sentinel's ready reset flow
 * (its Choose User and Send Reset Email steps), SMTP to a real GreenMail server.
 */
@KeycloakIT
@DisplayName("Reset floods: a victim gets a few reset mails an hour, a source a few requests, whatever the names")
class ResetFloodIT {

    private static final String PASSWORD = "Victim-pass-2026!";
    private static final String VICTIM = "victim@example.test";
    private static final String UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0";
    private static final Pattern LINK = Pattern.compile("href=\"([^\"]*/login-actions/reset-credentials[^\"]*)\"");
    private static final Duration MAIL_WAIT = Duration.ofSeconds(30);

    private final KeycloakServer server;
    private TestRealm realm;
    private MailServer mail;

    ResetFloodIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("reset-flood").user("victim", PASSWORD).user("unproven", PASSWORD).customize(r -> {
            r.setSmtpServer(mail.realmSmtp());
            r.setResetPasswordAllowed(true);
            // an address set without proof (what an intruder sets): never verified
            r.getUsers().stream().filter(u -> "unproven".equals(u.getUsername())).forEach(u -> u.setEmailVerified(false));
        }).create(server);
        // the ready flows: Sentinel's Choose User and Send Reset Email in the reset flow
        server.admin().post("/admin/realms/" + realm.name() + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200);
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/captcha", Map.of("mode", "never")).expect(200);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    @Test
    @DisplayName("Twelve resets for one victim from twelve networks: every answer says sent, the victim gets 3 mails")
    void oneVictimManyNetworks() {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Browser.Page page = reset(new Browser(SourceBoundLogin.loopback(90 + i, 0, 1), UA), "victim");
            assertThat(page.status()).as("request %d", i).isEqualTo(200);
            answers.add(normalized(page.body()));
        }
        assertThat(answers).allMatch(a -> a.contains("You should receive an email shortly"));
        assertThat(answers.stream().distinct()).as("one answer, mailed or not").hasSize(1);
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.await(VICTIM, 3, MAIL_WAIT)).hasSize(3);
        assertThat(mail.to(VICTIM)).as("no more than the hourly budget").hasSize(3);
    }

    @Test
    @DisplayName("One address: its 11th reset request in 15 minutes gets 429 with Retry-After, whether the name exists or not")
    void oneAddressLimited() {
        InetAddress first = SourceBoundLogin.loopback(110, 0, 1);
        for (int i = 0; i < 10; i++) {
            Browser.Page page = reset(new Browser(first, UA), i % 2 == 0 ? "victim" : "nobody" + i + "@example.test");
            assertThat(page.status()).as("request %d", i).isEqualTo(200);
        }
        Browser.Page registered = reset(new Browser(first, UA), "victim");
        Browser.Page unknown = reset(new Browser(first, UA), "someone-else@example.test");
        for (Browser.Page refused : List.of(registered, unknown)) {
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.retryAfter()).isEqualTo("900");
            assertThat(refused.body()).contains("Too many password-reset requests from your network");
        }
        // another network is not held back
        assertThat(reset(new Browser(SourceBoundLogin.loopback(111, 0, 1), UA), "victim").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("An address nobody verified gets no reset link; the page is the same as for a verified one")
    void unverifiedAddressGetsNothing() {
        Browser.Page verified = reset(new Browser(SourceBoundLogin.loopback(120, 0, 1), UA), "victim");
        Browser.Page unverified = reset(new Browser(SourceBoundLogin.loopback(121, 0, 1), UA), "unproven");
        assertThat(unverified.status()).isEqualTo(verified.status()).isEqualTo(200);
        assertThat(normalized(unverified.body()).replace("unproven", "NAME"))
                .isEqualTo(normalized(verified.body()).replace("victim", "NAME"));
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.await(VICTIM, 1, MAIL_WAIT)).hasSize(1);
        assertThat(mail.to("unproven@example.test")).isEmpty();
    }

    /** Opens the login page, follows its "Forgot password" link and posts {@code username}; the settled page. */
    private Browser.Page reset(Browser browser, String username) {
        Browser.Page login = browser.get(server.baseUrl(), CodeFlow.authPath(realm.name()));
        assertThat(login.status()).isEqualTo(200);
        Matcher link = LINK.matcher(login.body());
        assertThat(link.find()).as("a reset link on the login page").isTrue();
        Browser.Page form = browser.get(server.baseUrl(), link.group(1).replace("&amp;", "&"));
        assertThat(form.status()).isEqualTo(200);
        String action = CodeFlow.formAction(form.body());
        Browser.Page posted = browser.post(server.baseUrl(), action, Map.of("username", username));
        return browser.follow(server.baseUrl(), posted, null);
    }

    private static String normalized(String html) {
        return html.replaceAll("(session_code|execution|tab_id|client_data|client_id|kc_locale)=[^&\"]*", "$1=X")
                .replaceAll("checkAuthSession\\(\\s*\"[^\"]*\"", "checkAuthSession(X");
    }
}
