package io.keycloaksentinel.it.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.Attacks;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import io.keycloaksentinel.it.harness.Totp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * Enforced MFA through the real login pages of a real server, with the ready flows Sentinel
 * creates ({@code POST .../sentinel-admin/mfa/flows?bind=true}): Keycloak's own OTP form and
 * TOTP setup page, codes computed here, mail read from GreenMail.
 */
@KeycloakIT
@DisplayName("Enforced MFA: policy scopes, grace by days and logins, risky enrollment, step-up, reset, last factor")
class MfaIT {

    private static final String PASSWORD = "Mfa-test-pass-2026!";
    private static final String OTP_SECRET = "sentinel-mfa-otp-secret-";
    private static final String ENROLL_PAGE = "sentinel-mfa-enroll";
    private static final String CODE_PAGE = "sentinel-email-code";
    private static final long DAY = 24L * 3600 * 1000;

    private final KeycloakServer server;
    private MailServer mail;
    private TestRealm realm;
    private String mfa;

    MfaIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        realm = TestRealm.builder("mfa").user("olga", PASSWORD).user("nina", PASSWORD).user("oldie", PASSWORD)
                .user("gina", PASSWORD).user("oscar", PASSWORD).user("breakglass", PASSWORD).user("sam", PASSWORD)
                .customize(r -> {
                    r.setSmtpServer(mail.realmSmtp());
                    r.setEventsEnabled(true);
                    r.setResetPasswordAllowed(true);
                    r.setOrganizationsEnabled(true);
                    GroupRepresentation staff = new GroupRepresentation();
                    staff.setName("staff");
                    GroupRepresentation service = new GroupRepresentation();
                    service.setName("service");
                    r.setGroups(List.of(staff, service));
                    for (UserRepresentation u : r.getUsers()) {
                        switch (u.getUsername()) {
                            case "olga" -> {
                                Totp.addCredential(u, OTP_SECRET + u.getUsername());
                                // the account console's API needs these (a realm import grants no default roles)
                                u.setClientRoles(Map.of("account", List.of("manage-account", "view-profile")));
                            }
                            // an account from before the policy: its grace counts from the policy's start
                            case "oldie" -> u.setCreatedTimestamp(System.currentTimeMillis() - 40 * DAY);
                            case "gina" -> u.setGroups(List.of("/staff"));
                            case "sam" -> u.setGroups(List.of("/service"));
                            default -> {
                            }
                        }
                    }
                }).create(server);
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        JsonNode flows = server.admin().post(realmPath() + "/sentinel-admin/mfa/flows?bind=true", Map.of()).expect(200).json();
        assertThat(flows.get("bound").asBoolean()).isTrue();
        mfa = realmPath() + "/sentinel-admin/mfa";
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    private String realmPath() {
        return "/admin/realms/" + realm.name();
    }

    private JsonNode policy(Map<String, Object> update) {
        return server.admin().put(mfa, update).expect(200).json();
    }

    private LoginClient.Result login(LoginClient client, String username) {
        return client.login(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, username, PASSWORD);
    }

    /** Another browser on the same network: another User-Agent, so not the device the user signed in with. */
    private LoginClient stranger() {
        return stranger("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0");
    }

    private LoginClient stranger(String userAgent) {
        return new LoginClient(server.baseUrl()).withHeader("User-Agent", userAgent);
    }

    /** A login from a browser this user has already signed in with (Sentinel's device cookie is set). */
    private LoginClient knownBrowser(String username) {
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result first = login(client, username);
        if (!first.loggedIn() && first.page() != null && first.page().contains(ENROLL_PAGE)) {
            first = client.submit(first.page(), Map.of("skip", "true"));
        }
        assertThat(first.loggedIn()).as("first sign-in of %s: %s", username, first).isTrue();
        // signed out (its SSO cookie no longer signs in), but the browser keeps Sentinel's device cookie
        server.admin().post(realmPath() + "/users/" + userId(username) + "/logout", Map.of()).expect(204);
        return client;
    }

