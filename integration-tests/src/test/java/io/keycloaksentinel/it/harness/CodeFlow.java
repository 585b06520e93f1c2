package io.keycloaksentinel.it.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser's whole sign-in with the test realm's public client and PKCE, as a bot or a user on
 * one source address makes it: the login page, the form, the code exchanged for tokens.
 */
public final class CodeFlow {

    public static final String VERIFIER = "dBjftJeZ4CVP-mJ0jQkLxkxX1Ck3zSb7NhWaBC6A7bs";
    public static final String CHALLENGE = "tPQihHveIeSh9vDTZp8A2Z_agi7JM3P_djm6eDdStaI"; // S256 of VERIFIER
    public static final String LOADER = "sentinel/captcha.js";

    private CodeFlow() {
    }

    /** What a sign-in left in the client's hands. */
    public record Tokens(String refreshToken, String accessToken) {
    }

    /** The authorization request of the test client, with PKCE. */
    public static String authPath(String realm) {
        return "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/auth?" + LoginClient.form(Map.of(
                "client_id", TestRealm.CLIENT_ID, "redirect_uri", TestRealm.REDIRECT_URI, "response_type", "code",
                "scope", "openid", "code_challenge", CHALLENGE, "code_challenge_method", "S256"));
    }

    /**
     * The login page and the form post (with a solved proof-of-work when the page asks and
     * {@code solves}): the page that answered the post.
     */
    public static Browser.Page post(KeycloakServer server, String realm, Browser browser, String username, String password,
                                    boolean solves) {
        URI base = server.baseUrl();
        Browser.Page page = browser.get(base, authPath(realm));
        if (page.status() != 200) {
            return page;
        }
        String action = LoginClient.formAction(page.body()).orElse(null);
        if (action == null) {
            return page;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", username);
        fields.put("password", password);
        fields.put("credentialId", "");
        if (solves && page.body().contains(LOADER)) {
            fields.put("altcha", ProofOfWork.solvedAnswer(server, realm));
        }
        return browser.post(base, action, fields);
    }

    /**
     * A whole sign-in: null when it did not end with tokens (refused, asked for a CAPTCHA or a
     * second proof).
     */
    public static Tokens signIn(KeycloakServer server, String realm, Browser browser, String username, String password,
                                boolean solves) {
        Browser.Page posted = post(server, realm, browser, username, password, solves);
        return posted.status() == 302 ? tokens(server, realm, browser, posted.location(), username) : null;
    }

    /** Exchanges the code a redirect to the client carries; null when it carries none. */
    public static Tokens tokens(KeycloakServer server, String realm, Browser browser, String location, String username) {
        String code = codeOf(location);
        if (code == null) {
            return null;
        }
        Browser.Page tokens = browser.post(server.baseUrl(), "/realms/" + AdminApi.encPath(realm)
                + "/protocol/openid-connect/token", Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", TestRealm.REDIRECT_URI, "client_id", TestRealm.CLIENT_ID, "code_verifier", VERIFIER));
        assertThat(tokens.status()).as("code exchange for %s: %s", username, tokens.body()).isEqualTo(200);
        try {
            JsonNode t = AdminApi.JSON.readTree(tokens.body());
            return new Tokens(t.get("refresh_token").asText(), t.get("access_token").asText());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The code of a redirect to the test client; null for anything else. */
    public static String codeOf(String location) {
        if (location == null || !location.startsWith(TestRealm.REDIRECT_URI)) {
            return null;
        }
        Matcher m = Pattern.compile("[?&]code=([^&]+)").matcher(location);
        return m.find() ? java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8) : null;
    }

    /** Whether the browser's SSO cookie still signs in (a code without a password). */
    public static boolean ssoSignsIn(KeycloakServer server, String realm, Browser browser) {
        Browser.Page page = browser.get(server.baseUrl(), authPath(realm));
        return page.status() == 302 && codeOf(page.location()) != null;
    }

    /** The action of the page's first form (any form: a required action's, a code page's). */
    public static String formAction(String html) {
        Matcher action = Pattern.compile("<form[^>]*action=\"([^\"]+)\"").matcher(html);
        assertThat(action.find()).as("a form on the page:\n%s", html).isTrue();
        return LoginClient.unescape(action.group(1));
    }

    /** The 8-digit code of a Sentinel mail. */
    public static String code(MailServer.Mail m) {
        Matcher c = Pattern.compile("\\b(\\d{8})\\b").matcher(m.text());
        assertThat(c.find()).as("an 8-digit code in:\n%s", m.text()).isTrue();
        return c.group(1);
    }
}
