package io.keycloaksentinel.it.detection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.CodeFlow;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.Metrics;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's refusal before an authentication session: Sentinel's client-policy executor
 * {@code sentinel-early-refusal}, installed in a realm as a client profile and a policy with
 * Keycloak's {@code any-client} condition, through Keycloak's own admin API, as an admin would.
 */
@KeycloakIT
@DisplayName("Early refusal: a throttled source is refused before Keycloak creates an authentication session")
class EarlyRefusalIT {

    private static final String UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0";
    private static final String PASSWORD = "Early-pass-2026!";
    private static final String HASHES = "keycloak_credentials_password_hashing_validations_total";

    private final KeycloakServer server;
    private TestRealm realm;

    EarlyRefusalIT(KeycloakServer server) {
        this.server = server;
    }

    @AfterEach
    void tearDown() {
        if (realm != null) {
            realm.close();
        }
    }

    @Test
    @DisplayName("With the policy, a throttled source's login page and password grant get 429 with Retry-After, no session, no hash;"
            + " a signed-in browser, prompt=none and other sources go on as before; without it, the page is served as before")
    void throttledSourceRefusedBeforeSession() {
        realm = TestRealm.builder("early").user("erin", PASSWORD).user("sam", PASSWORD).create(server);
        server.admin().put(config(), Map.of("ipFailuresPerDay", 1)).expect(200);
        InetAddress shared = SourceBoundLogin.loopback(80, 0, 1);
        Browser signedIn = new Browser(shared, UA);
        assertThat(CodeFlow.signIn(server, realm.name(), signedIn, "erin", PASSWORD, false)).isNotNull();
        // one wrong password from the same address: it is throttled for the day
        Browser bot = new Browser(shared, "python-requests/2.32");
        assertThat(CodeFlow.post(server, realm.name(), bot, "sam", "Wrong-pass-1", false).status()).isEqualTo(200);
        assertThat(CodeFlow.post(server, realm.name(), bot, "sam", PASSWORD, false).status())
                .as("throttled: the post is refused in the flow").isEqualTo(429);

        // without the policy (today's behaviour): the page is served, with its authentication session
        Browser.Page before = new Browser(shared, "python-requests/2.32").get(server.baseUrl(), CodeFlow.authPath(realm.name()));
        assertThat(before.status()).isEqualTo(200);
        assertThat(before.cookieNames()).contains("AUTH_SESSION_ID");

        // the executor with its defaults: the grant is refused before its session, the page is served
        installPolicy(false);
        assertThat(grant(shared, PASSWORD).status()).isEqualTo(429);
        assertThat(new Browser(shared, UA).get(server.baseUrl(), CodeFlow.authPath(realm.name())).status())
                .as("refuse-login-page off: the page is served").isEqualTo(200);

        installPolicy(true);
        double hashes = hashes();
        double earlyBefore = early("refused_before_session");

        Browser.Page page = new Browser(shared, "python-requests/2.32").get(server.baseUrl(), CodeFlow.authPath(realm.name()));
        assertThat(page.status()).isEqualTo(429);
        assertThat(page.retryAfter()).isNotNull();
        assertThat(Long.parseLong(page.retryAfter())).isPositive();
        assertThat(page.body()).contains("Too many failed sign-in attempts came from your network");
        assertThat(page.cookieNames()).as("no authentication session").doesNotContain("AUTH_SESSION_ID");
        assertThat(early("login_page_refused")).isEqualTo(1.0);

        for (String password : List.of(PASSWORD, "Wrong-pass-2")) {
            Browser.Page grant = grant(shared, password);
            assertThat(grant.status()).as("grant with %s password", password.equals(PASSWORD) ? "the right" : "a wrong")
                    .isEqualTo(429);
            assertThat(grant.retryAfter()).isNotNull();
            JsonNode body = json(grant.body());
            assertThat(body.get("error").asText()).isEqualTo("invalid_grant");
            assertThat(body.get("error_description").asText()).isEqualTo("Too many failed sign-ins; try again later");
        }
        assertThat(early("refused_before_session") - earlyBefore).isEqualTo(2.0);
        assertThat(hashes()).as("no hash for a refusal").isEqualTo(hashes);

        // the browser that signed in before: single sign-on, no password, not refused
        assertThat(CodeFlow.ssoSignsIn(server, realm.name(), signedIn)).isTrue();
        // a forged session cookie does not bring the page back
        Browser forged = new Browser(shared, UA);
        Browser.Page withForged = forged.getWithHeader(server.baseUrl(), CodeFlow.authPath(realm.name()), "Cookie",
                "KEYCLOAK_IDENTITY=eyJhbGciOiJIUzUxMiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.AAAA");
        assertThat(withForged.status()).isEqualTo(429);
        // a request object carries its own prompt: the page (and Keycloak's checks of the object) as before
        assertThat(new Browser(shared, UA).get(server.baseUrl(), CodeFlow.authPath(realm.name()) + "&request_uri=urn%3Ax")
                .status()).isNotEqualTo(429);
        // prompt=none: Keycloak's answer, not a page
        Browser.Page silent = new Browser(shared, UA).get(server.baseUrl(), CodeFlow.authPath(realm.name()) + "&prompt=none");
        assertThat(silent.status()).isEqualTo(302);
        assertThat(silent.location()).contains("error=login_required");
        // another source: the page and the grant as before
        Browser other = new Browser(SourceBoundLogin.loopback(81, 0, 1), UA);
        assertThat(other.get(server.baseUrl(), CodeFlow.authPath(realm.name())).status()).isEqualTo(200);
        assertThat(CodeFlow.signIn(server, realm.name(), other, "sam", PASSWORD, false)).isNotNull();
    }

