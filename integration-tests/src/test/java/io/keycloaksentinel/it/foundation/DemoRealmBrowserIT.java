package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.Poll;
import io.keycloaksentinel.it.harness.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.RealmRepresentation;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo realm the run command imports, as a newcomer meets it: open the account console, sign
 * in as alice through Sentinel's login form in a real browser, and the console loads (an imported
 * user needs the realm's default roles for that); the mails the demo promises arrive; and the
 * attack the run command plays ({@code ./run.sh attack-demo}) shows what docs/demo.md says it
 * shows. The realm is imported exactly as shipped, except that its SMTP server is the test's.
 */
@KeycloakIT
@DisplayName("The demo realm works for a newcomer")
class DemoRealmBrowserIT {

    private static final Path ROOT = Path.of(System.getProperty("it.project.root")).toAbsolutePath().normalize();
    private static final Path DEMO = ROOT.resolve("demo/realm-demo.json");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ALICE = "alice@demo.example";
    private static final String SECURITY = "security@demo.example";

    private final KeycloakServer server;
    private MailServer mail;

    DemoRealmBrowserIT(KeycloakServer server) {
        this.server = server;
    }

    @BeforeEach
    void importDemo() throws Exception {
        mail = new MailServer();
        RealmRepresentation demo = AdminApi.JSON.readValue(Files.readString(DEMO), RealmRepresentation.class);
        assertThat(demo.getRealm()).isEqualTo("demo");
        assertThat(demo.getSmtpServer()).as("the demo realm mails through run.sh's mail server")
                .containsEntry("host", "127.0.0.1").containsEntry("port", "3025");
        Map<String, String> smtp = new HashMap<>(demo.getSmtpServer());
        smtp.put("port", mail.realmSmtp().get("port"));
        demo.setSmtpServer(smtp);
        server.admin().createRealm(demo);
    }

    @AfterEach
    void deleteDemo() {
        server.admin().deleteRealm("demo");
        mail.close();
    }

    /** Signs alice in from the account console's page, answering an emailed code if one is asked. */
    private void signInToAccountConsole(Browser browser, boolean expectCodeAsked) {
        browser.submitLogin("alice", "Demo-alice-2026!");
        if (expectCodeAsked) {
            WebElement code = browser.waitFor(By.id("code"), WAIT);
            assertThat(browser.pageText()).contains("we sent a code to the email address of this account");
            MailServer.Mail sent = Poll.until("the sign-in code mail for alice", WAIT, () -> mail.to(ALICE).stream()
                    .filter(m -> m.subject().equals("Your sign-in code")).findFirst().orElse(null));
            Matcher digits = Pattern.compile("\\b(\\d{8})\\b").matcher(sent.text());
            assertThat(digits.find()).as("an 8-digit code in:\n%s", sent.text()).isTrue();
            code.sendKeys(digits.group(1));
            // the code page is not the login form: no security check of its own to wait for
            assertThat(browser.driver().findElements(By.cssSelector("altcha-widget, #sentinel-captcha"))).isEmpty();
            browser.driver().findElement(By.id("kc-login")).click();
        }
        // the console is a single-page app that replaces the page while it loads: a read may meet a
        // node that just went away, which is only a reason to look again
        String shown = new WebDriverWait(browser.driver(), WAIT).ignoring(WebDriverException.class)
                .withMessage(() -> "the account console, on " + browser.driver().getCurrentUrl() + ":\n" + browser.pageText())
                .until(d -> {
                    String text = browser.pageText();
                    return text.contains("Something went wrong") || text.contains("Personal info") ? text : null;
                });
        assertThat(shown).doesNotContain("Something went wrong").contains("Personal info");
        // her own data, read by the console from the account API (the fields are inputs, not text)
        Object email = new WebDriverWait(browser.driver(), WAIT).ignoring(WebDriverException.class).until(d -> ((JavascriptExecutor) d)
                .executeScript("return Array.from(document.querySelectorAll('input'))"
                        + ".map(i => i.value).find(v => v === 'alice@demo.example') || null;"));
        assertThat(email).isEqualTo(ALICE);
    }

    /** Waits until the page's proof-of-work widget, if it has one, has put its answer in the form. */
    private static void awaitCaptchaSolvedIfShown(Browser browser) {
        new WebDriverWait(browser.driver(), WAIT).until(d -> ((JavascriptExecutor) d).executeScript(
                "var w = document.querySelector('altcha-widget'); if (!w) return true;"
                        + " var i = document.querySelector('input[name=altcha]'); return !!(i && i.value);"));
    }

    @Test
    @DisplayName("alice signs in to the account console with the password the README gives, sees her personal info, and gets the new-device alert mail")
    void accountConsole() {
        try (Browser browser = Browser.start()) {
            browser.driver().get(server.baseUrl() + "/realms/demo/account");
            browser.waitFor(By.id("username"), WAIT);
            signInToAccountConsole(browser, false);
        }
        MailServer.Mail alert = mail.await(ALICE, 1, WAIT).get(0);
        assertThat(alert.subject()).startsWith("New sign-in to");
        assertThat(alert.text()).contains("This was not me").contains("127.0.0.1").doesNotContain("Demo-alice-2026!");
        assertThat(alert.link("/login-actions/action-token")).isNotNull();
    }

    @Test
    @DisplayName("./run.sh attack-demo puts the demo under attack from 127.66.x.y; the admin alert is mailed; alice's login page asks the CAPTCHA and her sign-in an emailed code")
    void attackDemo() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("run.sh").toString(), "attack-demo",
                "--port", Integer.toString(server.baseUrl().getPort())).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        Path out = Files.createTempFile("attack-demo", ".out");
        pb.redirectOutput(out.toFile());
        long start = System.nanoTime();
        Process attack = Processes.register(pb.start());
        // the script caps itself at 60 s of attack, plus at most ~40 s of looking
        assertThat(attack.waitFor(3, TimeUnit.MINUTES)).as("attack-demo stops by itself").isTrue();
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(attack.exitValue()).as(printed).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(120));
        assertThat(printed).as(printed)
                .contains("Playing 48 sign-in attempts on " + server.baseUrl())
                .contains("Realm 'demo' is now UNDER_ATTACK")
                .contains("stopped at the CAPTCHA")
                .contains("The login page now asks for a CAPTCHA")
                .contains("./run.sh mail alice@demo.example")
                .doesNotContain("signed in (a password from the list was right)")
                .doesNotContain("unexpected answer");
        assertThat(server.admin().get("/admin/realms/demo/sentinel-admin/attack").expect(200).json().path("state").asText())
                .isEqualTo("UNDER_ATTACK");

        List<MailServer.Mail> alerts = mail.await(SECURITY, 1, WAIT);
        assertThat(alerts.get(0).subject()).contains("[demo]").contains("Attack started");

        try (Browser browser = Browser.start()) {
            browser.driver().get(server.baseUrl() + "/realms/demo/account");
            browser.waitFor(By.cssSelector("#sentinel-captcha altcha-widget"), WAIT);
            assertThat(browser.pageText()).contains("please complete the security check");
            // the browser solves the proof-of-work by itself; the form is sent once the answer is in
            awaitCaptchaSolvedIfShown(browser);
            signInToAccountConsole(browser, true);
        }
    }
}
