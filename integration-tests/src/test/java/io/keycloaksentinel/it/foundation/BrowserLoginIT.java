package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

@KeycloakIT
@DisplayName("Logging in through the Sentinel login form in a real browser (headless Chromium)")
class BrowserLoginIT {

    private static final String PASSWORD = "Browser-pass-1";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final KeycloakServer server;
    private TestRealm realm;

    BrowserLoginIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("browser").user("bruno", PASSWORD)
                .customize(r -> {
                    r.setInternationalizationEnabled(true);
                    r.setSupportedLocales(Set.of("en", "de"));
                    r.setDefaultLocale("en");
                })
                .create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    @Test
    @DisplayName("The right password sends the browser back to the client with an authorization code")
    void login() {
        try (Browser browser = Browser.start()) {
            browser.openLogin(server.baseUrl().toString(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI);
            browser.submitLogin("bruno", PASSWORD);

            // the form post only finds its login session through Keycloak's Secure; SameSite=None
            // cookies set over plain http://127.0.0.1: getting here shows Chromium kept and sent them
            String code = browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT);
            assertThat(code).isNotBlank();
            // the code is real: the client's token request (with the PKCE verifier) gets tokens
            JsonNode tokens = browser.exchangeCode(realm, code);
            assertThat(tokens.path("access_token").asText()).isNotBlank();
        }
    }

    @Test
    @DisplayName("A wrong password stays on the login page with \"Invalid username or password.\"")
    void wrongPassword() {
        try (Browser browser = Browser.start()) {
            browser.openLogin(realm);
            browser.submitLogin("bruno", "not-the-password");

            browser.waitForText("Invalid username or password.", WAIT);
            assertThat(browser.driver().getCurrentUrl()).doesNotStartWith(TestRealm.REDIRECT_URI);
            assertThat(browser.driver().findElement(By.id("password")).isDisplayed()).isTrue();
        }
    }

    @Test
    @DisplayName("A browser that asks for German gets the login page in German when the realm offers it")
    void german() {
        try (Browser browser = Browser.start(Locale.GERMAN)) {
            browser.openLogin(realm);
            browser.waitFor(By.id("username"), WAIT);

            assertThat(browser.driver().findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("de");
            assertThat(browser.driver().findElement(By.id("kc-login")).getText()).isEqualTo("Anmelden");
        }
    }
}