    @Test
    @DisplayName("A realm with an identity provider keeps its login page for a throttled source (a user there signs in with it)")
    void identityProviderKeepsThePage() {
        realm = TestRealm.builder("early-idp").user("sam", PASSWORD).create(server);
        server.admin().put(config(), Map.of("ipFailuresPerDay", 1)).expect(200);
        server.admin().post("/admin/realms/" + realm.name() + "/identity-provider/instances", Map.of("alias", "corp",
                "providerId", "oidc", "enabled", true, "config", Map.of("clientId", "sentinel-test",
                        "clientSecret", "not-used", "authorizationUrl", "https://idp.example.test/auth",
                        "tokenUrl", "https://idp.example.test/token", "clientAuthMethod", "client_secret_post")))
                .expect(201);
        installPolicy(true);
        Browser bot = new Browser(SourceBoundLogin.loopback(82, 0, 1), UA);
        assertThat(CodeFlow.post(server, realm.name(), bot, "sam", "Wrong-pass-1", false).status()).isEqualTo(200);
        Browser.Page page = bot.get(server.baseUrl(), CodeFlow.authPath(realm.name()));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("corp");
        assertThat(CodeFlow.post(server, realm.name(), bot, "sam", PASSWORD, false).status())
                .as("the password post is still refused in the flow").isEqualTo(429);
    }

    private Browser.Page grant(InetAddress source, String password) {
        return new Browser(source, "python-requests/2.32").post(server.baseUrl(),
                "/realms/" + realm.name() + "/protocol/openid-connect/token", Map.of("grant_type", "password",
                        "client_id", "admin-cli", "username", "sam", "password", password));
    }

    /** The executor in a client profile, applied to every client by a policy: Keycloak's own admin API. */
    private void installPolicy(boolean refuseLoginPage) {
        String base = "/admin/realms/" + realm.name() + "/client-policies/";
        server.admin().put(base + "profiles", Map.of("profiles", List.of(Map.of("name", "sentinel-early-refusal",
                "description", "Sentinel: refuse throttled sources before a session",
                "executors", List.of(Map.of("executor", "sentinel-early-refusal",
                        "configuration", refuseLoginPage ? Map.of("refuse-login-page", "true") : Map.of()))))))
                .expect(204);
        server.admin().put(base + "policies", Map.of("policies", List.of(Map.of("name", "sentinel early refusal",
                "enabled", true, "conditions", List.of(Map.of("condition", "any-client", "configuration", Map.of())),
                "profiles", List.of("sentinel-early-refusal"))))).expect(204);
    }

    private static JsonNode json(String body) {
        try {
            return io.keycloaksentinel.it.harness.AdminApi.JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private String config() {
        return "/admin/realms/" + realm.name() + "/sentinel-admin/config";
    }

    private double early(String outcome) {
        return Metrics.value(Metrics.scrape(server), "sentinel_password_guard_total", "outcome=\"" + outcome + "\"",
                "realm=\"" + realm.name() + "\"").orElse(0.0);
    }

    private double hashes() {
        double sum = 0;
        for (String line : Metrics.scrape(server).split("\n")) {
            if (line.startsWith(HASHES + "{") && line.contains("realm=\"" + realm.name() + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
