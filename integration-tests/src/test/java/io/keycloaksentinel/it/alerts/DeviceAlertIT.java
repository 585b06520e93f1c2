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
    private static final String INTRUDER = "intruder@evil.test";

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
            // the account console's API (a realm import grants no default roles): an intruder changes the email there
            r.getUsers().stream().filter(u -> u.getUsername().equals("alice"))
                    .forEach(u -> u.setClientRoles(Map.of("account", List.of("manage-account", "view-profile"))));
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

    private JsonNode user(String username) {
        return server.admin().get("/admin/realms/" + realm.name() + "/users/" + userId(username)).expect(200).json();
    }

    /** The two links of an alert: "this wasn't me" first, "yes, it was me" second. */
    private static List<String> links(MailServer.Mail alert) {
        java.util.regex.Matcher links = java.util.regex.Pattern.compile("https?://\\S*/login-actions/action-token\\S*").matcher(alert.text());
        List<String> found = new ArrayList<>();
        while (links.find()) {
            found.add(links.group());
        }
        assertThat(found).as("the links of %s", alert.text()).hasSize(2);
        return found;
    }

    /** The value of a hidden input of a page. */
    private static String input(String page, String name) {
        java.util.regex.Matcher input = java.util.regex.Pattern.compile("<input[^>]*name=\"" + java.util.regex.Pattern.quote(name)
                + "\"[^>]*>").matcher(page);
        assertThat(input.find()).as("an input %s on the page:\n%s", name, page).isTrue();
        java.util.regex.Matcher value = java.util.regex.Pattern.compile("value=\"([^\"]*)\"").matcher(input.group());
        assertThat(value.find()).as("a value in %s", input.group()).isTrue();
        return value.group(1).replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<")
                .replace("&gt;", ">");
    }

    /**
     * What the link's owner does: opens the emailed link (a page that only asks), then presses the
     * page's button, which POSTs its form (the link's key and the page's CSRF value, with the
     * cookie the page set) as a browser would.
     */
    private static LoginClient.Result openAndConfirm(LoginClient client, String link) {
        LoginClient.Result asked = client.open(link);
        assertThat(asked.status()).as("the confirmation page: %s", asked.page()).isEqualTo(200);
        String page = asked.page();
        java.util.regex.Matcher form = java.util.regex.Pattern.compile("<form[^>]*id=\"sentinel-device-confirm-form\"[^>]*>")
                .matcher(page);
        assertThat(form.find()).as("the confirmation form on:\n%s", page).isTrue();
        assertThat(form.group()).containsIgnoringCase("method=\"post\"");
        java.util.regex.Matcher action = java.util.regex.Pattern.compile("action=\"([^\"]*)\"").matcher(form.group());
        assertThat(action.find()).isTrue();
        return client.post(action.group(1).replace("&amp;", "&"), Map.of("key", input(page, "key"), "csrf", input(page, "csrf")));
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
    @DisplayName("'This wasn't me', confirmed on its page, ends every session (a refresh token stops working), removes the password without a password-update action an intruder could answer, forgets the device, records an event; the link works once")
    void notMe() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        LoginClient.Result stolen = intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        assertThat(stolen.loggedIn()).isTrue();
        String link = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0).link("/login-actions/action-token");

        LoginClient owner = new LoginClient(server.baseUrl());
        LoginClient.Result done = openAndConfirm(owner, link);
        assertThat(done.page()).contains("every session of your account has been signed out").doesNotContain("locked");
        AdminApi.Response refresh = LoginClient.refresh(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                stolen.tokens().get("refresh_token").asText());
        assertThat(refresh.status()).as("the intruder's refresh token").isEqualTo(400);
        assertThat(realm.login("alice", PASSWORD).loggedIn()).as("the stolen password").isFalse();
        assertThat(devices("alice")).hasSize(1);
        JsonNode user = user("alice");
        assertThat(user.path("requiredActions").toString()).as("no password-update action for whoever signs in next")
                .doesNotContain("UPDATE_PASSWORD");
        assertThat(user.get("enabled").asBoolean()).as("a password-only account stays enabled").isTrue();
        JsonNode credentials = server.admin().get("/admin/realms/" + realm.name() + "/users/" + userId("alice") + "/credentials")
                .expect(200).json();
        assertThat(credentials.toString()).as("the stored password is gone").doesNotContain("\"type\":\"password\"");
        JsonNode events = server.admin().get("/admin/realms/" + realm.name() + "/events?type=EXECUTE_ACTION_TOKEN").expect(200).json();
        assertThat(events.toString()).contains("not-me");

        LoginClient.Result again = new LoginClient(server.baseUrl()).open(link);
        assertThat(again.page()).doesNotContain("every session of your account has been signed out").contains("already been used");
        assertThat(again.status()).isNotEqualTo(500);
    }

    @Test
    @DisplayName("An intruder who changed the account's email: 'this wasn't me' restores the address the alert went to, verified; the next reset mail goes to the owner, none to the intruder")
    void notMeRestoresChangedEmail() throws Exception {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        LoginClient.Result stolen = intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        assertThat(stolen.loggedIn()).isTrue();
        String link = links(mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0)).get(0);

        // the intruder, through the account API with the stolen session's token, takes the address over
        String account = "/realms/" + realm.name() + "/account";
        java.net.http.HttpResponse<String> changed = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(server.baseUrl().resolve(account))
                        .header("Authorization", "Bearer " + stolen.tokens().get("access_token").asText())
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"username\":\"alice\",\"email\":\"" + INTRUDER
                                + "\",\"firstName\":\"Alice\",\"lastName\":\"Test\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(changed.statusCode()).as("the account API: %s", changed.body()).isEqualTo(204);
        assertThat(user("alice").get("email").asText()).isEqualTo(INTRUDER);

        LoginClient.Result done = openAndConfirm(new LoginClient(server.baseUrl()), link);
        assertThat(done.page()).contains("every session of your account has been signed out");
        JsonNode restored = user("alice");
        assertThat(restored.get("email").asText()).isEqualTo(ALICE);
        assertThat(restored.get("emailVerified").asBoolean()).isTrue();
        assertThat(restored.get("enabled").asBoolean()).isTrue();

        server.admin().put("/admin/realms/" + realm.name(), Map.of("resetPasswordAllowed", true)).expect(204);
        int before = mail.to(ALICE).size();
        new LoginClient(server.baseUrl()).submitLinkedFormAndFollow(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "/login-actions/reset-credentials", Map.of("username", "alice"));
        assertThat(mail.await(ALICE, before + 1, Duration.ofSeconds(30)).get(before).text())
                .as("the reset mail, to the owner").contains("/login-actions/action-token");
        assertThat(mail.to(INTRUDER)).as("nothing for the intruder's address").isEmpty();
    }

    @Test
    @DisplayName("Only the page's POST acts: the old GET with confirm=1, a POST without the page's CSRF cookie, a forged key: nothing changes, the link still works")
    void onlyThePagesPostActs() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        assertThat(intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD).loggedIn()).isTrue();
        String link = links(mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0)).get(0);

        // what a scanner that follows GET forms would send (the acting request of the old page)
        LoginClient.Result scanned = new LoginClient(server.baseUrl()).open(link + "&confirm=1");
        assertThat(scanned.page()).contains("sentinel-device-confirm-form").doesNotContain("has been signed out");
        // a page opened elsewhere: its key and CSRF value posted without the cookie (another site, another browser)
        LoginClient scanner = new LoginClient(server.baseUrl());
        String page = scanner.open(link).page();
        String answer = "/realms/" + realm.name() + "/sentinel-device/answer";
        LoginClient.Result noCookie = new LoginClient(server.baseUrl()).post(answer,
                Map.of("key", input(page, "key"), "csrf", input(page, "csrf")));
        assertThat(noCookie.status()).isEqualTo(400);
        assertThat(noCookie.page()).doesNotContain("has been signed out");
        // the right cookie and value, a forged key
        LoginClient.Result forged = scanner.post(answer, Map.of("key", "eyJhbGciOiJIUzUxMiJ9.e30.AAAA",
                "csrf", input(page, "csrf")));
        assertThat(forged.status()).isEqualTo(400);
        assertThat(realm.login("alice", PASSWORD).loggedIn()).as("the password after all that").isTrue();

        assertThat(openAndConfirm(new LoginClient(server.baseUrl()), link).page())
                .contains("every session of your account has been signed out");
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isFalse();
    }

    @Test
    @DisplayName("A plain GET of either link (what a mail link scanner does) only shows a confirmation page: the password still works, the intruder's session lives, the device stays untrusted, and the link still works after")
    void scannerGetChangesNothing() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        LoginClient.Result stolen = intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        assertThat(stolen.loggedIn()).isTrue();
        List<String> links = links(mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0));

        for (String link : links) {
            for (int i = 0; i < 2; i++) {
                LoginClient.Result scanned = new LoginClient(server.baseUrl()).open(link);
                assertThat(scanned.status()).isEqualTo(200);
                assertThat(scanned.page()).contains("sentinel-device-confirm-form").doesNotContain("has been signed out")
                        .doesNotContain("now trusted").doesNotContain("already been used");
            }
        }
        AdminApi.Response refresh = LoginClient.refresh(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID,
                stolen.tokens().get("refresh_token").asText());
        assertThat(refresh.status()).as("the session of the new device after the scans").isEqualTo(200);
        assertThat(devices("alice")).as("the device is neither forgotten nor trusted").hasSize(2);
        assertThat(devices("alice").toString()).contains("Firefox").doesNotContain("\"trusted\":true");
        assertThat(realm.login("alice", PASSWORD).loggedIn()).as("the password after the scans").isTrue();
        assertThat(user("alice").get("enabled").asBoolean()).isTrue();
        JsonNode events = server.admin().get("/admin/realms/" + realm.name() + "/events?type=EXECUTE_ACTION_TOKEN").expect(200).json();
        assertThat(events.toString()).as("no answer recorded").doesNotContain("not-me").doesNotContain("was-me");

        // the owner, after the scanner: the link still works, once
        LoginClient.Result done = openAndConfirm(new LoginClient(server.baseUrl()), links.get(0));
        assertThat(done.page()).contains("every session of your account has been signed out");
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isFalse();
    }

    @Test
    @DisplayName("'This wasn't me' disables the account when an authenticator app was added after the device was first seen, and says so")
    void notMeAfterIntruderAddedOtp() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        LoginClient intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        assertThat(intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD).loggedIn()).isTrue();
        String link = links(mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0)).get(0);

        // the intruder, in a new browser session (the first one would be signed in already), sets up an
        // authenticator app of their own
        server.admin().put("/admin/realms/" + realm.name() + "/users/" + userId("alice"),
                Map.of("requiredActions", List.of("CONFIGURE_TOTP"))).expect(204);
        intruder = new LoginClient(server.baseUrl()).withHeader("User-Agent", FIREFOX_LINUX);
        LoginClient.Result setup = intruder.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "alice", PASSWORD);
        assertThat(setup.loggedIn()).as("stopped at the authenticator setup").isFalse();
        String secret = input(setup.page(), "totpSecret");
        assertThat(intruder.submit(setup.page(), Map.of("totp", totp(secret), "totpSecret", secret, "userLabel", "intruder"))
                .loggedIn()).isTrue();

        LoginClient.Result done = openAndConfirm(new LoginClient(server.baseUrl()), link);
        assertThat(done.page()).contains("your account has been locked");
        assertThat(user("alice").get("enabled").asBoolean()).as("the account").isFalse();
        assertThat(user("alice").path("requiredActions").toString()).doesNotContain("UPDATE_PASSWORD");
    }

    /** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) over the secret's UTF-8 bytes (Keycloak's default encoding). */
    private static String totp(String secret) {
        try {
            long step = System.currentTimeMillis() / 1000 / 30;
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA1"));
            byte[] h = mac.doFinal(java.nio.ByteBuffer.allocate(8).putLong(step).array());
            int o = h[h.length - 1] & 0xf;
            int bin = ((h[o] & 0x7f) << 24) | ((h[o + 1] & 0xff) << 16) | ((h[o + 2] & 0xff) << 8) | (h[o + 3] & 0xff);
            return String.format("%06d", bin % 1_000_000);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("An account whose devices are all gone (expired or forgotten) is not new: its next new device alerts")
    void dormantAccountAlerts() {
        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        JsonNode known = devices("alice");
        assertThat(known).hasSize(1);
        String devicesPath = "/admin/realms/" + realm.name() + "/sentinel-admin/users/" + userId("alice") + "/devices/";
        assertThat(server.admin().delete(devicesPath + known.get(0).get("id").asText()).status()).isEqualTo(204);
        assertThat(devices("alice")).isEmpty();

        assertThat(login(new Browser(address("127.0.54.4"), FIREFOX_LINUX), "alice")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0);
        assertThat(alert.text()).contains("127.0.54.4").contains("Firefox");
    }

    @Test
    @DisplayName("A browser that lost its cookie, recognised by its family and network, raises no alert but gets an untrusted entry of its own; the trusted device keeps its id; the cookie is scoped to the realm's path")
    void cookieLessFallback() {
        server.admin().put(alerts, Map.of("alertFirstDevice", true)).expect(200);
        Browser home = new Browser(address("127.0.0.1"), CHROME_WINDOWS);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(home.setCookieHeader("SENTINEL_DEVICE")).as("the device cookie's attributes")
                .containsIgnoringCase("Path=/realms/" + realm.name() + "/;").containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Lax");
        LoginClient.Result trusted = openAndConfirm(new LoginClient(server.baseUrl()),
                links(mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0)).get(1));
        assertThat(trusted.page()).contains("This device is now trusted");
        String trustedId = devices("alice").get(0).get("id").asText();
        String oldCookie = home.cookie("SENTINEL_DEVICE");

        home.cookie("SENTINEL_DEVICE", null);
        assertThat(login(home, "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(home.cookie("SENTINEL_DEVICE")).as("a new cookie").isNotNull().isNotEqualTo(oldCookie);
        JsonNode after = devices("alice");
        assertThat(after).hasSize(2);
        int trustedCount = 0;
        boolean oldKept = false;
        for (JsonNode d : after) {
            trustedCount += d.get("trusted").asBoolean() ? 1 : 0;
            oldKept |= d.get("id").asText().equals(trustedId) && d.get("trusted").asBoolean();
        }
        assertThat(oldKept).as("the trusted device keeps its id: %s", after).isTrue();
        assertThat(trustedCount).as("the cookie-less browser is not trusted: %s", after).isEqualTo(1);
        io.keycloaksentinel.it.harness.MailQueue.awaitDrained(server, Duration.ofSeconds(30));
        assertThat(mail.to(ALICE)).as("no alert for the cookie-less browser").hasSize(1);
    }

    @Test
    @DisplayName("'Yes, it was me', confirmed on its page, marks the device trusted")
    void wasMe() {
        assertThat(login(new Browser(address("127.0.0.1"), CHROME_WINDOWS), "alice")).isEqualTo(Outcome.LOGGED_IN);
        assertThat(login(new Browser(address("127.0.56.6"), FIREFOX_LINUX), "alice")).isEqualTo(Outcome.LOGGED_IN);
        MailServer.Mail alert = mail.await(ALICE, 1, Duration.ofSeconds(30)).get(0);
        LoginClient.Result done = openAndConfirm(new LoginClient(server.baseUrl()), links(alert).get(1));
        assertThat(done.page()).contains("This device is now trusted");
        assertThat(devices("alice").toString()).contains("\"trusted\":true");
        assertThat(realm.login("alice", PASSWORD).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("A burst of new-device logins mails at most maxAlertsPerHour alerts; every login succeeds; the suppressed devices stay new")
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

        // a suppressed device is not remembered: its next sign-in tries to alert again (suppressed again within the hour)
        Browser late = new Browser(address("127.0.70.1"), FIREFOX_LINUX);
        double limited = mails("rate_limited");
        assertThat(login(late, "alice")).isEqualTo(Outcome.LOGGED_IN);
        Poll.until("the late device's alert suppressed", Duration.ofSeconds(10),
                () -> mails("rate_limited") >= limited + 1 ? Boolean.TRUE : null);
        assertThat(devices("alice").toString()).as("the suppressed device is not in the list").doesNotContain("127.0.70.0/24");
        assertThat(login(late, "alice")).isEqualTo(Outcome.LOGGED_IN);
        Poll.until("its next sign-in tries again", Duration.ofSeconds(10),
                () -> mails("rate_limited") >= limited + 2 ? Boolean.TRUE : null);
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