    @Test
    @DisplayName("Realm-wide: a user with OTP gets Keycloak's OTP form and no token without a right code; a user without a factor is shown the grace and may skip")
    void realmWide() throws Exception {
        policy(Map.of("mode", "enforce", "scopes", List.of("realm"), "graceDays", 30));
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result otpPage = login(client, "olga");
        assertThat(otpPage.loggedIn()).isFalse();
        assertThat(otpPage.page()).contains("name=\"otp\"");
        String good = Totp.code(OTP_SECRET + "olga");
        LoginClient.Result wrong = client.submit(otpPage.page(), Map.of("otp", Totp.wrong(OTP_SECRET + "olga")));
        assertThat(wrong.loggedIn()).isFalse();
        LoginClient.Result in = client.submit(wrong.page(), Map.of("otp", good));
        assertThat(in.loggedIn()).as("%s", in).isTrue();

        LoginClient nina = new LoginClient(server.baseUrl());
        LoginClient.Result grace = login(nina, "nina");
        assertThat(grace.loggedIn()).isFalse();
        assertThat(grace.page()).contains(ENROLL_PAGE).contains("30 more day(s)").contains("sentinel-mfa-skip")
                .contains("sentinel-mfa-otp");
        // "Not now" from a device new to the account: the email first (a session from here could enroll
        // through the account console, and whoever has only the password must not)
        int before = mail.to("nina@example.test").size();
        LoginClient.Result proof = nina.submit(grace.page(), Map.of("skip", "true"));
        assertThat(proof.loggedIn()).isFalse();
        assertThat(proof.page()).contains(CODE_PAGE).contains("before you go on without a second factor");
        String code = code(mail.await("nina@example.test", before + 1, Duration.ofSeconds(30)).get(before));
        LoginClient.Result skipped = nina.submit(proof.page(), Map.of("code", code));
        assertThat(skipped.loggedIn()).as("%s", skipped).isTrue();
        // the same browser next time: known by its cookie, "Not now" straight away
        server.admin().post(realmPath() + "/users/" + userId("nina") + "/logout", Map.of()).expect(204);
        LoginClient.Result again = login(nina, "nina");
        assertThat(nina.submit(again.page(), Map.of("skip", "true")).loggedIn()).isTrue();
    }

    @Test
    @DisplayName("Without grace (graceDays 0): no token before enrollment; the risky first enrollment (new device) needs the emailed code, then Keycloak's TOTP setup")
    void noGraceEnrollWithEmailProof() throws Exception {
        policy(Map.of("mode", "enforce", "graceDays", 0));
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result required = login(client, "nina");
        assertThat(required.loggedIn()).isFalse();
        assertThat(required.page()).contains(ENROLL_PAGE).contains("Choose one to set up now").doesNotContain("sentinel-mfa-skip");
        LoginClient.Result sneaky = client.submit(required.page(), Map.of("skip", "true"));
        assertThat(sneaky.loggedIn()).as("a forged skip").isFalse();
        assertThat(sneaky.page()).contains("run out");

        LoginClient.Result proof = client.submit(sneaky.page(), Map.of("factor", "otp"));
        assertThat(proof.loggedIn()).isFalse();
        assertThat(proof.page()).contains(CODE_PAGE).contains("Before you set up a second factor");
        LoginClient.Result wrongCode = client.submit(proof.page(), Map.of("code", "00000000"));
        assertThat(wrongCode.loggedIn()).isFalse();
        assertThat(wrongCode.page()).contains("That code is not right");
        String code = code(mail.await("nina@example.test", 1, Duration.ofSeconds(30)).get(0));
        LoginClient.Result setup = client.submit(wrongCode.page(), Map.of("code", code));
        assertThat(setup.loggedIn()).as("Keycloak's TOTP setup comes first").isFalse();
        String secret = hidden(setup.page(), "totpSecret");
        LoginClient.Result done = client.submit(setup.page(), Map.of("totp", Totp.code(secret), "totpSecret", secret,
                "userLabel", "phone"));
        assertThat(done.loggedIn()).as("%s", done).isTrue();
        JsonNode status = server.admin().get(mfa + "/users/" + userId("nina")).expect(200).json();
        assertThat(status.get("state").asText()).isEqualTo("enrolled");
        assertThat(status.get("factors").toString()).contains("otp");
    }

