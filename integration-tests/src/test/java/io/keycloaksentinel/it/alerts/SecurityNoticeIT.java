package io.keycloaksentinel.it.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailQueue;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("Security notices (second factor, email, password), German mails and forgetting a device, through a real SMTP server")
class SecurityNoticeIT {

    private static final String PASSWORD = "Notice-own-pass-42";
    private static final String NEW_PASSWORD = "Notice-new-pass-43";
    private static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static final String FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private static final Duration MAIL_WAIT = Duration.ofSeconds(30);
    private static final String MFA_ADDED = "A second factor was added";
    private static final String PASSWORD_CHANGED = "Your password for";

    private final KeycloakServer server;
    private MailServer mail;
    private TestRealm realm;
    private String alerts;

    SecurityNoticeIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("notices").user("alice", PASSWORD).user("bob", PASSWORD).user("erin", PASSWORD)
                .user("dora", PASSWORD).user("frank", PASSWORD).customize(r -> {
                    r.setSmtpServer(mail.realmSmtp());
                    r.setEventsEnabled(true);
                    r.setAdminEventsEnabled(true);
                }).create(server);
        alerts = "/admin/realms/" + realm.name() + "/sentinel-admin/alerts";
        server.admin().put(alerts, Map.of("newDeviceAlerts", false, "notifyMfaChange", true, "notifyEmailChange", true,
                "notifyPasswordChange", true)).expect(200);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private String users() {
        return "/admin/realms/" + realm.name() + "/users/";
    }

    private void requireAction(String username, String action) {
        server.admin().put(users() + server.admin().userId(realm.name(), username), Map.of("requiredActions", List.of(action)))
                .expect(204);
    }

