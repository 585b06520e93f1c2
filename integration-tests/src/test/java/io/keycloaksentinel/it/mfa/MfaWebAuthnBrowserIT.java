package io.keycloaksentinel.it.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.openqa.selenium.virtualauthenticator.HasVirtualAuthenticator;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticatorOptions;

/**
 * The enforced policy with a security key, in headless Chromium with a virtual WebAuthn
 * authenticator: the user chooses "Security key" on Sentinel's page, registers it on Keycloak's own
 * WebAuthn page, and at the next sign-in is asked for it by Keycloak's WebAuthn form. The browser
 * uses {@code localhost} (WebAuthn refuses an IP address as relying party).
 */
@KeycloakIT
@DisplayName("Enforced MFA with a security key, in a real browser")
class MfaWebAuthnBrowserIT {

    private static final String PASSWORD = "Webauthn-pass-2026!";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final KeycloakServer server;
    private TestRealm realm;

    MfaWebAuthnBrowserIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void setUp() {
        realm = TestRealm.builder("mfa-webauthn").user("wendy", PASSWORD).create(server);
        SentinelFlows.captchaMode(server.admin(), realm.name(), "never");
        String base = "/admin/realms/" + realm.name() + "/sentinel-admin/mfa";
        server.admin().post(base + "/flows?bind=true", Map.of()).expect(200);
        server.admin().put(base, Map.of("mode", "enforce", "graceDays", 0, "factors", List.of("webauthn", "otp"),
                "enrollmentProof", "never")).expect(200);
    }

    @AfterEach
    void tearDown() {
        realm.close();
    }

    @Test
    @DisplayName("No grace: the user registers a security key on Keycloak's page before any code is issued, then signs in with it")
    void registerThenSignInWithSecurityKey() {
        enrollThenSignIn("sentinel-mfa-webauthn", VirtualAuthenticatorOptions.Transport.USB, "webauthn");
    }

    @Test
    @DisplayName("A passkey as the second factor: chosen on Sentinel's page, registered on Keycloak's passkey page, then asked for at the next sign-in")
    void passkeyAsSecondFactor() {
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/mfa", Map.of("factors", List.of("passkey")))
                .expect(200);
        enrollThenSignIn("sentinel-mfa-passkey", VirtualAuthenticatorOptions.Transport.INTERNAL, "webauthn-passwordless");
    }

    /**
     * Signs in with the password, chooses {@code choice} on Sentinel's page (no skip: no grace),
     * registers a key of a virtual authenticator on Keycloak's page, gets a code and tokens; then,
     * signed out, signs in again and is asked for the key by Keycloak's WebAuthn form.
     */
    private void enrollThenSignIn(String choice, VirtualAuthenticatorOptions.Transport transport, String credentialType) {
        String localhost = server.baseUrl().toString().replace("127.0.0.1", "localhost");
        try (Browser browser = Browser.start()) {
            VirtualAuthenticator key = ((HasVirtualAuthenticator) browser.driver()).addVirtualAuthenticator(
                    new VirtualAuthenticatorOptions().setProtocol(VirtualAuthenticatorOptions.Protocol.CTAP2)
                            .setTransport(transport).setHasResidentKey(true)
                            .setHasUserVerification(true).setIsUserVerified(true).setIsUserConsenting(true));
            browser.openLogin(localhost, realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI);
            browser.submitLogin("wendy", PASSWORD);
            browser.waitFor(By.id(choice), WAIT);
            assertThat(browser.driver().findElements(By.id("sentinel-mfa-skip"))).as("no grace: no skip").isEmpty();
            browser.driver().findElement(By.id(choice)).click();

            browser.waitFor(By.id("registerWebAuthn"), WAIT).click();
            acceptLabelPrompt(browser);
            String code = browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT);
            assertThat(browser.exchangeCode(localhost, realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, code)
                    .get("access_token").asText()).isNotBlank();
            assertThat(key.getCredentials()).hasSize(1);
            String userId = server.admin().userId(realm.name(), "wendy");
            assertThat(server.admin().get("/admin/realms/" + realm.name() + "/users/" + userId + "/credentials").expect(200)
                    .body()).contains("\"" + credentialType + "\"");

            // signed out; next time Keycloak's WebAuthn form asks for the key, and the key answers
            server.admin().post("/admin/realms/" + realm.name() + "/users/" + userId + "/logout", Map.of()).expect(204);
            browser.driver().manage().deleteAllCookies();
            browser.openLogin(localhost, realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI);
            browser.submitLogin("wendy", PASSWORD);
            browser.waitFor(By.id("authenticateWebAuthnButton"), WAIT).click();
            String second = browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT);
            assertThat(browser.exchangeCode(localhost, realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI, second)
                    .get("access_token").asText()).isNotBlank();
        }
    }

    /**
     * Keycloak's registration page prompts for the key's label once the key answered ("Please input
     * your registered passkey's label"): take its suggestion. Waited for, not polled, so the prompt
     * cannot open between two WebDriver calls.
     */
    private static void acceptLabelPrompt(Browser browser) {
        try {
            new WebDriverWait(browser.driver(), WAIT).until(ExpectedConditions.alertIsPresent()).accept();
        } catch (TimeoutException e) {
            // no prompt (a Keycloak that does not ask): the redirect check that follows decides
        }
    }
}