    @Test
    @DisplayName("Grace by days: a policy that began 40 days ago with 30 days of grace leaves an old account no skip, while an account created today still has 30 days")
    void graceByDays() {
        policy(Map.of("mode", "enforce", "graceDays", 30, "graceStart", Instant.now().minusMillis(40 * DAY).toString(),
                "enrollmentProof", "never"));
        LoginClient old = new LoginClient(server.baseUrl());
        LoginClient.Result overdue = login(old, "oldie");
        assertThat(overdue.loggedIn()).isFalse();
        assertThat(overdue.page()).contains(ENROLL_PAGE).doesNotContain("sentinel-mfa-skip");
        LoginClient.Result enroll = old.submit(overdue.page(), Map.of("factor", "otp"));
        assertThat(enroll.page()).as("enrollmentProof never: straight to Keycloak's setup").contains("totpSecret");

        LoginClient.Result fresh = login(new LoginClient(server.baseUrl()), "nina");
        assertThat(fresh.page()).contains("sentinel-mfa-skip").contains("30 more day(s)");
        JsonNode compliance = server.admin().get(mfa + "/compliance?list=overdue").expect(200).json();
        assertThat(compliance.get("overdue").asInt()).isEqualTo(1);
        assertThat(compliance.get("users").get(0).get("username").asText()).isEqualTo("oldie");
        assertThat(compliance.get("enrolled").asInt()).isEqualTo(1); // olga
        assertThat(compliance.get("inGrace").asInt()).isEqualTo(5);
        assertThat(compliance.get("covered").asInt()).isEqualTo(7);
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_mfa_users", "realm", realm.name(), "state", "overdue"))
                .hasValue(1.0);
    }

    @Test
    @DisplayName("Whoever has only the password cannot enroll their own authenticator in the grace through kc_action=CONFIGURE_TOTP: the emailed code comes first")
    void noEnrollmentThroughApplicationInitiatedAction() {
        policy(Map.of("mode", "enforce", "graceDays", 30));
        LoginClient attacker = stranger().withAuthParam("kc_action", "CONFIGURE_TOTP");
        LoginClient.Result grace = login(attacker, "nina");
        assertThat(grace.page()).contains(ENROLL_PAGE);
        LoginClient.Result skip = attacker.submit(grace.page(), Map.of("skip", "true"));
        assertThat(skip.loggedIn()).isFalse();
        assertThat(skip.page()).contains(CODE_PAGE).doesNotContain("totpSecret");
        LoginClient.Result guess = attacker.submit(skip.page(), Map.of("code", "12345678"));
        assertThat(guess.page()).contains(CODE_PAGE).doesNotContain("totpSecret");
        JsonNode credentials = server.admin().get(realmPath() + "/users/" + userId("nina") + "/credentials").expect(200).json();
        assertThat(credentials.toString()).doesNotContain("\"otp\"");
        // the owner, with the mail: Keycloak's setup page follows, as asked
        String code = code(mail.await("nina@example.test", 1, Duration.ofSeconds(30)).get(0));
        assertThat(attacker.submit(guess.page(), Map.of("code", code)).page()).contains("totpSecret");
    }

    @Test
    @DisplayName("Monitoring only: an overdue user signs in without a page, and the would-be enrollment is counted")
    void monitorOnly() {
        policy(Map.of("mode", "monitor", "graceDays", 0));
        assertThat(login(new LoginClient(server.baseUrl()), "nina").loggedIn()).isTrue();
        assertThat(Metrics.value(Metrics.scrape(server), "sentinel_mfa_total", "realm", realm.name(), "outcome",
                "monitored_overdue")).hasValue(1.0);
    }

    @Test
    @DisplayName("Grace by logins: two skips, then the page has no skip and a forged skip is refused")
    void graceByLogins() {
        policy(Map.of("mode", "enforce", "graceDays", 365, "graceLogins", 2, "enrollmentProof", "never"));
        for (int left = 2; left >= 1; left--) {
            LoginClient client = new LoginClient(server.baseUrl());
            LoginClient.Result page = login(client, "nina");
            assertThat(page.page()).contains("skip this " + left + " more time(s)");
            assertThat(client.submit(page.page(), Map.of("skip", "true")).loggedIn()).isTrue();
        }
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result third = login(client, "nina");
        assertThat(third.page()).contains(ENROLL_PAGE).doesNotContain("sentinel-mfa-skip");
        LoginClient.Result forged = client.submit(third.page(), Map.of("skip", "true"));
        assertThat(forged.loggedIn()).isFalse();
        assertThat(forged.page()).contains("run out");
        JsonNode status = server.admin().get(mfa + "/users/" + userId("nina")).expect(200).json();
        assertThat(status.get("state").asText()).isEqualTo("overdue");
        assertThat(status.get("loginsLeft").asInt()).isZero();
        // the admin gives a new grace (a lost phone): skips again
        server.admin().post(mfa + "/users/" + userId("nina") + "/grace", Map.of()).expect(200);
        LoginClient again = new LoginClient(server.baseUrl());
        assertThat(login(again, "nina").page()).contains("skip this 2 more time(s)");
    }

