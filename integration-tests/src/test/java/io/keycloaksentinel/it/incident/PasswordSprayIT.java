package io.keycloaksentinel.it.incident;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.CodeFlow;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Password spraying (issue 16) against a realm with Sentinel's ready flows and the containment
 * policy on: one common password tried once on each of {@value #ACCOUNTS} existing accounts, one
 * attempt every {@value #GAP_MS} ms (20 a minute, under every realm threshold), each from its own
 * /24, through whichever endpoint answers: the browser form (the bot solves the proof-of-work) and
 * the password grant of {@code admin-cli}. Ten accounts use that password. Bounded: one attempt at a
 * time, every socket with a timeout.
 */
@KeycloakIT
@DisplayName("Password spraying: one password across many accounts, from many networks, under every other threshold")
class PasswordSprayIT {

    private static final int ACCOUNTS = 32;
    /** 20 attempts a minute: well under the fresh realm's minute rule (30 failures a minute with no baseline). */
    private static final long GAP_MS = 3_000;
    private static final String SPRAYED = "Summer2026!";
    /** The realm's default sprayAccountsPerHour. */
    private static final int N = 10;
    /** The spray's order: these accounts use the sprayed password (three before the flag can come, seven after). */
    private static final Set<Integer> USES_IT = Set.of(1, 4, 7, 12, 15, 19, 22, 25, 28, 31);
    /** A victim who signed in from home before: after the spray, their own browser still signs in with it. */
    private static final int OWNER = 28;
    private static final String UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    private final KeycloakServer server;
    private TestRealm realm;
    private MailServer mail;
    private String base;

    PasswordSprayIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        mail = new MailServer();
        TestRealm.Builder builder = TestRealm.builder("spray");
        for (int i = 0; i < ACCOUNTS; i++) {
            builder.user("staff" + i, "Init-pass-" + i);
        }
        realm = builder.customize(r -> r.setSmtpServer(mail.realmSmtp())).create(server);
        base = "/admin/realms/" + realm.name() + "/sentinel-admin";
        assertThat(server.admin().post(base + "/mfa/flows?bind=true", Map.of()).expect(200).json().get("bound").asBoolean())
                .isTrue();
        server.admin().put(base + "/incident/containment", Map.of("containment", "contain")).expect(200);
        JsonNode config = server.admin().get(base + "/config").expect(200).json();
        assertThat(config.get("sprayAccountsPerHour").asLong()).as("the default").isEqualTo(N);
        assertThat(config.get("newNetworkAccountsPerHour").asLong()).as("the default").isEqualTo(30);
        // bad values: a 400 that names the field, nothing saved
        for (Object bad : List.of(2, -1, "ten", 10_000_001L)) {
            AdminApi.Response refused = server.admin().put(base + "/config", Map.of("sprayAccountsPerHour", bad));
            assertThat(refused.status()).as("sprayAccountsPerHour %s", bad).isEqualTo(400);
            assertThat(refused.body()).contains("sprayAccountsPerHour");
        }
        assertThat(server.admin().put(base + "/config", Map.of("newNetworkAccountsPerHour", -1)).status()).isEqualTo(400);
        JsonNode after = server.admin().get(base + "/config").expect(200).json();
        assertThat(after.get("sprayAccountsPerHour").asLong()).isEqualTo(N);
        assertThat(after.get("newNetworkAccountsPerHour").asLong()).isEqualTo(30);
    }

    @AfterEach
    void tearDown() {
        realm.close();
        mail.close();
    }

    /** 127.{b}.{c}.1: every attacker address in its own /24. */
    private static InetAddress spread(int b, int c) {
        return SourceBoundLogin.loopback(b, c, 1);
    }

    private record Answer(String endpoint, int status, String error, CodeFlow.Tokens tokens) {
    }

    @Test
    @DisplayName("The password is flagged after 10 accounts; no account is entered after that, right and wrong passwords answer alike, and the accounts entered before are listed, contained and told")
    void spray() throws Exception {
        // the owner of one victim account signed in from home before (a known network and device)
        Browser ownerHome = new Browser(SourceBoundLogin.loopback(5, 0, OWNER), UA);
        assertThat(CodeFlow.signIn(server, realm.name(), ownerHome, "staff" + OWNER, "Init-pass-" + OWNER, true)).isNotNull();
        signOut("staff" + OWNER); // the browser keeps Sentinel's device cookie, not the session
        for (int i : USES_IT) {
            setPassword("staff" + i, SPRAYED).expect(204);
        }
        knownFromHome("staff" + OWNER);

        Map<Integer, Answer> answers = playSpray();
        JsonNode attack = server.admin().get(base + "/attack").expect(200).json();
        JsonNode sprays = attack.get("sprays");
        Set<Integer> entered = new TreeSet<>();
        answers.forEach((i, a) -> {
            if (a.tokens() != null) {
                entered.add(i);
            }
        });
        long flaggedAfter = sprays.get("lastAccountsTried").asLong();
        System.out.printf("[password spray, one attempt every %d ms, each from its own /24, form and admin-cli grant]"
                        + " flagged after %d accounts; realm state at the end %s (%s); entered %s of the %d that use it %s;"
                        + " answers %s%n", GAP_MS, flaggedAfter, attack.get("state").asText(), attack.get("reason").asText(),
                entered, USES_IT.size(), new TreeSet<>(USES_IT), answers.values().stream()
                        .map(a -> a.endpoint() + ":" + a.status() + ":" + a.error()).distinct().toList());

        assertThat(sprays.get("flaggedLastHour").asLong()).as("one sprayed password").isEqualTo(1);
        assertThat(flaggedAfter).as("flagged once N accounts were tried from networks new to them").isBetween((long) N, N + 1L);
        assertThat(attack.get("state").asText()).as("every other signal stays under its threshold").isNotEqualTo("UNDER_ATTACK");
        Poll.until("every account the spray failed on counted by the low-and-slow signal", Duration.ofSeconds(10),
                () -> server.admin().get(base + "/attack").expect(200).json().at("/signals/lastHour/newNetworkAccounts")
                        .asLong() == ACCOUNTS - entered.size() ? Boolean.TRUE : null);
        assertThat(entered).as("the spray worked before the flag").isNotEmpty().allMatch(USES_IT::contains)
                .allMatch(i -> i < N);
        for (int i : USES_IT) {
            if (i >= N) {
                assertThat(answers.get(i).tokens()).as("staff%d after the flag", i).isNull();
            }
        }
        // after the flag the answer says nothing: the accounts that use the password answer as those that do not
        List<String> forms = new ArrayList<>();
        List<String> grants = new ArrayList<>();
        answers.forEach((i, a) -> {
            if (i >= N + 1) {
                (a.endpoint().equals("form") ? forms : grants).add(a.status() + " " + a.error());
            }
        });
        assertThat(forms).hasSizeGreaterThanOrEqualTo(9).allMatch(forms.get(0)::equals);
        assertThat(forms.get(0)).isEqualTo("200 Invalid username or password.");
        assertThat(grants).hasSizeGreaterThanOrEqualTo(9).allMatch(grants.get(0)::equals);
        assertThat(grants.get(0)).startsWith("400 ").contains("invalid_grant");

        // the finder lists every account the spray entered; containment ended their sessions and told them
        JsonNode found = server.admin().get(base + "/incident/compromised").expect(200).json();
        Map<String, JsonNode> listed = new LinkedHashMap<>();
        found.get("accounts").forEach(a -> listed.put(a.get("username").asText(), a));
        for (int i : entered) {
            JsonNode a = listed.get("staff" + i);
            assertThat(a).as("staff%d listed by the finder", i).isNotNull();
            assertThat(a.get("logins").toString()).contains("password-spraying").contains("sprayed-password");
            assertThat(a.get("contained").asBoolean()).isTrue();
            Poll.until("staff" + i + "'s refresh token ended", Duration.ofSeconds(15),
                    () -> refreshStatus(answers.get(i).tokens().refreshToken()) != 200 ? Boolean.TRUE : null);
            assertThat(mail.await("staff" + i + "@example.test", 1, Duration.ofSeconds(30)).get(0).text())
                    .contains("trying on many accounts");
        }
        // the bot comes back to an account it entered, from the network it entered from: containment forgot that
        // network for the account, so the sprayed password is refused there as a wrong password is (before, the network
        // stayed known and the bot was asked a second proof, which also told it the password was right)
        int first = entered.iterator().next();
        Browser returning = new Browser(spread(80, first), UA);
        Browser.Page back = returning.follow(server.baseUrl(),
                CodeFlow.post(server, realm.name(), returning, "staff" + first, SPRAYED, true), TestRealm.REDIRECT_URI);
        assertThat(back.body()).as("the bot back on the network containment forgot").contains("Invalid username or password.")
                .doesNotContain("sentinel-email-code");
        assertThat(listed.keySet()).as("only accounts the spray entered").allMatch(u -> entered.contains(
                Integer.parseInt(u.substring("staff".length()))));

        // the owner, from home (a known device and network): signs in with the sprayed password and must choose another
        Browser.Page update = ownerHome.follow(server.baseUrl(),
                CodeFlow.post(server, realm.name(), ownerHome, "staff" + OWNER, SPRAYED, true), TestRealm.REDIRECT_URI);
        assertThat(update.body()).as("asked to change the password").contains("login-update-password").contains("password-new");
        Browser.Page same = ownerHome.post(server.baseUrl(), CodeFlow.formAction(update.body()),
                Map.of("password-new", SPRAYED, "password-confirm", SPRAYED));
        assertThat(same.body()).as("the sprayed password is refused as the new one")
                .contains("being tried on many accounts").contains("password-new");
        Browser.Page changed = ownerHome.follow(server.baseUrl(), ownerHome.post(server.baseUrl(),
                CodeFlow.formAction(same.body()), Map.of("password-new", "Own-choice-" + OWNER + "-x",
                        "password-confirm", "Own-choice-" + OWNER + "-x")), TestRealm.REDIRECT_URI);
        assertThat(CodeFlow.tokens(server, realm.name(), ownerHome, changed.location(), "staff" + OWNER)).isNotNull();

        // and an admin cannot set it either, while it is sprayed
        AdminApi.Response refused = setPassword("staff0", SPRAYED);
        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).containsAnyOf("sentinelSprayedPasswordMessage", "being tried on many accounts");
    }

    @Test
    @DisplayName("The same spray with the rule off (sprayAccountsPerHour 0): every account that uses the password is entered")
    void withoutTheRule() throws Exception {
        server.admin().put(base + "/config", Map.of("sprayAccountsPerHour", 0)).expect(200);
        for (int i : USES_IT) {
            setPassword("staff" + i, SPRAYED).expect(204);
        }
        Map<Integer, Answer> answers = playSpray();
        Set<Integer> entered = new TreeSet<>();
        answers.forEach((i, a) -> {
            if (a.tokens() != null) {
                entered.add(i);
            }
        });
        JsonNode attack = server.admin().get(base + "/attack").expect(200).json();
        System.out.printf("[password spray, rule off] entered %s of the %d that use it; realm state %s%n", entered,
                USES_IT.size(), attack.get("state").asText());
        assertThat(entered).isEqualTo(new TreeSet<>(USES_IT));
        assertThat(attack.at("/sprays/flaggedLastHour").asLong()).isZero();
    }

    @Test
    @DisplayName("A benign replay raises no flag: users who share a popular password sign in from their usual browsers, with typos, and a few from new networks")
    void benign() throws Exception {
        int shared = 16;
        List<Browser> homes = new ArrayList<>();
        for (int i = 0; i < shared; i++) {
            Browser home = new Browser(SourceBoundLogin.loopback(6, i, 1), UA);
            assertThat(CodeFlow.signIn(server, realm.name(), home, "staff" + i, "Init-pass-" + i, true)).isNotNull();
            signOut("staff" + i);
            homes.add(home);
        }
        for (int i = 0; i < shared + 3; i++) {
            setPassword("staff" + i, SPRAYED).expect(204); // a popular password, chosen by many
        }
        knownFromHome("staff" + (shared - 1));
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < shared; i++) {
            // a typo first (the same one for everybody), then the right password, from the usual browser
            assertThat(CodeFlow.signIn(server, realm.name(), homes.get(i), "staff" + i, "Summer2026", true)).isNull();
            if (CodeFlow.signIn(server, realm.name(), homes.get(i), "staff" + i, SPRAYED, true) == null) {
                failed.add("staff" + i);
            }
        }
        // three of them travel: the popular password from networks new to them (fewer than N)
        for (int i = shared; i < shared + 3; i++) {
            if (CodeFlow.signIn(server, realm.name(), new Browser(spread(90, i), UA), "staff" + i, SPRAYED, true) == null) {
                failed.add("staff" + i);
            }
        }
        // others mistype their own passwords on the road
        for (int i = shared + 3; i < shared + 13; i++) {
            assertThat(CodeFlow.signIn(server, realm.name(), new Browser(spread(91, i), UA), "staff" + i, "Init-pass-" + i + "x",
                    true)).isNull();
        }
        JsonNode attack = server.admin().get(base + "/attack").expect(200).json();
        System.out.printf("[benign replay] %d users sharing one password signed in from home, 3 from new networks;"
                + " sprays %s; state %s%n", shared, attack.get("sprays"), attack.get("state").asText());
        assertThat(failed).as("every user signs in").isEmpty();
        assertThat(attack.at("/sprays/flaggedLastHour").asLong()).as("no spray flag").isZero();
        assertThat(attack.get("state").asText()).as("nor the low-and-slow rule").isEqualTo("NORMAL");
        for (int i = 0; i < shared + 3; i++) {
            JsonNode user = server.admin().get("/admin/realms/" + realm.name() + "/users/"
                    + server.admin().userId(realm.name(), "staff" + i)).expect(200).json();
            assertThat(user.get("requiredActions").toString()).as("staff%d not asked to change", i)
                    .doesNotContain("UPDATE_PASSWORD");
        }
    }

    /** The spray: one attempt per account, one every {@value #GAP_MS} ms, each from its own /24. */
    private Map<Integer, Answer> playSpray() throws InterruptedException {
        Map<Integer, Answer> answers = new TreeMap<>();
        long start = System.currentTimeMillis();
        for (int i = 0; i < ACCOUNTS; i++) {
            sleepUntil(start + i * GAP_MS);
            answers.put(i, attempt(i, "staff" + i, SPRAYED));
        }
        return answers;
    }

    /** Attempt {@code i} of the spray: even ones through the browser form, odd ones through admin-cli's password grant. */
    private Answer attempt(int i, String username, String password) {
        Browser bot = new Browser(spread(80 + i / 250, i % 250), UA);
        if (i % 2 == 0) {
            String error = null;
            for (int tries = 0; tries < 2; tries++) { // a form that asks again (a fresh challenge) is tried once more
                Browser.Page posted = CodeFlow.post(server, realm.name(), bot, username, password, true);
                if (posted.status() == 302) {
                    return new Answer("form", 302, null, CodeFlow.tokens(server, realm.name(), bot, posted.location(), username));
                }
                error = posted.status() + (posted.body().contains("Invalid username or password.") ? " wrong" : " other");
                if (error.endsWith("wrong")) {
                    return new Answer("form", posted.status(), "Invalid username or password.", null);
                }
            }
            return new Answer("form", -1, error, null);
        }
        Browser.Page posted = bot.post(server.baseUrl(), "/realms/" + realm.name() + "/protocol/openid-connect/token",
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", username, "password", password));
        if (posted.status() == 200) {
            try {
                JsonNode t = AdminApi.JSON.readTree(posted.body());
                return new Answer("grant", 200, null, new CodeFlow.Tokens(t.get("refresh_token").asText(), null));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        return new Answer("grant", posted.status(), posted.body(), null);
    }

    private void signOut(String username) {
        server.admin().post("/admin/realms/" + realm.name() + "/users/" + server.admin().userId(realm.name(), username)
                + "/logout", Map.of()).expect(204);
    }

    private AdminApi.Response setPassword(String username, String password) {
        return server.admin().put("/admin/realms/" + realm.name() + "/users/" + server.admin().userId(realm.name(), username)
                + "/reset-password", Map.of("type", "password", "value", password, "temporary", false));
    }

    /** Waits until the account's home network is known (remembered at the sign-in, flushed in the background). */
    private void knownFromHome(String username) {
        int i = Integer.parseInt(username.substring("staff".length()));
        String probe = (i == OWNER ? SourceBoundLogin.loopback(5, 0, 200) : SourceBoundLogin.loopback(6, i, 200)).getHostAddress();
        Poll.until("home known for " + username, Duration.ofSeconds(20), () -> server.admin().get(base + "/attack?ip=" + probe
                + "&username=" + AdminApi.enc(username)).expect(200).json().at("/risk/knownSource").asBoolean() ? Boolean.TRUE : null);
    }

    private int refreshStatus(String refreshToken) {
        return LoginClient.refresh(server.baseUrl(), realm.name(), "admin-cli", refreshToken).status() == 200
                || LoginClient.refresh(server.baseUrl(), realm.name(), TestRealm.CLIENT_ID, refreshToken).status() == 200 ? 200 : 400;
    }

    private static void sleepUntil(long epochMillis) throws InterruptedException {
        long wait = epochMillis - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }
}
