package io.keycloaksentinel.it.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.Ports;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Outcome;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("New-device alerts, 'this wasn't me', and security notices, through a real SMTP server")
class DeviceAlertIT {

    private static final String PASSWORD = "Alice-own-pass-42";
    private static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static final String FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private static final String ALICE = "alice@example.test";

    private final KeycloakServer server;
    private MailServer mail;
    private TestRealm realm;
    private String alerts;

    DeviceAlertIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("alerts").user("alice", PASSWORD).user("nomail", PASSWORD).customize(r -> {
            r.setSmtpServer(mail.realmSmtp());
            r.setEventsEnabled(true);
            r.getUsers().stream().filter(u -> u.getUsername().equals("nomail")).forEach(u -> u.setEmail(null));
        }).create(server);
        alerts = "/admin/realms/" + realm.name() + "/sentinel-admin/alerts";
        // a realm where email is optional (Keycloak's user profile requires it by default)
        String profile = "/admin/realms/" + realm.name() + "/users/profile";
        com.fasterxml.jackson.databind.node.ObjectNode config =
                (com.fasterxml.jackson.databind.node.ObjectNode) server.admin().get(profile).expect(200).json();
        for (JsonNode attribute : config.get("attributes")) {
            if ("email".equals(attribute.path("name").asText())) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) attribute).remove("required");
            }
        }
        server.admin().put(profile, config).expect(200);
        server.admin().put(alerts, Map.of("newDeviceAlerts", true, "notifyPasswordChange", true)).expect(200);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private Outcome login(Browser browser, String username) {
        return browser.login(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, PASSWORD).outcome();
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private String userId(String username) {
        return server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&username=" + username).expect(200)
                .json().get(0).get("id").asText();
    }

    private JsonNode devices(String username) {
        return server.admin().get("/admin/realms/" + realm.name() + "/sentinel-admin/users/" + userId(username) + "/devices")
                .expect(200).json().get("devices");
    }

    private double mails(String outcome) {
        return Metrics.value(Metrics.scrape(server), "sentinel_mail_total", "kind=\"new_device\"", "outcome=\"" + outcome + "\"")
                .orElse(0);
    }

    @Test
    @DisplayName("The first device and the same browser again send nothing; another browser from another address sends one alert with its details")
    void newDeviceAlert() {
        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(home.cookie("SENTINEL_DEVICE")).as("the device cookie").isNotNull();
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);

        Browser other = new Browser(address("127.0.55.5"), FIREFOX_LINUX);
        assertThat(login(other, "alice")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0);
        assertThat(alert.subject()).isEqualTo("New sign-in to " + realm.name());
        assertThat(alert.text()).contains("Firefox").contains("Linux").contains("127.0.55.5").contains(TestRealm.CLIENT_ID)
                .contains("UTC").contains("This was not me").doesNotContain(PASSWORD);
        assertThat(alert.link("/login-actions/action-token")).isNotNull();

        assertThat(login(other, "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        io.keycloaksentinel.it.harness.MailQueue.awaitDrained(server, Duration.ofSeconds(30));
        assertThat(mail.to(ALICE)).as("the first device and known devices mail nothing").hasSize(1);
        assertThat(devices("alice")).hasSize(2);
        assertThat(devices("alice").toString()).doesNotContain(home.cookie("SENTINEL_DEVICE"));
    }

    @Test
    @DisplayName("'This wasn't me' ends every session (a refresh token stops working), locks the password out, forgets the device, records an event; the link works once")
    void notMe() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        LoginClient.Result stolen = intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        assertThat(stolen.loggedIn()).isTrue();
        String link = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0).link("/login-actions/action-token");

        LoginClient owner = new LoginClient(server.baseUrl());
        LoginClient.Result done = owner.open(link);
        assertThat(done.page()).contains("every session of your account has been signed out");
        AdminApi.Response refresh = LoginClient.refresh(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                stolen.tokens().get("refresh_token").asText());
        assertThat(refresh.status()).as("the intruder's refresh token").isEqualTo(400);
        assertThat(realm.login("alice", PASSWORD).loggedIn()).as("the stolen password").isFalse();
        assertThat(devices("alice")).hasSize(1);
        JsonNode user = server.admin().get("/admin/realms/" + realm.name() + "/users/" + userId("alice")).expect(200).json();
        assertThat(user.get("requiredActions").toString()).contains("UPDATE_PASSWORD");
        JsonNode events = server.admin().get("/admin/realms/" + realm.name() + "/events?type=EXECUTE_ACTION_TOKEN").expect(200).json();
        assertThat(events.toString()).contains("not-me");

        LoginClient.Result again = new LoginClient(server.baseUrl()).open(link);
        assertThat(again.page()).doesNotContain("every session of your account has been signed out").contains("already been used");
        assertThat(again.status()).isNotEqualTo(500);
    }

    @Test
    @DisplayName("'Yes, it was me' marks the device trusted")
    void wasMe() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(new Browser(address("127.0.56.6"), FIREFOX_LINUX), "alice")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0);
        java.util.regex.Matcher links = java.util.regex.Pattern.compile("https?://\\S*/login-actions/action-token\\S*").matcher(alert.text());
        List<String> found = new ArrayList<>();
        while (links.find()) {
            found.add(links.group());
        }
        assertThat(found).hasSize(2);
        LoginClient.Result done = new LoginClient(server.baseUrl()).open(found.get(1));
        assertThat(done.page()).contains("This device is now trusted");
        assertThat(devices("alice").toString()).contains("\"trusted\":true");
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("A burst of new-device logins mails at most maxAlertsPerHour alerts; every login succeeds")
    void rateLimit() throws Exception {
        server.admin().put(alerts, Map.of("maxAlertsPerHour", 3)).expect(200);
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Outcome>> logins = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            // each from its own network: a browser of a known family on a known network would count as known
            Browser b = new Browser(address("127." + (60 + i) + ".0.1"), FIREFOX_LINUX);
            logins.add(pool.submit(() -> login(b, "alice")));
        }
        for (Future<Outcome> f : logins) {
            assertThat(f.get(2, TimeUnit.MINUTES)).isEqualTo(Outcome.LOGGED_IN);
        }
        pool.shutdown();
        mail.await(ALICE, 3, Duration.ofSeconds(30));
        Poll.until("5 alerts suppressed", Duration.ofSeconds(10), () -> mails("rate_limited") >= 5 ? Boolean.TRUE : null);
        Poll.until("the queue drained", Duration.ofSeconds(20), () -> mails("sent") >= 3 ? Boolean.TRUE : null);
        assertThat(mail.to(ALICE)).hasSize(3);
    }

    @Test
    @DisplayName("SMTP down: the login succeeds, the mail is retried and then counted as failed")
    void smtpDown() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        Map<String, String> dead = new java.util.HashMap<>(mail.realmSmtp());
        dead.put("port", Integer.toString(Ports.free()));
        server.admin().put("/admin/realms/" + realm.name(), Map.of("smtpServer", dead)).expect(204);
        double failedBefore = mails("failed");
        assertThat(login(new Browser(address("127.0.57.7"), FIREFOX_LINUX), "alice")).isEqualTo(Outcome.LOGGED_IN);
        Poll.until("the mail retried", Duration.ofSeconds(30), () -> mails("retried") >= 1 ? Boolean.TRUE : null);
        Poll.until("the mail counted as failed after its retries", Duration.ofSeconds(90),
                () -> mails("failed") > failedBefore ? Boolean.TRUE : null);
    }

    @Test
    @DisplayName("Bad input: a tampered or foreign device cookie, a 10,000-character User-Agent, a user without email, forged and other-realm links: defined answers, no 500")
    void badInput() {
        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        String cookie = home.cookie("SENTINEL_DEVICE");
        // tampered: its signature fails, so the browser is recognised by its family and network only (no alert)
        home.cookie("SENTINEL_DEVICE", cookie.substring(0, cookie.length() - 2) + (cookie.endsWith("AA") ? "BB" : "AA"));
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        home.cookie("SENTINEL_DEVICE", "v1.AAAAAAAAAAAAAAAAAAAAAA." + "x".repeat(43));
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);

        Browser huge = new Browser(address("127.0.58.8"), "Mozilla/5.0 " + "A".repeat(10_000));
        assertThat(login(huge, "alice")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0);
        assertThat(alert.text()).contains("127.0.58.8").doesNotContain("A".repeat(100));
        assertThat(mail.to(ALICE)).as("the tampered cookies raised no alert").hasSize(1);

        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "nomail")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(new Browser(address("127.0.59.9"), FIREFOX_LINUX), "nomail")).isEqualTo(Outcome.LOGGED_IN);
        Poll.until("the mail-less user's alert skipped", Duration.ofSeconds(10), () -> mails("no_address") >= 1 ? Boolean.TRUE : null);

        LoginClient.Result forged = new LoginClient(server.baseUrl()).open(
                server.baseUrl() + "/realms/" + realm.name() + "/login-actions/action-token?key=not.a.token");
        assertThat(forged.status()).isBetween(200, 499);
        assertThat(forged.page()).doesNotContain("signed out");
        TestRealm other = TestRealm.builder("alerts-other").create(server);
        try {
            String link = alert.link("/login-actions/action-token").replace("/realms/" + realm.name() + "/", "/realms/" + other.name() + "/");
            LoginClient.Result foreign = new LoginClient(server.baseUrl()).open(link);
            assertThat(foreign.status()).isBetween(200, 499);
            assertThat(foreign.page()).doesNotContain("signed out");
        } finally {
            other.close();
        }
        assertThat(realm.login("alice", PASSWORD).loggedIn()).as("no link did anything").isTrue();
    }

    @Test
    @DisplayName("A password change is notified by mail")
    void passwordChangeNotice() {
        server.admin().put("/admin/realms/" + realm.name() + "/users/" + userId("alice"), Map.of("requiredActions", List.of("UPDATE_PASSWORD")))
                .expect(204);
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result update = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        LoginClient.Result done = client.submit(update.page(), Map.of("password-new", "Alice-new-pass-43", "password-confirm", "Alice-new-pass-43"));
        assertThat(done.loggedIn()).isTrue();
        MailServer.Mail notice = Poll.until("the notice", Duration.ofSeconds(30), () -> mail.to(ALICE).stream()
                .filter(m -> m.subject().startsWith("Your password for")).findFirst().orElse(null));
        assertThat(notice.text()).contains("The password of your account was changed").doesNotContain("Alice-new-pass-43");
        io.keycloaksentinel.it.harness.MailQueue.awaitDrained(server, Duration.ofSeconds(30));
        assertThat(mail.to(ALICE).stream().filter(m -> m.subject().startsWith("Your password for")).count())
                .as("one notice, though Keycloak reports the change twice").isEqualTo(1);
    }
}