    @Test
    @DisplayName("Organization and group scopes: each covers its members only; a member of both gets the strictest grace; exemptions by user and group")
    void organizationGroupAndExemptions() {
        JsonNode created = server.admin().post(realmPath() + "/organizations",
                Map.of("name", "Acme", "alias", "acme", "domains", List.of(Map.of("name", "acme.test")))).expect(201).json();
        String orgId = server.admin().get(realmPath() + "/organizations?search=Acme").expect(200).json().get(0).get("id").asText();
        server.admin().post(realmPath() + "/organizations/" + orgId + "/members", userId("oscar")).expect(201);
        server.admin().post(realmPath() + "/organizations/" + orgId + "/members", userId("gina")).expect(201);
        policy(Map.of("mode", "enforce", "scopes", List.of("organization:acme", "group:/staff;graceDays=0"), "graceDays", 14,
                "enrollmentProof", "never"));

        LoginClient.Result oscar = login(new LoginClient(server.baseUrl()), "oscar");
        assertThat(oscar.page()).as("acme member: 14 days").contains("14 more day(s)");
        LoginClient.Result gina = login(new LoginClient(server.baseUrl()), "gina");
        assertThat(gina.page()).as("in acme (14 days) and /staff (0 days): the strictest").contains(ENROLL_PAGE)
                .doesNotContain("sentinel-mfa-skip");
        assertThat(login(new LoginClient(server.baseUrl()), "nina").loggedIn()).as("in no scope").isTrue();

        policy(Map.of("scopes", List.of("realm"), "graceDays", 0, "exempt", List.of("user:breakglass", "group:/service")));
        assertThat(login(new LoginClient(server.baseUrl()), "breakglass").loggedIn()).as("exempt user").isTrue();
        assertThat(login(new LoginClient(server.baseUrl()), "sam").loggedIn()).as("exempt group").isTrue();
        assertThat(login(new LoginClient(server.baseUrl()), "nina").page()).contains(ENROLL_PAGE);
        JsonNode compliance = server.admin().get(mfa + "/compliance").expect(200).json();
        assertThat(compliance.get("exempt").asInt()).isEqualTo(2);
    }

    @Test
    @DisplayName("Step-up while the realm is under attack: a correct password from an unknown device gets an emailed code challenge and no token without it; a known device signs in")
    void stepUpUnderAttack() {
        // no MFA policy at all: step-up alone (its defaults: high risk -> second proof)
        LoginClient home = knownBrowser("nina");
        Attacks.underAttack(server, realm.name());

        LoginClient stranger = stranger();
        LoginClient.Result challenged = login(stranger, "nina");
        assertThat(challenged.loggedIn()).isFalse();
        assertThat(challenged.page()).contains(CODE_PAGE).contains("looks unusual");
        LoginClient.Result wrong = stranger.submit(challenged.page(), Map.of("code", "12345678"));
        assertThat(wrong.loggedIn()).isFalse();
        String code = code(mail.await("nina@example.test", 1, Duration.ofSeconds(30)).get(0));
        LoginClient.Result in = stranger.submit(wrong.page(), Map.of("code", code));
        assertThat(in.loggedIn()).as("%s", in).isTrue();

        LoginClient.Result known = login(home, "nina");
        assertThat(known.loggedIn()).as("the browser nina used before: one level lower, no step-up").isTrue();

        // refuse instead: an unknown device gets no way in at all
        policy(Map.of("stepUpHigh", "refuse"));
        LoginClient.Result refused = login(stranger("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 "
                + "(KHTML, like Gecko) Version/17.0 Safari/605.1.15"), "nina");
        assertThat(refused.loggedIn()).isFalse();
        assertThat(refused.page()).contains("looks risky and was blocked");
        // monitoring only: logged and counted, the login goes through
        policy(Map.of("stepUp", "monitor"));
        assertThat(login(stranger("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36"), "nina").loggedIn()).isTrue();
    }

