package io.keycloaksentinel.it.breach;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.FakePwnedPasswords;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@KeycloakIT
@DisplayName("The breached-password policy wherever a password is set")
class BreachedPasswordPolicyIT {

    private static final String STRONG = "Kv7#tundra-marble-91";
    /** On the list in the JAR. */
    private static final String COMMON = "password123";
    /** Known only to the (local) range API, seen 5 times. */
    private static final String LEAKED_ONCE_OR_TWICE = "Plum-Orchard-Sunday-2019";
    private static final String MESSAGE = "This password has appeared in a data breach";

    private final KeycloakServer server;
    private MailServer mail;
    private FakePwnedPasswords pwned;
    private TestRealm realm;
    private String realmPath;

    BreachedPasswordPolicyIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() throws Exception {
        mail = new MailServer();
        pwned = new FakePwnedPasswords().breached(LEAKED_ONCE_OR_TWICE, 5);
        realm = TestRealm.builder("breach").user("olivia", "Olivia-first-pass-7").customize(r -> {
            r.setRegistrationAllowed(true);
            r.setResetPasswordAllowed(true);
            r.setSmtpServer(mail.realmSmtp());
            r.setEventsEnabled(true);
        }).create(server);
        realmPath = "/admin/realms/" + realm.name();
        server.admin().put(realmPath, Map.of("passwordPolicy", "length(8) and sentinel-breached-password(1)")).expect(204);
        server.admin().put(realmPath + "/sentinel-admin/breached-passwords",
                Map.of("sources", List.of("bundled", "api"), "apiUrl", pwned.baseUrl())).expect(200);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        pwned.close();
        mail.close();
    }

    private String userId(String username) {
        JsonNode users = server.admin().get(realmPath + "/users?exact=true&username=" + username).expect(200).json();
        return users.size() == 0 ? null : users.get(0).get("id").asText();
    }

    private AdminApi.Response adminSet(String password) {
        return server.admin().put(realmPath + "/users/" + userId("olivia") + "/reset-password",
                Map.of("type", "password", "value", password, "temporary", false));
    }

    @Test
    @DisplayName("Admin set: a listed password is a 400 with the message (never the password); the API's count meets the minimum; a strong one is set")
    void adminSet_() {
        AdminApi.Response common = adminSet(COMMON);
        assertThat(common.status()).isEqualTo(400);
        assertThat(common.body()).contains(MESSAGE).doesNotContain(COMMON);
        AdminApi.Response leaked = adminSet(LEAKED_ONCE_OR_TWICE);
        assertThat(leaked.status()).isEqualTo(400);
        assertThat(leaked.body()).doesNotContain(LEAKED_ONCE_OR_TWICE);
        assertThat(pwned.paths).isNotEmpty().allMatch(p -> p.matches("/range/[0-9A-F]{5}"));
        adminSet(STRONG).expect(204);
        assertThat(realm.login("olivia", STRONG).loggedIn()).isTrue();

        // a minimum of 10 lets a password seen 5 times through
        server.admin().put(realmPath, Map.of("passwordPolicy", "length(8) and sentinel-breached-password(10)")).expect(204);
        adminSet(LEAKED_ONCE_OR_TWICE).expect(204);
        JsonNode settings = server.admin().get(realmPath + "/sentinel-admin/breached-passwords").expect(200).json();
        assertThat(settings.at("/policy/inUse").asBoolean()).isTrue();
        assertThat(settings.at("/policy/minCount").asInt()).isEqualTo(10);
    }

    @Test
    @DisplayName("Registration: a listed password re-shows the form with the message and creates nobody; a strong one creates the account")
    void registration() {
        Map<String, String> fields = new LinkedHashMap<>(Map.of("username", "newcomer", "email", "newcomer@example.test",
                "firstName", "New", "lastName", "Comer", "password", COMMON, "password-confirm", COMMON));
        LoginClient.Result refused = new LoginClient(server.baseUrl()).submitLinkedForm(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "/login-actions/registration", fields);
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.page()).contains(MESSAGE).doesNotContain(COMMON);
        assertThat(userId("newcomer")).isNull();

