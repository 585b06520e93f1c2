package io.keycloaksentinel.it.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.Attacks;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
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
 * {@code stepUpHigh: email-link} through the real pages of a real server: under attack, a right
 * password from an unknown browser gets the wrong password's page, and its owner a link that
 * continues the sign-in in that browser only, once.
 */
@KeycloakIT
@DisplayName("The email-link step-up: a right password teaches the attacker nothing")
class EmailLinkStepUpIT {

    private static final String PASSWORD = "Link-pass-2026!";
    private static final int TIMED_PAIRS = 6;

    private final KeycloakServer server;
    private TestRealm realm;
    private MailServer mail;

    EmailLinkStepUpIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        TestRealm.Builder builder = TestRealm.builder("emaillink").user("eve", PASSWORD).user("finn", PASSWORD)
                .user("gil", PASSWORD);
        for (int i = 0; i < TIMED_PAIRS; i++) {
            builder.user("tim" + i, PASSWORD);
        }
        realm = builder.customize(r -> r.setSmtpServer(mail.realmSmtp())).create(server);
        String base = "/admin/realms/" + realm.name() + "/sentinel-admin";
        server.admin().post(base + "/mfa/flows?bind=true", Map.of()).expect(200);
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never"); // the pages alone; CaptchaIT tests the CAPTCHA
        assertThat(server.admin().put(base + "/mfa", Map.of("stepUpHigh", "email-link")).expect(200).json()
                .get("stepUpHigh").asText()).isEqualTo("email-link");
        Attacks.underAttack(server, realm.name());
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private LoginClient.Result login(LoginClient client, String username, String password) {
        return client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, password);
    }

    /** The page with what changes per login (session codes, tab ids, state, nonces) replaced. */
    private static String normalized(String page) {
        return page.replaceAll("(session_code|tab_id|execution|client_data|state|nonce|code_challenge)=[^&\"]*", "$1=X")
                .replaceAll("[A-Za-z0-9_+/=-]{22,}", "X");
    }

    private static String link(MailServer.Mail m) {
        Matcher l = Pattern.compile("(https?://\\S+/sentinel-link/continue\\?\\S+)").matcher(m.text());
        assertThat(l.find()).as("a link in:\n%s", m.text()).isTrue();
        return l.group(1);
    }

    @Test
    @DisplayName("Under attack, from an unknown browser: the right password gets the page of a wrong one (normalized), the owner a mail with the link; timings printed")
    void samePage() {
        LoginClient.Result wrong = login(new LoginClient(server.baseUrl()), "eve", "not-her-password");
        LoginClient.Result right = login(new LoginClient(server.baseUrl()), "eve", PASSWORD);
        assertThat(right.loggedIn()).isFalse();
        assertThat(right.status()).isEqualTo(wrong.status());
        assertThat(right.formError()).contains("Invalid username or password.");
        assertThat(normalized(right.page())).isEqualTo(normalized(wrong.page()));
        MailServer.Mail sent = mail.await("eve@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(sent.subject()).contains("Continue your sign-in");
        assertThat(link(sent)).contains("tab_id=");

        // timings: right and wrong passwords alternate, each pair on a fresh account (printed; no assertion on time)
        List<Long> rightMillis = new ArrayList<>();
        List<Long> wrongMillis = new ArrayList<>();
        for (int i = 0; i < TIMED_PAIRS; i++) {
            long t0 = System.nanoTime();
            assertThat(login(new LoginClient(server.baseUrl()), "tim" + i, "wrong-" + i).loggedIn()).isFalse();
            long t1 = System.nanoTime();
            assertThat(login(new LoginClient(server.baseUrl()), "tim" + i, PASSWORD).loggedIn()).isFalse();
            long t2 = System.nanoTime();
            wrongMillis.add((t1 - t0) / 1_000_000);
            rightMillis.add((t2 - t1) / 1_000_000);
        }
        System.out.printf("[email-link] whole login (page + post), ms: wrong passwords %s, right passwords %s%n",
                wrongMillis, rightMillis);
    }

    @Test
    @DisplayName("The link continues the sign-in only in the browser that asked, and only once")
    void linkBoundAndSingleUse() {
        LoginClient browser = new LoginClient(server.baseUrl());
        assertThat(login(browser, "finn", PASSWORD).loggedIn()).isFalse();
        String link = link(mail.await("finn@example.test", 1, Duration.ofSeconds(30)).get(0));

        // malformed links: the same error page, nothing used up
        String base = link.substring(0, link.indexOf('?'));
        for (String bad : List.of(base, base + "?key=x", base + "?client_id=" + "c".repeat(300) + "&tab_id=t&key=k",
                link.replace("tab_id=", "tab_id=zz"))) {
            LoginClient.Result r = browser.open(bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.page()).contains("cannot continue a sign-in");
        }
        // control characters: Keycloak itself refuses the query before Sentinel sees it
        assertThat(browser.open(link.replaceAll("key=[^&]+", "key=%00%0A")).status()).isEqualTo(400);

        LoginClient other = new LoginClient(server.baseUrl());
        LoginClient.Result elsewhere = other.open(link);
        assertThat(elsewhere.loggedIn()).as("another browser").isFalse();
        assertThat(elsewhere.status()).isEqualTo(400);
        assertThat(elsewhere.page()).contains("opened in another browser");

        LoginClient.Result in = browser.open(link);
        assertThat(in.loggedIn()).as("the browser that asked: %s", in).isTrue();

        LoginClient.Result again = browser.open(link);
        assertThat(again.loggedIn()).as("a second use").isFalse();
        assertThat(again.status()).isEqualTo(400);

        // a wrong key in the right browser: refused, and the real link still works after it (another user: finn's
        // browser and network are known now, so finn is one risk level lower and asked nothing)
        LoginClient second = new LoginClient(server.baseUrl());
        assertThat(login(second, "gil", PASSWORD).loggedIn()).isFalse();
        String next = link(mail.await("gil@example.test", 1, Duration.ofSeconds(30)).get(0));
        String forged = next.replaceAll("key=[^&]+", "key=" + "A".repeat(43));
        assertThat(second.open(forged).status()).isEqualTo(400);
        assertThat(second.open(next).loggedIn()).isTrue();
    }
}