    @Test
    @DisplayName("'Any unknown device' level: a user without a second factor proves the email on a new device, not on a known one")
    void unknownDeviceLevel() {
        LoginClient home = knownBrowser("nina");
        policy(Map.of("stepUpUnknownDevice", "second-proof"));
        LoginClient.Result again = login(home, "nina");
        assertThat(again.loggedIn()).as("%s", again).isTrue();
        LoginClient.Result challenged = login(stranger(), "nina");
        assertThat(challenged.page()).contains(CODE_PAGE);
    }

    @Test
    @DisplayName("A look-alike browser (same browser and OS family, same network, no cookie) is not a known device: its sign-in and its new cookie, later, are asked for the emailed code until a code is given on it")
    void lookAlikeIsNotKnown() {
        knownBrowser("nina"); // the owner's browser at home
        // the intruder: the same families from the owner's network, without the cookie; no step-up yet
        LoginClient lookAlike = new LoginClient(server.baseUrl());
        assertThat(login(lookAlike, "nina").loggedIn()).isTrue();
        server.admin().post(realmPath() + "/users/" + userId("nina") + "/logout", Map.of()).expect(204);

        policy(Map.of("stepUpUnknownDevice", "second-proof"));
        int before = mail.to("nina@example.test").size();
        LoginClient.Result again = login(lookAlike, "nina");
        assertThat(again.page()).as("the cookie the look-alike got: not a known device").contains(CODE_PAGE);
        String code = code(mail.await("nina@example.test", before + 1, Duration.ofSeconds(30)).get(before));
        assertThat(lookAlike.submit(again.page(), Map.of("code", code)).loggedIn()).isTrue();
        server.admin().post(realmPath() + "/users/" + userId("nina") + "/logout", Map.of()).expect(204);
        // proven by the code given on it: a known device from now on
        assertThat(login(lookAlike, "nina").loggedIn()).isTrue();
        JsonNode devices = server.admin().get(realmPath() + "/sentinel-admin/users/" + userId("nina") + "/devices")
                .expect(200).json().get("devices");
        assertThat(devices.findValues("lookAlike")).as("%s", devices).hasSize(2).noneMatch(JsonNode::asBoolean);
        // and signals alone, without a cookie, still are not
        assertThat(login(new LoginClient(server.baseUrl()), "nina").page()).contains(CODE_PAGE);
    }

    @Test
    @DisplayName("A user exemption is pinned to the account: the admin view shows its name; a new account with the same name, after the old one was deleted, is not exempt")
    void exemptionPinnedToAccount() {
        JsonNode saved = policy(Map.of("mode", "enforce", "graceDays", 0, "exempt", List.of("user:oscar")));
        assertThat(saved.get("exempt").toString()).contains("user:oscar");
        String oscar = userId("oscar");
        assertThat(server.admin().get(mfa + "/users/" + oscar).expect(200).json().get("state").asText()).isEqualTo("exempt");

        server.admin().delete(realmPath() + "/users/" + oscar).expect(204);
        server.admin().post(realmPath() + "/users", Map.of("username", "oscar", "enabled", true, "email",
                "oscar-new@example.test", "emailVerified", true, "firstName", "Oscar", "lastName", "New")).expect(201);
        String newcomer = userId("oscar");
        assertThat(newcomer).isNotEqualTo(oscar);
        assertThat(server.admin().get(mfa + "/users/" + newcomer).expect(200).json().get("state").asText())
                .as("the new account of the same name").isNotEqualTo("exempt");
        JsonNode shown = server.admin().get(mfa).expect(200).json();
        assertThat(shown.get("exempt").toString()).as("a deleted account's exemption, shown as its id")
                .contains("user_id:" + oscar);
        assertThat(shown.get("problems").toString()).contains("no such user");
    }

