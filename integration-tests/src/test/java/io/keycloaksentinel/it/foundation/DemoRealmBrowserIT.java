package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.RealmRepresentation;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo realm the run command imports, as a newcomer meets it: open the account console, sign
 * in as alice through Sentinel's login form in a real browser, and the console loads (an imported
 * user needs the realm's default roles for that).
 */
@KeycloakIT
@DisplayName("The demo realm works for a newcomer")
class DemoRealmBrowserIT {

    private static final Path DEMO = Path.of(System.getProperty("it.project.root")).resolve("demo/realm-demo.json");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final KeycloakServer server;

    DemoRealmBrowserIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void importDemo() throws Exception {
        RealmRepresentation demo = AdminApi.JSON.readValue(Files.readString(DEMO), RealmRepresentation.class);
        assertThat(demo.getRealm()).isEqualTo("demo");
        server.admin().createRealm(demo);
    }

    @AfterEach
    void deleteDemo() {
        server.admin().deleteRealm("demo");
    }

    @Test
    @DisplayName("alice signs in to the account console with the password the README gives, and sees her personal info")
    void accountConsole() {
        try (Browser browser = Browser.start()) {
            browser.driver().get(server.baseUrl() + "/realms/demo/account");
            browser.waitFor(By.id("username"), WAIT);
            browser.submitLogin("alice", "Demo-alice-2026!");
            // the console is a single-page app that replaces the page while it loads: a read may meet a
            // node that just went away, which is only a reason to look again
            String shown = new WebDriverWait(browser.driver(), WAIT).ignoring(WebDriverException.class).until(d -> {
                String text = browser.pageText();
                return text.contains("Something went wrong") || text.contains("Personal info") ? text : null;
            });
            assertThat(shown).doesNotContain("Something went wrong").contains("Personal info");
            // her own data, read by the console from the account API (the fields are inputs, not text)
            Object email = new WebDriverWait(browser.driver(), WAIT).ignoring(WebDriverException.class).until(d -> ((org.openqa.selenium.JavascriptExecutor) d)
                    .executeScript("return Array.from(document.querySelectorAll('input'))"
                            + ".map(i => i.value).find(v => v === 'alice@demo.example') || null;"));
            assertThat(email).isEqualTo("alice@demo.example");
        }
    }
}
