package io.keycloaksentinel.it.breach;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.FakePwnedPasswords;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import io.keycloaksentinel.it.harness.Totp;
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
@DisplayName("The breached-password check at login, on Sentinel's form")
class BreachedLoginIT {

    /** On the list in the JAR: the account's owner reused it, and so can any attacker. */
    private static final String BREACHED = "password123";
    private static final String NEW_PASSWORD = "Kv7#tundra-marble-91";
    private static final String CLEAN = "Olivia-own-pass-7f1";
    private static final String OTP_SECRET = "sentinel-otp-secret-1234";
    private static final String CODE_PAGE = "sentinel-email-code";

    private final KeycloakServer server;
    private MailServer mail;
    private TestRealm realm;
    private String base;

    BreachedLoginIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("breach-login").user("bob", BREACHED).user("olivia", CLEAN).user("tess", BREACHED).user("tom", BREACHED)
                .customize(r -> {
                    r.setSmtpServer(mail.realmSmtp());
                    r.setEventsEnabled(true);
                    r.getUsers().stream().filter(u -> u.getUsername().startsWith("t"))
                            .forEach(u -> Totp.addCredential(u, OTP_SECRET + u.getUsername()));
                }).create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        base = "/admin/realms/" + realm.name() + "/sentinel-admin/breached-passwords";
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private LoginClient.Result login(LoginClient client, String username, String password) {
        return client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, password);
    }

    private static String code(MailServer.Mail m) {
        Matcher c = Pattern.compile("\\b(\\d{8})\\b").matcher(m.text());
        assertThat(c.find()).as("an 8-digit code in:\n%s", m.text()).isTrue();
        return c.group(1);
    }

    private JsonNode flagged() {
        return server.admin().get(base + "/users").expect(200).json().get("users");
    }

    @Test
    @DisplayName("Default: a correct but breached password gets no token until the emailed code, then a new password; a wrong code does not pass")
    void secondProofByEmail() {
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result first = login(client, "bob", BREACHED);
        assertThat(first.loggedIn()).isFalse();
        assertThat(first.page()).contains(CODE_PAGE).contains("appeared in a data breach");
        // the code mail goes through the mail queue, a moment after the answer, never while the visitor waits
        assertThat(mail.to("bob@example.test")).as("no mail sent before the answer").isEmpty();
        MailServer.Mail email = mail.await("bob@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(email.text()).doesNotContain(BREACHED);

        LoginClient.Result wrong = client.submit(first.page(), Map.of("code", "00000000"));
        assertThat(wrong.loggedIn()).isFalse();
        assertThat(wrong.page()).contains("That code is not right");
        LoginClient.Result proved = client.submit(wrong.page(), Map.of("code", code(email)));
        assertThat(proved.loggedIn()).as("a new password comes first").isFalse();
        assertThat(proved.page()).contains("password-new");
        LoginClient.Result done = client.submit(proved.page(), Map.of("password-new", NEW_PASSWORD, "password-confirm", NEW_PASSWORD));
        assertThat(done.loggedIn()).as("%s", done).isTrue();
        assertThat(realm.login("bob", NEW_PASSWORD).loggedIn()).isTrue();

        JsonNode users = flagged();
        assertThat(users).hasSize(1);
        assertThat(users.get(0).get("username").asText()).isEqualTo("bob");
        assertThat(users.get(0).get("action").asText()).isEqualTo("second-proof");
        assertThat(users.get(0).get("source").asText()).isEqualTo("bundled");
        assertThat(users.get(0).get("newPasswordPending").asBoolean()).isFalse();
        assertThat(users.toString()).doesNotContain(BREACHED);
    }

    @Test
    @DisplayName("Five wrong codes end the attempt: back to the login form, and the code no longer works; each wrong code counts for Keycloak's brute-force protection")
    void tooManyWrongCodes() {
        server.admin().put("/admin/realms/" + realm.name(), Map.of("bruteForceProtected", true, "failureFactor", 30)).expect(204);
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = login(client, "bob", BREACHED);
        String good = code(mail.await("bob@example.test", 1, Duration.ofSeconds(30)).get(0));
        for (int i = 0; i < 5; i++) {
            page = client.submit(page.page(), Map.of("code", "1111111" + i));
            assertThat(page.loggedIn()).isFalse();
            if (i == 1) {
                assertThat(server.admin().get("/admin/realms/" + realm.name() + "/attack-detection/brute-force/users/"
                        + userId("bob")).expect(200).json().get("numFailures").asInt()).as("after two wrong codes").isEqualTo(2);
            }
        }
        assertThat(page.page()).contains("Too many wrong codes").contains("kc-form-login");
        LoginClient.Result late = client.submit(page.page(), Map.of("username", "bob", "password", "wrong-guess", "code", good));
        assertThat(late.loggedIn()).isFalse();
    }

    @Test
    @DisplayName("Whoever knows the password cannot flood the owner's inbox: at most 5 code mails an hour, then the login says the code could not be sent")
    void codeMailsCapped() {
        for (int i = 0; i < 5; i++) {
            assertThat(login(new LoginClient(server.baseUrl()), "bob", BREACHED).page()).contains(CODE_PAGE);
        }
        LoginClient.Result sixth = login(new LoginClient(server.baseUrl()), "bob", BREACHED);
        assertThat(sixth.loggedIn()).isFalse();
        assertThat(sixth.page()).doesNotContain(CODE_PAGE).contains("could not send the code");
        assertThat(mail.await("bob@example.test", 5, Duration.ofSeconds(30))).hasSize(5);
        assertThat(mail.to("bob@example.test")).hasSize(5);
    }

    @Test
    @DisplayName("A user with an authenticator app proves it with a TOTP code asked by Sentinel (the flow's own OTP step, if any, asks again), then sets a new password; a wrong code does not pass")
    void secondProofByOtp() throws Exception {
        for (boolean flowHasOtp : new boolean[] {true, false}) {
            if (!flowHasOtp) {
                disableOtpSteps();
            }
            // two users: Keycloak refuses a TOTP code that was already used
            String user = flowHasOtp ? "tess" : "tom";
            String secret = OTP_SECRET + user;
            LoginClient client = new LoginClient(server.baseUrl());
            LoginClient.Result first = login(client, user, BREACHED);
            assertThat(first.loggedIn()).isFalse();
            assertThat(first.page()).contains("name=\"otp\"").contains("appeared in a data breach");
            LoginClient.Result wrong = client.submit(first.page(), Map.of("otp", Totp.wrong(secret)));
            assertThat(wrong.loggedIn()).isFalse();
            assertThat(wrong.page()).contains("name=\"otp\"");
            LoginClient.Result proved = client.submit(wrong.page(), Map.of("otp", Totp.code(secret)));
            assertThat(proved.loggedIn()).isFalse();
            if (flowHasOtp) {
                // Sentinel asks itself (it cannot know whether the flow's own OTP step runs for this
                // login); the flow's step then asks again, before any new password or token
                assertThat(proved.page()).as("%s", proved).contains("name=\"otp\"").doesNotContain("password-new")
                        .doesNotContain("appeared in a data breach");
            } else {
                assertThat(proved.page()).as("%s", proved).contains("password-new");
            }
        }
        assertThat(mail.to("tess@example.test")).isEmpty();
    }

    /** Disables the OTP sub-flow of the realm's Sentinel browser flow (a realm without Keycloak's conditional OTP). */
    private void disableOtpSteps() {
        String flows = "/admin/realms/" + realm.name() + "/authentication/flows/" + SentinelFlows.FLOW + "/executions";
        JsonNode executions = server.admin().get(flows).expect(200).json();
        // the sub-flow holding the OTP form as a whole (a conditional sub-flow without an enabled step is an error)
        JsonNode parent = null;
        for (int i = 0; i < executions.size() && parent == null; i++) {
            if ("auth-otp-form".equals(executions.get(i).path("providerId").asText())) {
                int level = executions.get(i).path("level").asInt();
                for (int j = i - 1; j >= 0; j--) {
                    if (executions.get(j).path("authenticationFlow").asBoolean() && executions.get(j).path("level").asInt() == level - 1) {
                        parent = executions.get(j);
                        break;
                    }
                }
            }
        }
        assertThat(parent).as("the sub-flow with the OTP form in %s", executions).isNotNull();
        com.fasterxml.jackson.databind.node.ObjectNode update = (com.fasterxml.jackson.databind.node.ObjectNode) parent;
        update.put("requirement", "DISABLED");
        server.admin().put(flows, update).expect(204);
    }

    @Test
    @DisplayName("Action force-change: a new password right away; action monitor: logged in, flagged and counted")
    void forceChangeAndMonitor() {
        server.admin().put(base, Map.of("loginAction", "force-change")).expect(200);
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result page = login(client, "bob", BREACHED);
        assertThat(page.page()).contains("password-new");

        server.admin().put(base, Map.of("loginAction", "monitor")).expect(200);
        server.admin().put("/admin/realms/" + realm.name() + "/users/" + userId("olivia") + "/reset-password",
                Map.of("type", "password", "value", BREACHED, "temporary", false)).expect(204);
        LoginClient.Result monitored = login(new LoginClient(server.baseUrl()), "olivia", BREACHED);
        assertThat(monitored.loggedIn()).isTrue();
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_breached_password_total", "realm=\"" + realm.name() + "\"",
                "check=\"login\"", "outcome=\"breached\"").orElse(0)).isEqualTo(2);
        assertThat(flagged()).extracting(u -> u.get("username").asText() + ":" + u.get("action").asText())
                .containsExactlyInAnyOrder("bob:force-change", "olivia:monitor");
        assertThat(server.admin().get(base).expect(200).json().get("flaggedUsers").asInt()).isEqualTo(2);
    }

    @Test
    @DisplayName("Action email-reset: the login looks like a wrong password, the owner gets one link to set a new one, the admin a notice")
    void emailReset() {
        server.admin().put(base, Map.of("loginAction", "email-reset", "adminEmail", "security@example.test")).expect(200);
        LoginClient.Result refused = realm.login("bob", BREACHED);
        assertThat(refused.loggedIn()).isFalse();
        assertThat(refused.formError()).contains("Invalid username or password.");
        // sent after the answer (a right password must answer as fast as a wrong one): nothing yet
        assertThat(mail.to("bob@example.test")).as("no mail sent before the answer").isEmpty();
        assertThat(mail.to("security@example.test")).isEmpty();
        MailServer.Mail link = mail.await("bob@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(link.text()).contains("/login-actions/action-token");
        MailServer.Mail notice = mail.await("security@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(notice.text()).contains("bob").doesNotContain(BREACHED);

        assertThat(realm.login("bob", BREACHED).loggedIn()).isFalse();
        assertThat(mail.to("bob@example.test")).as("one mail per quarter hour").hasSize(1);

        LoginClient linkClient = new LoginClient(server.baseUrl());
        LoginClient.Result info = linkClient.open(link.link("/login-actions/action-token"));
        assertThat(info.page()).contains("Update Password");
        Matcher proceed = Pattern.compile("href=\"([^\"]*login-actions/action-token[^\"]*)\"").matcher(info.page());
        assertThat(proceed.find()).as("a link to proceed on:\n%s", info.page()).isTrue();
        LoginClient.Result form = linkClient.open(proceed.group(1).replace("&amp;", "&"));
        assertThat(form.page()).as("%s", form).contains("password-new");
    }

    @Test
    @DisplayName("A clean password is checked once: the next login with it does not check again, and nothing of it is stored")
    void checkedOncePerPassword() {
        assertThat(realm.login("olivia", CLEAN).loggedIn()).isTrue();
        assertThat(realm.login("olivia", CLEAN).loggedIn()).isTrue();
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_breached_password_total", "realm=\"" + realm.name() + "\"",
                "check=\"login\"", "outcome=\"clean\"").orElse(0)).isEqualTo(1);
        JsonNode user = server.admin().get("/admin/realms/" + realm.name() + "/users/" + userId("olivia")).expect(200).json();
        assertThat(user.toString()).doesNotContain(CLEAN).doesNotContain(FakePwnedPasswords.sha1Hex(CLEAN))
                .doesNotContain(FakePwnedPasswords.sha1Hex(CLEAN).toLowerCase());
    }

    @Test
    @DisplayName("The password grant, with Sentinel's step after Keycloak's Password step: a breached password is refused like a wrong one (no page for a second proof), a clean one gets tokens; monitor lets it through, flagged")
    void passwordGrant() {
        String realmPath = "/admin/realms/" + realm.name();
        JsonNode client = server.admin().get(realmPath + "/clients?clientId=" + TestRealm.CLIENT_ID).expect(200).json().get(0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("directAccessGrantsEnabled", true);
        server.admin().put(realmPath + "/clients/" + client.get("id").asText(), client).expect(204);
        String flows = realmPath + "/authentication";
        server.admin().post(flows + "/flows/direct%20grant/copy", Map.of("newName", "sentinel-direct-grant")).expect(201);
        server.admin().post(flows + "/flows/sentinel-direct-grant/executions/execution",
                Map.of("provider", "sentinel-direct-grant-breach")).expect(201);
        for (JsonNode e : server.admin().get(flows + "/flows/sentinel-direct-grant/executions").expect(200).json()) {
            if ("sentinel-direct-grant-breach".equals(e.path("providerId").asText())) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("requirement", "REQUIRED");
                server.admin().put(flows + "/flows/sentinel-direct-grant/executions", e).expect(204);
            }
        }
        server.admin().put(realmPath, Map.of("directGrantFlow", "sentinel-direct-grant")).expect(204);

        io.keycloaksentinel.it.harness.AdminApi.Response refused = passwordGrant("bob", BREACHED);
        io.keycloaksentinel.it.harness.AdminApi.Response wrong = passwordGrant("bob", "not-" + BREACHED);
        // a right (breached) password is answered exactly as a wrong one: a bot learns nothing
        assertThat(refused.status()).isEqualTo(wrong.status()).isEqualTo(400);
        assertThat(refused.body()).isEqualTo(wrong.body()).contains("invalid_grant").doesNotContain("access_token")
                .doesNotContain(BREACHED);
        assertThat(passwordGrant("olivia", CLEAN).status()).isEqualTo(200);
        assertThat(flagged()).extracting(u -> u.get("username").asText()).containsExactly("bob");

        server.admin().put(base, Map.of("loginAction", "monitor")).expect(200);
        assertThat(passwordGrant("bob", BREACHED).status()).isEqualTo(200);
    }

    private io.keycloaksentinel.it.harness.AdminApi.Response passwordGrant(String username, String password) {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(server.baseUrl().resolve("/realms/" + realm.name()
                                    + "/protocol/openid-connect/token"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(LoginClient.form(Map.of(
                                    "grant_type", "password", "client_id", TestRealm.CLIENT_ID, "scope", "openid",
                                    "username", username, "password", password))))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new io.keycloaksentinel.it.harness.AdminApi.Response(r.statusCode(), r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("Action off: a breached password logs in as on plain Keycloak, and nobody is flagged")
    void off() {
        server.admin().put(base, Map.of("loginAction", "off")).expect(200);
        assertThat(realm.login("bob", BREACHED).loggedIn()).isTrue();
        assertThat(flagged()).isEmpty();
    }

    private String userId(String username) {
        return server.admin().get("/admin/realms/" + realm.name() + "/users?exact=true&username=" + username).expect(200)
                .json().get(0).get("id").asText();
    }
}
