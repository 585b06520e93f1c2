package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser for pages that need one: the system Chromium, headless, driven through the
 * system ChromeDriver by Selenium WebDriver. One {@code Browser} is one fresh profile (no cookies,
 * no history); {@link #close()} quits it.
 *
 * <p>Nothing is downloaded: the driver and the browser binary are given explicitly
 * ({@code -Dit.chromedriver}, {@code -Dit.chromium}; Debian's {@code /usr/bin/chromedriver} and
 * {@code /usr/bin/chromium} by default), so Selenium Manager is never run.
 *
 * <p>Cookies: Keycloak marks its login cookies {@code Secure; SameSite=None} even on plain HTTP
 * (see {@link BrowserCookies}). Chromium treats {@code http://127.0.0.1} and
 * {@code http://localhost} as potentially trustworthy origins and keeps and sends such cookies
 * there, so a login over the test servers' plain-HTTP loopback URLs completes with no flag;
 * {@code BrowserLoginIT} proves it.
 */
public final class Browser implements AutoCloseable {

    public static final String CHROMIUM_PROPERTY = "it.chromium";
    public static final String CHROMEDRIVER_PROPERTY = "it.chromedriver";
    public static final String DEFAULT_CHROMIUM = "/usr/bin/chromium";
    public static final String DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver";
    /** Width and height of the window, fixed so that layouts (and screenshots) do not vary by machine. */
    public static final int WIDTH = 1280;
    public static final int HEIGHT = 1024;
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(15);

    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Selenium warns "Unable to find CDP implementation matching 156" at every start: the
     * DevTools bindings (selenium-devtools-vNNN) are not on the classpath, and the harness does
     * not use DevTools. Held in a field: java.util.logging keeps loggers only weakly.
     */
    private static final Logger CDP_VERSION_LOG = quiet("org.openqa.selenium.devtools.CdpVersionFinder");
    private static final AtomicInteger STARTED = new AtomicInteger();

    /** One authorization request the browser was sent to: what a client keeps to finish the login. */
    public record AuthorizationRequest(URI url, String state, String codeVerifier) {
    }

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private AuthorizationRequest lastRequest;

    private Browser(ChromeDriverService service, ChromeDriver driver) {
        this.service = service;
        this.driver = driver;
    }

    /** A browser that asks for English pages. */
    public static Browser start() {
        return start(Locale.ENGLISH);
    }

    /**
     * A browser whose UI language and {@code Accept-Language} are {@code lang} (e.g.
     * {@link Locale#GERMAN} for German login pages, when the realm has internationalization on).
     */
    public static Browser start(Locale lang) {
        return start(lang, true);
    }

    /** A browser with JavaScript switched off (what a user without JavaScript sees). */
    public static Browser withoutJavaScript() {
        return start(Locale.ENGLISH, false);
    }

    private static Browser start(Locale lang, boolean javaScript) {
        File chromedriver = executable(CHROMEDRIVER_PROPERTY, DEFAULT_CHROMEDRIVER);
        File chromium = executable(CHROMIUM_PROPERTY, DEFAULT_CHROMIUM);
        String tag = lang.toLanguageTag();

        ChromeDriverService.Builder builder = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver)
                .usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(30));
        logFile().ifPresent(builder::withLogFile);
        ChromeDriverService service = builder.build();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments(
                "--headless=new",
                // the tests run as root, where Chromium's sandbox cannot start
                "--no-sandbox",
                // containers often have a tiny /dev/shm; use /tmp for shared memory instead
                "--disable-dev-shm-usage",
                "--window-size=" + WIDTH + "," + HEIGHT,
                "--lang=" + tag,
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-search-engine-choice-screen",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--password-store=basic");
        // --lang sets the UI language; the Accept-Language header comes from this preference
        // (headless Chromium does not always derive it from --lang)
        Map<String, Object> prefs = new LinkedHashMap<>();
        prefs.put("intl.accept_languages", tag);
        prefs.put("credentials_enable_service", false);
        prefs.put("profile.password_manager_enabled", false);
        if (!javaScript) {
            prefs.put("profile.managed_default_content_settings.javascript", 2);
        }
        options.setExperimentalOption("prefs", prefs);

        ChromeDriver driver;
        try {
            driver = new ChromeDriver(service, options);
        } catch (WebDriverException e) {
            service.stop();
            throw new IllegalStateException("Cannot start Chromium " + chromium + " through " + chromedriver
                    + " (set -D" + CHROMIUM_PROPERTY + " / -D" + CHROMEDRIVER_PROPERTY + " to other binaries)", e);
        }
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return new Browser(service, driver);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** The request of the last {@link #openLogin} call, if any. */
    public Optional<AuthorizationRequest> lastRequest() {
        return Optional.ofNullable(lastRequest);
    }

    /**
     * Opens the realm's login page the way an OIDC client sends a user there: an authorization
     * code request with {@code scope=openid}, a random state and nonce, and a PKCE S256 challenge
     * (the test clients require PKCE). Waits until the page has loaded.
     */
    public AuthorizationRequest openLogin(String baseUrl, String realm, String clientId, String redirectUri) {
        String state = random();
        String verifier = random() + random();
        Map<String, String> query = new LinkedHashMap<>();
        query.put("client_id", clientId);
        query.put("redirect_uri", redirectUri);
        query.put("response_type", "code");
        query.put("scope", "openid");
        query.put("state", state);
        query.put("nonce", random());
        query.put("code_challenge", challenge(verifier));
        query.put("code_challenge_method", "S256");
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        URI url = URI.create(base + "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/auth?"
                + LoginClient.form(query));
        driver.get(url.toString());
        lastRequest = new AuthorizationRequest(url, state, verifier);
        return lastRequest;
    }

    /** {@link #openLogin} for a {@link TestRealm}: its server, its client, its redirect URI. */
    public AuthorizationRequest openLogin(TestRealm realm) {
        return openLogin(realm.server().baseUrl().toString(), realm.name(), TestRealm.CLIENT_ID, TestRealm.REDIRECT_URI);
    }

    /**
     * What the client does with the code {@link #redirectedTo} returned: the token request of the
     * authorization code grant, with the last {@link #openLogin}'s PKCE verifier. Returns the
     * token response; fails unless it is a 200.
     */
    public JsonNode exchangeCode(String baseUrl, String realm, String clientId, String redirectUri, String code) {
        AuthorizationRequest request = lastRequest().orElseThrow(() -> new IllegalStateException("no openLogin yet"));
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("client_id", clientId);
        form.put("code", code);
        form.put("redirect_uri", redirectUri);
        form.put("code_verifier", request.codeVerifier());
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create(base + "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(LoginClient.form(form))).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new AdminApi.Response(response.statusCode(), response.body()).expect(200).json();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** {@link #exchangeCode} for a {@link TestRealm}'s client. */
    public JsonNode exchangeCode(TestRealm realm, String code) {
        return exchangeCode(realm.server().baseUrl().toString(), realm.name(), TestRealm.CLIENT_ID,
                TestRealm.REDIRECT_URI, code);
    }

    /** Fills Keycloak's login form (fields {@code username}, {@code password}) and submits it. */
    public void submitLogin(String username, String password) {
        WebElement user = waitFor(By.id("username"), DEFAULT_WAIT);
        user.clear();
        user.sendKeys(username);
        WebElement secret = driver.findElement(By.id("password"));
        secret.clear();
        secret.sendKeys(password);
        driver.findElement(By.id("kc-login")).click();
    }

    /** The first element matching {@code locator} once it is visible; fails after {@code timeout}. */
    public WebElement waitFor(By locator, Duration timeout) {
        try {
            // A document being replaced can answer "node does not belong to the document": read again.
            return new WebDriverWait(driver, timeout).ignoring(WebDriverException.class)
                    .until(ExpectedConditions.visibilityOfElementLocated(locator));
        } catch (TimeoutException e) {
            throw new AssertionError("No visible " + locator + " after " + timeout + " on " + describePage(), e);
        }
    }

    /**
     * Waits until the browser has been sent to a URL starting with {@code prefix} (the client's
     * redirect URI) and returns that URL's {@code code} parameter. The test redirect URI
     * ({@code http://127.0.0.1:1/callback}) is served by nobody, so Chromium shows an error page
     * (port 1 is even on its list of unsafe ports), but the current URL is the redirect target
     * all the same. Fails if the redirect carries an OAuth {@code error}, no code, or a state
     * other than the last {@link #openLogin}'s.
     */
    public String redirectedTo(String prefix, Duration timeout) {
        String url;
        try {
            url = new WebDriverWait(driver, timeout).until(d -> {
                String current = d.getCurrentUrl();
                return current != null && current.startsWith(prefix) ? current : null;
            });
        } catch (TimeoutException e) {
            throw new AssertionError("Not redirected to " + prefix + " after " + timeout + "; on " + describePage(), e);
        }
        Map<String, String> params = queryParams(URI.create(url));
        if (params.containsKey("error")) {
            throw new AssertionError("Redirected with error " + params.get("error") + ": "
                    + params.getOrDefault("error_description", "") + " (" + url + ")");
        }
        if (lastRequest != null && params.containsKey("state") && !lastRequest.state().equals(params.get("state"))) {
            throw new AssertionError("Redirected with state " + params.get("state") + " instead of "
                    + lastRequest.state() + " (" + url + ")");
        }
        String code = params.get("code");
        if (code == null || code.isBlank()) {
            throw new AssertionError("No code in " + url);
        }
        return code;
    }

    /** Waits until the page's visible text contains {@code text}; fails after {@code timeout}. */
    public void waitForText(String text, Duration timeout) {
        try {
            // The page may be replaced while its text is read (a post answering with a new document): Chromium then
            // reports a node of the old document, not a stale element, so any WebDriverException means "read again".
            new WebDriverWait(driver, timeout).until(d -> {
                try {
                    return d.findElement(By.tagName("body")).getText().contains(text);
                } catch (WebDriverException e) {
                    return false;
                }
            });
        } catch (TimeoutException e) {
            throw new AssertionError("No \"" + text + "\" after " + timeout + " on " + describePage(), e);
        }
    }

    /**
     * Saves what the browser shows as {@code target/screenshots/<name>.png} (under the
     * integration-tests module) and returns the file: attached to the test output.
     */
    public Path screenshot(String name) {
        Path dir = Path.of(System.getProperty("it.screenshots.dir", "target/screenshots"));
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".png");
            Files.write(file, driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
            System.out.println("[screenshot] " + file.toAbsolutePath());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The visible text of the page (for asserting on messages). */
    public String pageText() {
        return driver.findElement(By.tagName("body")).getText();
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }

    private String describePage() {
        String url;
        String title;
        try {
            url = driver.getCurrentUrl();
            title = driver.getTitle();
        } catch (WebDriverException e) {
            return "(the browser does not answer: " + e.getMessage() + ")";
        }
        String text;
        try {
            text = pageText();
            text = text.length() > 500 ? text.substring(0, 500) + "..." : text;
        } catch (WebDriverException e) {
            text = "(no body)";
        }
        return url + " \"" + title + "\":\n" + text;
    }

    private static Map<String, String> queryParams(URI uri) {
        Map<String, String> params = new LinkedHashMap<>();
        if (uri.getRawQuery() == null) {
            return params;
        }
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static File executable(String property, String fallback) {
        String configured = System.getProperty(property, "").trim();
        File file = new File(configured.isEmpty() ? fallback : configured);
        if (!file.canExecute()) {
            throw new IllegalStateException("No executable " + file + ": install it (Debian: apt-get install chromium"
                    + " chromium-driver) or point -D" + property + " at one");
        }
        return file;
    }

    /** chromedriver's own log, kept under it.work.dir for diagnosing a browser that will not start. */
    private static Optional<File> logFile() {
        String work = System.getProperty("it.work.dir", "").trim();
        if (work.isEmpty()) {
            return Optional.empty();
        }
        Path dir = Path.of(work, "browser");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(dir.resolve("chromedriver-" + ProcessHandle.current().pid() + "-"
                + STARTED.incrementAndGet() + ".log").toFile());
    }

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.SEVERE);
        return logger;
    }

    /** PKCE S256, as in {@link LoginClient}. */
    private static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