    @Test
    @DisplayName("Reset credentials: after the emailed link, a user with OTP must give a code before the new password")
    void resetAsksSecondFactor() throws Exception {
        policy(Map.of("mode", "enforce"));
        LoginClient client = new LoginClient(server.baseUrl());
        client.submitLinkedForm(realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, "/login-actions/reset-credentials",
                Map.of("username", "olga"));
        MailServer.Mail email = mail.await("olga@example.test", 1, Duration.ofSeconds(30)).get(0);
        LoginClient.Result otpPage = client.open(email.link("/login-actions/action-token"));
        assertThat(otpPage.page()).as("the second factor before the new password").contains("name=\"otp\"")
                .doesNotContain("password-new");
        LoginClient.Result wrong = client.submit(otpPage.page(), Map.of("otp", Totp.wrong(OTP_SECRET + "olga")));
        assertThat(wrong.page()).doesNotContain("password-new");
        LoginClient.Result newPassword = client.submit(wrong.page(), Map.of("otp", Totp.code(OTP_SECRET + "olga")));
        assertThat(newPassword.page()).contains("password-new");
        String changed = "Changed-after-reset-77";
        LoginClient.Result done = client.submit(newPassword.page(), Map.of("password-new", changed, "password-confirm", changed));
        assertThat(done.loggedIn()).as("%s", done).isTrue();
    }

    @Test
    @DisplayName("The last factor: the account API marks it not removable and refuses to delete it; an admin can, and the user is back in the grace")
    void lastFactor() throws Exception {
        policy(Map.of("mode", "enforce", "graceDays", 7));
        LoginClient client = new LoginClient(server.baseUrl());
        LoginClient.Result otpPage = login(client, "olga");
        LoginClient.Result in = client.submit(otpPage.page(), Map.of("otp", Totp.code(OTP_SECRET + "olga")));
        assertThat(in.loggedIn()).isTrue();
        String token = in.tokens().get("access_token").asText();
        HttpClient http = HttpClient.newHttpClient();
        URI credentials = server.baseUrl().resolve("/realms/" + realm.name() + "/account/credentials");
        JsonNode types = account(http, credentials, token);
        JsonNode otpType = null;
        for (JsonNode t : types) {
            if ("otp".equals(t.get("type").asText())) {
                otpType = t;
            }
        }
        assertThat(otpType).isNotNull();
        assertThat(otpType.get("removeable").asBoolean()).isFalse();
        String credentialId = null;
        for (JsonNode c : server.admin().get(realmPath() + "/users/" + userId("olga") + "/credentials").expect(200).json()) {
            if ("otp".equals(c.get("type").asText())) {
                credentialId = c.get("id").asText();
            }
        }
        assertThat(credentialId).isNotNull();
        HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create(credentials + "/" + credentialId))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(400);
        JsonNode still = server.admin().get(realmPath() + "/users/" + userId("olga") + "/credentials").expect(200).json();
        assertThat(still.toString()).contains("\"otp\"");

        // without the policy the same removal is the user's choice (Keycloak's behaviour)
        policy(Map.of("mode", "off"));
        JsonNode unguarded = account(http, credentials, token);
        assertThat(unguarded.toString()).contains("\"removeable\":true");
        policy(Map.of("mode", "enforce"));