        fields.put("password", STRONG);
        fields.put("password-confirm", STRONG);
        LoginClient.Result created = new LoginClient(server.baseUrl()).submitLinkedForm(realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, "/login-actions/registration", fields);
        assertThat(created.page() == null || !created.page().contains(MESSAGE)).isTrue();
        assertThat(userId("newcomer")).isNotNull();
    }

    @Test
    @DisplayName("Change (the update-password action the account console uses): a listed password is refused, a strong one accepted")
    void change() {
        server.admin().put(realmPath + "/users/" + userId("olivia"), Map.of("requiredActions", List.of("UPDATE_PASSWORD")))
                .expect(204);
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result update = client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "olivia",
                "Olivia-first-pass-7");
        assertThat(update.loggedIn()).isFalse();
        assertThat(update.page()).contains("password-new");
        LoginClient.Result refused = client.submit(update.page(), Map.of("password-new", LEAKED_ONCE_OR_TWICE,
                "password-confirm", LEAKED_ONCE_OR_TWICE));
        assertThat(refused.loggedIn()).isFalse();
        assertThat(refused.page()).contains(MESSAGE).doesNotContain(LEAKED_ONCE_OR_TWICE);
        LoginClient.Result done = client.submit(refused.page(), Map.of("password-new", STRONG, "password-confirm", STRONG));
        assertThat(done.loggedIn()).as("%s", done).isTrue();
    }

    @Test
    @DisplayName("Reset by email: the emailed link leads to the new-password form, which refuses a listed password and accepts a strong one")
    void reset() {
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result sent = client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI,
                "/login-actions/reset-credentials", Map.of("username", "olivia"));
        assertThat(sent.status()).isEqualTo(200);
        MailServer.Mail email = mail.await("olivia@example.test", 1, Duration.ofSeconds(30)).get(0);
        LoginClient.Result form = client.open(email.link("/login-actions/action-token"));
        assertThat(form.page()).contains("password-new");
        LoginClient.Result refused = client.submit(form.page(), Map.of("password-new", COMMON, "password-confirm", COMMON));
        assertThat(refused.page()).contains(MESSAGE);
        LoginClient.Result done = client.submit(refused.page(), Map.of("password-new", STRONG, "password-confirm", STRONG));
        assertThat(done.loggedIn()).as("%s", done).isTrue();
        assertThat(realm.login("olivia", STRONG).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("The API down: fail open (default) accepts what the other sources do not list, fail closed refuses with its own message; the list in the JAR still refuses")
    void apiDown() {
        pwned.failWith(503);
        adminSet(LEAKED_ONCE_OR_TWICE).expect(204); // the API cannot say: fail open
        assertThat(adminSet(COMMON).status()).as("the bundled list answers offline").isEqualTo(400);
        server.admin().put(realmPath + "/sentinel-admin/breached-passwords", Map.of("failOpen", false)).expect(200);
        AdminApi.Response closed = adminSet("Another-Unlisted-Pass-42");
        assertThat(closed.status()).isEqualTo(400);
        assertThat(closed.body()).contains("could not be checked");
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_breached_password_total", "realm=\"" + realm.name() + "\"",
                "check=\"policy\"", "outcome=\"unknown\"").orElse(0)).isEqualTo(2);
        // the server's log says a password could not be checked, and nothing about which one
        if (server instanceof io.keycloaksentinel.it.harness.KeycloakNode node) {
            String log = io.keycloaksentinel.it.harness.Poll.until("the fail-closed warning in the log",
                    Duration.ofSeconds(10), () -> {
                        String text = readLog(node.log());
                        return text.contains("refused (fail closed)") ? text : null;
                    });
            for (String secret : List.of(LEAKED_ONCE_OR_TWICE, "Another-Unlisted-Pass-42", COMMON)) {
                assertThat(log).doesNotContain(secret).doesNotContain(FakePwnedPasswords.sha1Hex(secret))
                        .doesNotContain(FakePwnedPasswords.sha1Hex(secret).substring(5));
            }
        }
    }

    private static String readLog(java.nio.file.Path log) {
        try {
            return java.nio.file.Files.readString(log, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("Bad input: 10,000 characters, decomposed Unicode, a bad policy value, bad settings: clear answers, no 500")
    void badInput() {
        AdminApi.Response huge = adminSet("x".repeat(10_000));
        assertThat(huge.status()).isNotEqualTo(500);
        pwned.breached("caf\u00e9-au-lait-2024", 3);
        assertThat(adminSet("cafe\u0301-au-lait-2024").status()).as("NFD typed, NFC leaked").isEqualTo(400);
        AdminApi.Response badPolicy = server.admin().put(realmPath, Map.of("passwordPolicy", "sentinel-breached-password(none)"));
        assertThat(badPolicy.status()).isEqualTo(400);
        assertThat(badPolicy.body()).contains("breach count");
        AdminApi.Response badSettings = server.admin().put(realmPath + "/sentinel-admin/breached-passwords",
                Map.of("apiUrl", "http://evil.example.com"));
        assertThat(badSettings.status()).isEqualTo(400);
        assertThat(badSettings.body()).contains("apiUrl");

        // the other new admin endpoints: a clear 400 or 404, nothing saved, never a 500
        String sentinel = realmPath + "/sentinel-admin";
        for (String page : List.of("?max=0", "?max=5000", "?first=-1")) {
            AdminApi.Response paged = server.admin().get(sentinel + "/breached-passwords/users" + page);
            assertThat(paged.status()).as(page).isEqualTo(400);
            assertThat(paged.body()).contains("max from 1 to 1000");
        }
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("maxAlertsPerHour", 0),
                Map.of("newDeviceAlerts", "yes"), Map.of("deviceDays", 1.5), Map.of("nonsense", true))) {
            AdminApi.Response refused = server.admin().put(sentinel + "/alerts", bad);
            assertThat(refused.status()).as("%s", bad).isEqualTo(400);
            assertThat(refused.body()).contains(bad.keySet().iterator().next());
        }
        assertThat(server.admin().get(sentinel + "/alerts").expect(200).json().get("maxAlertsPerHour").asInt())
                .as("nothing saved").isEqualTo(3);
        assertThat(server.admin().get(sentinel + "/users/no-such-user/devices").status()).isEqualTo(404);
        assertThat(server.admin().get(sentinel + "/users/" + "x".repeat(200) + "/devices").status()).isEqualTo(404);
        assertThat(server.admin().delete(sentinel + "/users/" + userId("olivia") + "/devices/" + "y".repeat(300)).status())
                .isEqualTo(404);
    }
}
