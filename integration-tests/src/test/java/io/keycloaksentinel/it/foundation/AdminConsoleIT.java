package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Sentinel's tabs in Keycloak's own admin console (declarative UI), driven in headless Chromium by
 * a realm admin of the realm (realm-management's manage-realm, no server admin): the tabs are
 * there, a change saved in a tab is what the REST API reads, a value the REST API refuses is
 * refused in the tab with the REST message and nothing saved, and a change made through the REST
 * API shows in the tab. A screenshot of every tab is written to target/screenshots.
 */
@KeycloakIT
@DisplayName("Admin console: Sentinel's realm-settings tabs, for a realm admin")
class AdminConsoleIT {

    private static final String PASSWORD = "Console-admin-1";
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final List<String> TABS = List.of("sentinel-attack", "sentinel-detection", "sentinel-captcha", "sentinel-breached-passwords",
            "sentinel-device-alerts", "sentinel-admin-alerts", "sentinel-mfa", "sentinel-containment");

    private final KeycloakServer server;
    private TestRealm realm;

    AdminConsoleIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void createRealm() {
        realm = TestRealm.builder("console").user("rita", PASSWORD).user("vera", PASSWORD)
                .customize(r -> r.getUsers().forEach(u -> u.setClientRoles(Map.of("realm-management",
                        u.getUsername().equals("rita") ? List.of("manage-realm", "view-realm") : List.of("view-realm")))))
                .create(server);
    }

    @AfterEach
    void deleteRealm() {
        realm.close();
    }

    private String sentinel(String path) {
        return "/admin/realms/" + realm.name() + "/sentinel-admin" + path;
    }

    @Test
    @DisplayName("A realm admin finds the tabs, saves a detection and a CAPTCHA setting, sees a bad value refused with"
            + " the REST reason, and the REST API reads the changes back")
    void realmAdminConfiguresSentinel() throws Exception {
        // set through the REST API before the console is opened: the tab must show it
        server.admin().put(sentinel("/config"), Map.of("ipFailuresPerDay", 77)).expect(200);

        try (Browser browser = Browser.start()) {
            openConsole(browser);

            // the tabs are in the realm settings' tab bar
            browser.driver().get(consoleUrl("realm-settings"));
            for (String tab : TABS) {
                browser.waitFor(By.cssSelector("a[href$='/realm-settings/" + tab + "']"), WAIT);
            }
            browser.screenshot("console-realm-settings");

            // detection: the REST value is shown; change one threshold
            openTab(browser, "sentinel-detection");
            assertThat(field(browser, "ipFailuresPerDay").getAttribute("value")).isEqualTo("77");
            type(field(browser, "networkFailuresPer15m"), "123");
            assertThat(save(browser)).isEqualTo("Saved successfully");
            JsonNode config = server.admin().get(sentinel("/config")).expect(200).json();
            assertThat(config.get("networkFailuresPer15m").asLong()).isEqualTo(123);
            assertThat(config.get("ipFailuresPerDay").asLong()).as("the other values are kept").isEqualTo(77);

            // a bad value: the same reason as the REST API gives, nothing saved
            String restReason = server.admin().put(sentinel("/config"), Map.of("burstSignatureShare", 2)).expect(400)
                    .json().get("error").asText();
            openTab(browser, "sentinel-detection");
            type(field(browser, "burstSignatureShare"), "2");
            type(field(browser, "networkFailuresPer15m"), "321");
            String refused = save(browser);
            browser.screenshot("console-sentinel-detection-refused");
            assertThat(refused).isEqualTo("Error could not save item! " + restReason);
            assertThat(restReason).contains("burstSignatureShare");
            config = server.admin().get(sentinel("/config")).expect(200).json();
            assertThat(config.get("networkFailuresPer15m").asLong()).as("nothing saved").isEqualTo(123);
            assertThat(config.get("burstSignatureShare").asDouble()).isEqualTo(0.6);

            // CAPTCHA: a choice, a number and the secret
            openTab(browser, "sentinel-captcha");
            choose(browser, "mode", "always");
            type(field(browser, "workHigh"), "150000");
            type(browser.driver().findElement(By.id("config.secret")), "console-typed-secret-1");
            assertThat(save(browser)).isEqualTo("Saved successfully");
            JsonNode captcha = server.admin().get(sentinel("/captcha")).expect(200).json();
            assertThat(captcha.get("mode").asText()).isEqualTo("always");
            assertThat(captcha.get("workHigh").asLong()).isEqualTo(150_000);
            assertThat(captcha.get("secret").asText()).as("set, and masked").isEqualTo("**********");
            String components = server.admin().get("/admin/realms/" + realm.name()
                    + "/components?type=org.keycloak.services.ui.extend.UiTabProvider").expect(200).body();
            assertThat(components).contains("sentinel-captcha").doesNotContain("console-typed-secret-1");

            // a URL the REST API refuses
            String urlReason = server.admin().put(sentinel("/captcha"), Map.of("verifyUrl", "http://example.com/siteverify"))
                    .expect(400).json().get("error").asText();
            openTab(browser, "sentinel-captcha");
            type(field(browser, "verifyUrl"), "http://example.com/siteverify");
            assertThat(save(browser)).isEqualTo("Error could not save item! " + urlReason);
            JsonNode verifyUrl = server.admin().get(sentinel("/captcha")).expect(200).json().path("verifyUrl");
            assertThat(verifyUrl.isMissingNode() || verifyUrl.isNull()).as("nothing saved: %s", verifyUrl).isTrue();

            // a change through the REST API shows in the tab after a reload
            server.admin().put(sentinel("/captcha"), Map.of("challengeSeconds", 600)).expect(200);
            openTab(browser, "sentinel-captcha");
            assertThat(field(browser, "challengeSeconds").getAttribute("value")).isEqualTo("600");
            assertThat(field(browser, "workHigh").getAttribute("value")).isEqualTo("150000");

            // an admin who may only view the realm reads the tabs, and cannot save one (Keycloak's 403), nothing changed
            String viewer = viewerToken();
            java.net.http.HttpResponse<String> listed = as(viewer, "GET", "/admin/realms/" + realm.name()
                    + "/components?type=org.keycloak.services.ui.extend.UiTabProvider", null);
            assertThat(listed.statusCode()).isEqualTo(200);
            JsonNode captchaTab = null;
            for (JsonNode c : io.keycloaksentinel.it.harness.AdminApi.JSON.readTree(listed.body())) {
                if ("sentinel-captcha".equals(c.path("providerId").asText())) {
                    captchaTab = c;
                }
            }
            assertThat(captchaTab).isNotNull();
            ((com.fasterxml.jackson.databind.node.ObjectNode) captchaTab.get("config")).putArray("mode").add("never");
            assertThat(as(viewer, "PUT", "/admin/realms/" + realm.name() + "/components/" + captchaTab.get("id").asText(),
                    captchaTab.toString()).statusCode()).isEqualTo(403);
            assertThat(server.admin().get(sentinel("/captcha")).expect(200).json().get("mode").asText()).isEqualTo("always");

            // every tab, for the record
            List<String> shown = new ArrayList<>();
            for (String tab : TABS) {
                openTab(browser, tab);
                browser.screenshot("console-" + tab);
                shown.add(tab);
            }
            assertThat(shown).containsExactlyElementsOf(TABS);
        }
    }

    @Test
    @DisplayName("The attack-state tab shows an attack once the realm is under one, without a save; Save reads it again")
    void attackStateTab() {
        try (Browser browser = Browser.start()) {
            openConsole(browser);
            openTab(browser, "sentinel-attack");
            assertThat(field(browser, "state").getAttribute("value")).isEqualTo("not read yet: press Save to read it");
            assertThat(save(browser)).isEqualTo("Saved successfully");
            openTab(browser, "sentinel-attack");
            assertThat(field(browser, "state").getAttribute("value")).isEqualTo("NORMAL");

            io.keycloaksentinel.it.harness.Attacks.underAttack(server, realm.name());
            // the node that recorded the change refreshed the tab's component: no save, no REST call from the admin
            io.keycloaksentinel.it.harness.Poll.until("the tab showing UNDER_ATTACK", Duration.ofSeconds(20),
                    () -> server.admin().get("/admin/realms/" + realm.name()
                                    + "/components?type=org.keycloak.services.ui.extend.UiTabProvider").expect(200).body()
                            .contains("UNDER_ATTACK") ? Boolean.TRUE : null);
            openTab(browser, "sentinel-attack");
            assertThat(field(browser, "state").getAttribute("value")).isEqualTo("UNDER_ATTACK");
            assertThat(Long.parseLong(field(browser, "failuresLastMinute").getAttribute("value"))).isPositive();
            assertThat(field(browser, "reason").getAttribute("value")).isNotBlank();
            browser.screenshot("console-sentinel-attack-under-attack");
        }
    }

    /** An access token of the realm's admin who may only view it. */
    private String viewerToken() throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                        .newBuilder(server.baseUrl().resolve("/realms/" + realm.name() + "/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=password&client_id=admin-cli"
                                + "&username=vera&password=" + io.keycloaksentinel.it.harness.AdminApi.enc(PASSWORD))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("viewer token: %s", r.body()).isEqualTo(200);
        return io.keycloaksentinel.it.harness.AdminApi.JSON.readTree(r.body()).get("access_token").asText();
    }

    private java.net.http.HttpResponse<String> as(String token, String method, String path, String json) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(server.baseUrl().resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        b = json == null ? b.GET() : b.method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json));
        return java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private String consoleUrl(String route) {
        return server.baseUrl().resolve("/admin/" + realm.name() + "/console/#/" + realm.name() + "/" + route).toString();
    }

    /** Signs in to the realm's own admin console as the realm admin. */
    private void openConsole(Browser browser) {
        browser.driver().get(server.baseUrl().resolve("/admin/" + realm.name() + "/console/").toString());
        browser.submitLogin("rita", PASSWORD);
        browser.waitFor(By.cssSelector("[data-testid=options-toggle], #nav-item-realm-settings, a[href*='realm-settings']"),
                WAIT);
    }

    private void openTab(Browser browser, String tab) {
        browser.driver().get(consoleUrl("realm-settings/" + tab));
        browser.driver().navigate().refresh();
        browser.waitFor(By.cssSelector("button[data-testid=save]"), WAIT);
        // the tab bar scrolled to the open tab, the page to its top (for the screenshots)
        ((JavascriptExecutor) browser.driver()).executeScript("var a = document.querySelector(\"a[href$='/realm-settings/"
                + tab + "']\"); if (a) { a.scrollIntoView({block: 'nearest', inline: 'center'}); } window.scrollTo(0, 0);");
    }

    private static WebElement field(Browser browser, String name) {
        return browser.waitFor(By.cssSelector("input[data-testid='" + name + "']"), WAIT);
    }

    private static void type(WebElement input, String text) {
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        input.sendKeys(text);
    }

    /** Picks {@code option} in the select of the field {@code name}. */
    private static void choose(Browser browser, String name, String option) {
        browser.waitFor(By.id(name), WAIT).click();
        browser.waitFor(By.xpath("//*[@role='option' or @role='menuitem']//*[normalize-space(text())='" + option + "']"
                + " | //*[(@role='option' or @role='menuitem') and normalize-space(.)='" + option + "']"), WAIT).click();
    }

    /** Clicks Save and returns the title of the alert it brings. */
    private static String save(Browser browser) {
        JavascriptExecutor js = browser.driver();
        // close the alerts of earlier saves, so that the one read is this save's
        js.executeScript("document.querySelectorAll('[data-testid=global-alerts] .pf-v5-c-alert__action button')"
                + ".forEach(b => b.click())");
        new WebDriverWait(browser.driver(), WAIT).until(d -> d.findElements(By.cssSelector("[data-testid=last-alert]")).isEmpty());
        WebElement button = browser.driver().findElement(By.cssSelector("button[data-testid=save]"));
        js.executeScript("arguments[0].scrollIntoView({block: 'center'})", button);
        button.click();
        return new WebDriverWait(browser.driver(), WAIT).until(d -> {
            List<WebElement> alerts = d.findElements(By.cssSelector("[data-testid=last-alert] .pf-v5-c-alert__title"));
            return alerts.isEmpty() ? null : alerts.get(0).getText().replaceFirst("^(Success|Danger) alert:", "").strip();
        });
    }
}