    private LoginClient.Result login(LoginClient client, String username, String password) {
        return client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, password);
    }

    /** The user sets up an authenticator app through Keycloak's CONFIGURE_TOTP required action, as a browser would. */
    private void configureTotp(String username, String password) {
        requireAction(username, "CONFIGURE_TOTP");
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = login(client, username, password);
        assertThat(page.loggedIn()).as("stopped at the authenticator setup").isFalse();
        String secret = hiddenInput(page.page(), "totpSecret");
        LoginClient.Result done = client.submit(page.page(), Map.of("totp", totp(secret), "totpSecret", secret,
                "userLabel", "phone"));
        assertThat(done.loggedIn()).as("after the authenticator setup: %s", done).isTrue();
    }

    /** The user sets a new password through Keycloak's UPDATE_PASSWORD required action. */
    private void updatePassword(String username, String password, String newPassword) {
        requireAction(username, "UPDATE_PASSWORD");
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = login(client, username, password);
        assertThat(page.page()).as("the update-password page").contains("password-new");
        LoginClient.Result done = client.submit(page.page(), Map.of("password-new", newPassword, "password-confirm", newPassword));
        assertThat(done.loggedIn()).as("after the password update: %s", done).isTrue();
    }

    /** Waits (bounded) for a mail to {@code address} whose subject starts with {@code subject}; on timeout, says what Keycloak reported. */
    private MailServer.Mail awaitMail(String address, String subject) {
        try {
            return Poll.until("a mail '" + subject + "...' to " + address, MAIL_WAIT,
                    () -> mail.to(address).stream().filter(m -> m.subject().startsWith(subject)).findFirst().orElse(null));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nMails received: " + describeMails() + "\nUser events of the realm: "
                    + events(), e);
        }
    }

    private String describeMails() {
        List<String> out = new ArrayList<>();
        for (String user : List.of("alice", "bob", "erin", "dora", "frank")) {
            mail.to(user + "@example.test").forEach(m -> out.add(m.to() + ": " + m.subject()));
        }
        return out.toString();
    }

    /** The realm's user events, newest first: type, user and details. */
    private String events() {
        JsonNode events = server.admin().get("/admin/realms/" + realm.name() + "/events?max=50").expect(200).json();
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            out.add(e.path("type").asText() + (e.has("details") ? e.get("details").toString() : "{}"));
        }
        return String.join("\n  ", out);
    }

    private static String hiddenInput(String page, String name) {
        Matcher input = Pattern.compile("<input[^>]*name=\"" + Pattern.quote(name) + "\"[^>]*>").matcher(page);
        assertThat(input.find()).as("an input %s on the page:\n%s", name, page).isTrue();
        Matcher value = Pattern.compile("value=\"([^\"]*)\"").matcher(input.group());
        assertThat(value.find()).as("a value in %s", input.group()).isTrue();
        return value.group(1).replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
    }

    /** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) over the secret's UTF-8 bytes (Keycloak's default, non-base32 encoding). */
    private static String totp(String secret) {
        try {
            long step = System.currentTimeMillis() / 1000 / 30;
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            byte[] h = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            int o = h[h.length - 1] & 0xf;
            int bin = ((h[o] & 0x7f) << 24) | ((h[o + 1] & 0xff) << 16) | ((h[o + 2] & 0xff) << 8) | (h[o + 3] & 0xff);
            return String.format("%06d", bin % 1_000_000);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private Outcome login(Browser browser, String username) {
        return browser.login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, PASSWORD)
                .outcome();
    }

    @Test
    @DisplayName("Setting up an authenticator app mails the user one 'second factor added' notice")
    void mfaAdded() {
        configureTotp("alice", PASSWORD);
        MailServer.Mail notice = awaitMail("alice@example.test", MFA_ADDED);
        assertThat(notice.subject()).isEqualTo("A second factor was added to your " + realm.name() + " account");
        assertThat(notice.text()).contains("A second factor (authenticator app or security key) was added to your account")
                .contains("If this was not you");
        JsonNode credentials = server.admin().get(users() + server.admin().userId(realm.name(), "alice") + "/credentials")
                .expect(200).json();
        assertThat(credentials.toString()).as("the authenticator is stored").contains("\"type\":\"otp\"");

        // a sync point: another user's notice, queued after alice's, has arrived, and nothing waits to be sent
        updatePassword("bob", PASSWORD, NEW_PASSWORD);
        awaitMail("bob@example.test", PASSWORD_CHANGED);
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to("alice@example.test")).as("one notice, however many events Keycloak reports for the change")
                .extracting(MailServer.Mail::subject).containsExactly(notice.subject());
    }

    @Test
    @DisplayName("Changing the email address on the update-profile page notifies the old and the new address")
    void emailChanged() {
        requireAction("erin", "UPDATE_PROFILE");
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = login(client, "erin", PASSWORD);
        assertThat(page.page()).as("the update-profile page").contains("name=\"email\"");
        LoginClient.Result done = client.submit(page.page(), Map.of("username", "erin", "email", "erin.new@example.test",
                "firstName", "Erin", "lastName", "Test"));
        assertThat(done.loggedIn()).as("after the profile update: %s\nevents: %s", done, events()).isTrue();
        JsonNode user = server.admin().get(users() + server.admin().userId(realm.name(), "erin")).expect(200).json();
        assertThat(user.get("email").asText()).as("the address changed").isEqualTo("erin.new@example.test");

        String subject = "The email address of your " + realm.name() + " account was changed";
        MailServer.Mail toNew = awaitMail("erin.new@example.test", subject);
        MailServer.Mail toOld = awaitMail("erin@example.test", subject);
        assertThat(toNew.text()).contains("The email address of your account was changed");
        assertThat(toOld.text()).contains("The email address of your account was changed");
    }

    @Test
    @DisplayName("A notice turned off sends nothing: a password change with notifyPasswordChange off mails nothing, the next (MFA) notice arrives alone")
    void settingOffSendsNothing() {
        server.admin().put(alerts, Map.of("notifyPasswordChange", false)).expect(200);
        assertThat(server.admin().get(alerts).expect(200).json().get("notifyPasswordChange").asBoolean()).isFalse();
        updatePassword("alice", PASSWORD, NEW_PASSWORD);

        // a sync point: the MFA notice, queued after anything the password change could have queued, has arrived,
        // and nothing waits to be sent
        configureTotp("alice", NEW_PASSWORD);
        awaitMail("alice@example.test", MFA_ADDED);
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to("alice@example.test")).as("only the MFA notice").extracting(MailServer.Mail::subject)
                .containsExactly("A second factor was added to your " + realm.name() + " account");
    }

    @Test
    @DisplayName("A user whose locale is German gets the new-device alert in German")
    void germanAlert() {
        server.admin().put("/admin/realms/" + realm.name(), Map.of("internationalizationEnabled", true,
                "supportedLocales", List.of("en", "de"), "defaultLocale", "en")).expect(204);
        String dora = server.admin().userId(realm.name(), "dora");
        ObjectNode user = (ObjectNode) server.admin().get(users() + dora).expect(200).json();
        ObjectNode attributes = user.has("attributes") ? (ObjectNode) user.get("attributes") : user.putObject("attributes");
        attributes.putArray("locale").add("de");
        server.admin().put(users() + dora, user).expect(204);
        assertThat(server.admin().get(users() + dora).expect(200).json().at("/attributes/locale/0").asText())
                .as("dora's locale").isEqualTo("de");
        server.admin().put(alerts, Map.of("newDeviceAlerts", true)).expect(200);

        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "dora")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(new Browser(address("127.0.81.8"), FIREFOX_LINUX), "dora")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = awaitMail("dora@example.test", "Neue Anmeldung");
        assertThat(alert.subject()).isEqualTo("Neue Anmeldung bei " + realm.name());
        assertThat(alert.text()).contains("Das war ich nicht").contains("127.0.81.8").doesNotContain("This was not me");
    }

    @Test
    @DisplayName("An admin forgets a device: 204, one device left, an admin event, its next sign-in with the same cookie alerts (also a device that had alerted before); an unknown device is 404")
    void forgetDevice() {
        server.admin().put(alerts, Map.of("newDeviceAlerts", true)).expect(200);
        String frank = server.admin().userId(realm.name(), "frank");
        String devices = "/admin/realms/" + realm.name() + "/sentinel-admin/users/" + frank + "/devices";
        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        Browser laptop = new Browser(address("127.0.82.8"), FIREFOX_LINUX);
        assertThat(login(home, "frank")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(laptop, "frank")).isEqualTo(Outcome.LOGGED_IN);
        awaitMail("frank@example.test", "New sign-in to");
        String homeCookie = home.cookie("SENTINEL_DEVICE");
        assertThat(homeCookie).isNotNull();
        JsonNode two = server.admin().get(devices).expect(200).json().get("devices");
        assertThat(two).hasSize(2);
        String homeId = null;
        for (JsonNode d : two) {
            if (d.get("network").asText().equals("127.0.0.0/24")) {
                homeId = d.get("id").asText();
            }
        }
        assertThat(homeId).as("the home browser among %s", two).isNotNull();
        String forgotten = homeId;

        assertThat(server.admin().delete(devices + "/" + forgotten).status()).isEqualTo(204);
        JsonNode one = server.admin().get(devices).expect(200).json().get("devices");
        assertThat(one).hasSize(1);
        assertThat(one.get(0).get("network").asText()).isEqualTo("127.0.82.0/24");
        assertThat(server.admin().delete(devices + "/AAAAAAAAAAAAAAAAAAAAAA").status()).as("an unknown device").isEqualTo(404);
        assertThat(server.admin().delete(devices + "/" + forgotten).status()).as("the same device again").isEqualTo(404);

        JsonNode adminEvents = Poll.until("the admin event of the delete", Duration.ofSeconds(10), () -> {
            JsonNode e = server.admin().get("/admin/realms/" + realm.name() + "/admin-events?operationTypes=DELETE&max=20")
                    .expect(200).json();
            return e.toString().contains(forgotten) ? e : null;
        });
        assertThat(adminEvents).hasSize(1);
        assertThat(adminEvents.get(0).get("resourcePath").asText()).contains(frank).contains(forgotten);

        // the same browser (same cookie) signs in again: a new device as far as frank's list goes
        assertThat(login(home, "frank")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(home.cookie("SENTINEL_DEVICE")).as("the same device cookie").isEqualTo(homeCookie);
        List<MailServer.Mail> mails = Poll.until("a second alert", MAIL_WAIT, () -> {
            List<MailServer.Mail> got = mail.to("frank@example.test");
            return got.size() >= 2 ? got : null;
        });
        assertThat(mails).extracting(MailServer.Mail::subject).containsOnly("New sign-in to " + realm.name());
        assertThat(mails.get(0).text()).contains("127.0.82.8");
        assertThat(mails.get(1).text()).contains("127.0.0.1").contains("Chrome").contains("Windows");
        assertThat(server.admin().get(devices).expect(200).json().get("devices")).hasSize(2);

        // a device that already alerted once alerts again after it was forgotten
        String laptopId = null;
        for (JsonNode d : server.admin().get(devices).expect(200).json().get("devices")) {
            if (d.get("network").asText().equals("127.0.82.0/24")) {
                laptopId = d.get("id").asText();
            }
        }
        assertThat(server.admin().delete(devices + "/" + laptopId).status()).isEqualTo(204);
        assertThat(login(laptop, "frank")).isEqualTo(Outcome.LOGGED_IN);
        List<MailServer.Mail> three = Poll.until("a third alert", MAIL_WAIT, () -> {
            List<MailServer.Mail> got = mail.to("frank@example.test");
            return got.size() >= 3 ? got : null;
        });
        assertThat(three.stream().filter(m -> m.text().contains("127.0.82.8")).count()).isEqualTo(2);
    }

    @Test
    @DisplayName("Security notices are capped per user per hour: six password changes in a row mail five notices, the sixth is counted as rate_limited; every change succeeds")
    void noticeRateLimit() {
        String scrapeLabel = "kind=\"password_changed\"";
        double limitedBefore = io.keycloaksentinel.it.harness.Metrics.value(io.keycloaksentinel.it.harness.Metrics.scrape(server),
                "sentinel_mail_total", scrapeLabel, "outcome=\"rate_limited\"").orElse(0);
        String current = PASSWORD;
        for (int i = 0; i < 6; i++) {
            String next = "Notice-turn-" + i + "-pass-4" + i;
            updatePassword("alice", current, next);
            current = next;
        }
        // each change answered after its notice was queued; an empty queue means every queued notice was handed over
        MailQueue.awaitDrained(server, MAIL_WAIT);
        assertThat(mail.to("alice@example.test")).as("notices to alice").extracting(MailServer.Mail::subject)
                .hasSize(5).allMatch(subject -> subject.startsWith(PASSWORD_CHANGED));
        double limited = io.keycloaksentinel.it.harness.Metrics.value(io.keycloaksentinel.it.harness.Metrics.scrape(server),
                "sentinel_mail_total", scrapeLabel, "outcome=\"rate_limited\"").orElse(0);
        assertThat(limited - limitedBefore).as("the suppressed notice, counted").isEqualTo(1.0);
        assertThat(login(new LoginClient(server.baseUrl()), "alice", current).loggedIn()).as("the last password works").isTrue();

        // another user's notices are not affected by alice's limit
        updatePassword("bob", PASSWORD, NEW_PASSWORD);
        awaitMail("bob@example.test", PASSWORD_CHANGED);
    }
}
