package io.keycloaksentinel.it.captcha;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.Attacks;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

@KeycloakIT
@DisplayName("Adaptive CAPTCHA in a real browser (headless Chromium solving the proof-of-work)")
class CaptchaBrowserIT {

    private static final String PASSWORD = "Browser-pass-1";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final By WIDGET = By.cssSelector("#sentinel-captcha altcha-widget");
    private static final By ANSWER = By.cssSelector("input[name=altcha]");

    private final KeycloakServer server;
    private TestRealm realm;

    CaptchaBrowserIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("captcha-browser").user("bruno", PASSWORD)
                .customize(r -> {
                    r.setInternationalizationEnabled(true);
                    r.setSupportedLocales(Set.of("en", "de"));
                    r.setDefaultLocale("en");
                })
                .create(server);
        SentinelFlows.useSentinelLoginForm(server.admin(), realm.name());
        // the default work at HIGH risk is 1,000,000 (see docs/BENCHMARKS.md for browser times);
        // a tenth of it keeps this test short on a shared 2-core machine
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/captcha", Map.of("workHigh", 100_000))
                .expect(200);
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    /** Waits until the widget has solved its challenge and filled the answer field. */
    private static String solvedAnswer(Browser browser) {
        return new WebDriverWait(browser.driver(), WAIT).until(d -> {
            String value = (String) ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
                    "var i = document.querySelector('input[name=altcha]'); return i ? i.value : null;");
            return value == null || value.isBlank() ? null : value;
        });
    }

    @Test
    @DisplayName("In a quiet realm the login page shows no CAPTCHA, and the user logs in as usual")
    void quietRealm() {
        try (Browser browser = Browser.start()) {
            browser.openLogin(realm);
            browser.waitFor(By.id("username"), WAIT);
            assertThat(browser.driver().findElements(By.id("sentinel-captcha"))).isEmpty();
            assertThat(browser.driver().findElements(ANSWER)).isEmpty();
            assertThat(browser.pageText()).doesNotContain("security check");
            browser.submitLogin("bruno", PASSWORD);
            assertThat(browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT)).isNotBlank();
        }
    }

    @Test
    @DisplayName("Under attack, the login page shows the proof-of-work widget, the browser solves it, and the user logs in")
    void underAttackTheBrowserSolvesAndLogsIn() {
        Attacks.underAttack(server, realm.name());
        try (Browser browser = Browser.start()) {
            browser.openLogin(realm);
            browser.waitFor(WIDGET, WAIT);
            assertThat(browser.pageText()).contains("please complete the security check");
            // accessible: the widget sits in a labelled group, with a focusable checkbox
            assertThat(browser.driver().findElement(By.id("sentinel-captcha")).getAttribute("aria-label"))
                    .isEqualTo("Security check");
            assertThat(solvedAnswer(browser)).isNotBlank();

            browser.submitLogin("bruno", PASSWORD);
            String code = browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT);
            assertThat(browser.exchangeCode(realm, code).path("access_token").asText()).isNotBlank();
        }
    }

    @Test
    @DisplayName("The classic 'keycloak' login theme shows and solves the widget too")
    void classicTheme() {
        server.admin().put("/admin/realms/" + realm.name(), Map.of("loginTheme", "keycloak")).expect(204);
        server.admin().put("/admin/realms/" + realm.name() + "/sentinel-admin/captcha", Map.of("mode", "always"))
                .expect(200);
        try (Browser browser = Browser.start()) {
            browser.openLogin(realm);
            browser.waitFor(WIDGET, WAIT);
            assertThat(solvedAnswer(browser)).isNotBlank();
            browser.submitLogin("bruno", PASSWORD);
            assertThat(browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT)).isNotBlank();
        }
    }

    @Test
    @DisplayName("Under attack, a German browser gets the explanation and the widget in German")
    void german() {
        Attacks.underAttack(server, realm.name());
        try (Browser browser = Browser.start(Locale.GERMAN)) {
            browser.openLogin(realm);
            browser.waitFor(WIDGET, WAIT);
            assertThat(browser.pageText()).contains("Sicherheitsprüfung");
            assertThat(browser.driver().findElement(By.id("sentinel-captcha")).getAttribute("aria-label"))
                    .isEqualTo("Sicherheitsprüfung");
            assertThat(browser.driver().findElement(WIDGET).getAttribute("language")).isEqualTo("de");
            assertThat(solvedAnswer(browser)).isNotBlank();
            browser.submitLogin("bruno", PASSWORD);
            assertThat(browser.redirectedTo(TestRealm.REDIRECT_URI, WAIT)).isNotBlank();
        }
    }

    @Test
    @DisplayName("Without JavaScript, the user is told the check needs JavaScript, and a post is refused with that message")
    void withoutJavaScript() {
        Attacks.underAttack(server, realm.name());
        try (Browser browser = Browser.withoutJavaScript()) {
            browser.openLogin(realm);
            browser.waitFor(By.id("username"), WAIT);
            assertThat(browser.pageText()).contains("needs JavaScript");
            browser.submitLogin("bruno", PASSWORD);
            browser.waitForText("enable JavaScript in your browser", WAIT);
            assertThat(browser.driver().getCurrentUrl()).doesNotStartWith(TestRealm.REDIRECT_URI);
        }
    }
}