        // an admin may: then olga is in her grace again (her account is new, so 7 days remain)
        server.admin().delete(realmPath() + "/users/" + userId("olga") + "/credentials/" + credentialId).expect(204);
        LoginClient.Result grace = login(new LoginClient(server.baseUrl()), "olga");
        assertThat(grace.page()).contains(ENROLL_PAGE).contains("7 more day(s)");
    }

    @Test
    @DisplayName("The password grant (no pages): a covered user with OTP needs the totp parameter, an overdue one is refused, one in grace passes")
    void passwordGrant() {
        JsonNode client = server.admin().get(realmPath() + "/clients?clientId=" + TestRealm.CLIENT_ID).expect(200).json().get(0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("directAccessGrantsEnabled", true);
        server.admin().put(realmPath() + "/clients/" + client.get("id").asText(), client).expect(204);
        policy(Map.of("mode", "enforce", "scopes", List.of("realm", "group:/staff;graceDays=0")));
        AdminApi.Response noCode = passwordGrant("olga", Map.of());
        assertThat(noCode.status()).as("Keycloak's own OTP step refuses first").isIn(400, 401);
        assertThat(noCode.body()).contains("invalid_grant").doesNotContain("access_token");
        assertThat(passwordGrant("olga", Map.of("totp", Totp.code(OTP_SECRET + "olga"))).status()).isEqualTo(200);
        AdminApi.Response overdue = passwordGrant("gina", Map.of());
        AdminApi.Response wrong = passwordGrant("gina", Map.of("password", "not-" + PASSWORD));
        // the right password of an overdue user is refused exactly as a wrong one (no oracle for a bot) ...
        assertThat(overdue.status()).isEqualTo(wrong.status()).isEqualTo(400);
        assertThat(overdue.body()).isEqualTo(wrong.body()).contains("invalid_grant").doesNotContain("access_token");
        // ... and gina is told that her password was used
        MailServer.Mail told = mail.await("gina@example.test", 1, Duration.ofSeconds(30)).get(0);
        assertThat(told.subject()).contains("password was just used");
        assertThat(told.text()).doesNotContain(PASSWORD);
        assertThat(passwordGrant("nina", Map.of()).status()).as("in grace").isEqualTo(200);
    }

    private AdminApi.Response passwordGrant(String username, Map<String, String> extra) {
        Map<String, String> form = new HashMap<>(Map.of("grant_type", "password", "client_id", TestRealm.CLIENT_ID,
                "scope", "openid", "username", username, "password", PASSWORD));
        form.putAll(extra);
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.baseUrl()
                            .resolve("/realms/" + realm.name() + "/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(LoginClient.form(form))).build(), HttpResponse.BodyHandlers.ofString());
            return new AdminApi.Response(r.statusCode(), r.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("Bad policies: unknown organization, group, role or user, no factor, bad grace, duplicate scope: 400 naming it, nothing saved")
    void badPolicies() {
        List<Map<String, Object>> bad = List.of(
                Map.of("scopes", List.of("group:/nope")),
                Map.of("scopes", List.of("organization:nope")),
                Map.of("scopes", List.of("role:nope")),
                Map.of("exempt", List.of("user:nobody")),
                Map.of("scopes", List.of("bogus:x")),
                Map.of("scopes", List.of("realm", "realm")),
                Map.of("scopes", List.of("group:/staff;graceDays=-1")),
                Map.of("factors", List.of()),
                Map.of("factors", List.of("sms")),
                Map.of("graceDays", -1),
                Map.of("graceStart", "yesterday"),
                Map.of("mode", "sometimes"),
                Map.of("stepUpHigh", "maybe"));
        for (Map<String, Object> update : bad) {
            Map<String, Object> withMode = new HashMap<>(update);
            withMode.put("mode", update.getOrDefault("mode", "enforce"));
            AdminApi.Response r = server.admin().put(mfa, withMode);
            assertThat(r.status()).as("%s -> %s", update, r.body()).isEqualTo(400);
            String key = update.keySet().iterator().next();
            assertThat(r.json().get("error").asText()).as("%s", update).contains(key.equals("exempt") ? "exemption" :
                    key.equals("scopes") ? "scope" : key);
        }
        JsonNode saved = server.admin().get(mfa).expect(200).json();
        assertThat(saved.get("mode").asText()).isEqualTo("off");
        assertThat(saved.get("scopes").toString()).isEqualTo("[\"realm\"]");
        assertThat(server.admin().get(mfa + "/compliance?list=everyone").status()).isEqualTo(400);
        assertThat(server.admin().get(mfa + "/users/no-such-user").status()).isEqualTo(404);
    }

    /** The account console's view of the user's credential types (the user's own token). */
    private static JsonNode account(HttpClient http, URI credentials, String token) throws Exception {
        String listed = http.send(HttpRequest.newBuilder(credentials).header("Authorization", "Bearer " + token)
                .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        JsonNode types = AdminApi.JSON.readTree(listed);
        assertThat(types.isArray()).as(listed).isTrue();
        return types;
    }

    private String userId(String username) {
        return server.admin().userId(realm.name(), username);
    }

    private static String code(MailServer.Mail m) {
        Matcher c = Pattern.compile("\\b(\\d{8})\\b").matcher(m.text());
        assertThat(c.find()).as("an 8-digit code in:\n%s", m.text()).isTrue();
        return c.group(1);
    }

    private static String hidden(String page, String name) {
        Matcher m = Pattern.compile("name=\"" + name + "\"[^>]*value=\"([^\"]+)\"|value=\"([^\"]+)\"[^>]*name=\"" + name + "\"")
                .matcher(page);
        assertThat(m.find()).as("hidden field %s on\n%s", name, page).isTrue();
        return m.group(1) != null ? m.group(1) : m.group(2);
    }
}
