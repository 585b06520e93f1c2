package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.Browser;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * How long a real browser takes to solve Sentinel's built-in proof-of-work (ALTCHA) at each
 * difficulty: headless Chromium (the harness's {@link Browser}: the system Chromium through
 * the system ChromeDriver) opens the Sentinel login page of a realm whose CAPTCHA mode is
 * {@code always}, with all three work levels set to the same {@code maxnumber}, so every page
 * gets that difficulty. Not an {@code *IT}: run it by hand (figures in docs/BENCHMARKS.md,
 * section "Adaptive CAPTCHA"):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=CaptchaSolveTimeBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * <p>Measured in the page, with {@code performance.now()} (milliseconds since the navigation
 * started): a probe script that Chromium runs before any of the page's own scripts (CDP
 * {@code Page.addScriptToEvaluateOnNewDocument}) checks every few milliseconds (timers are
 * clamped to ~4 ms) for the widget's hidden {@code input[name=altcha]} and notes when it appears
 * and when it gets a value; it also notes the widget's {@code statechange} events. Per page it
 * prints: from the page's load event to the answer (the figure asked for: what a user waits after
 * the page is shown), from the navigation start to the answer, and the search time the widget
 * itself puts in its answer ({@code took}: the winning worker's time from the start of its own
 * part of the range, so with two workers it is not the user's wait; per page only), and from the
 * widget's {@code verifying} state to the answer (the search as the page sees it, including the
 * workers' start). If Chromium refuses the CDP
 * command, the benchmark falls back to polling from the Java side every 10 ms after the page
 * has loaded, and says so. The solution number is uniformly random below {@code maxnumber}, so
 * the expected work is half of it: the printed mean of number / maxnumber shows how lucky a
 * series was.
 *
 * <p>Options: {@code -Dbench.solve.works} (20000,100000,1000000), {@code -Dbench.solve.pages}
 * (10 a difficulty, after one unmeasured page), {@code -Dbench.solve.timeout.seconds} (120 a page).
 * One browser for all pages, so the widget's script comes from its cache after the first page, as
 * for a user who has been on the page before. The server runs on the same two cores, idle
 * between pages; the browser's workers are as many as {@code navigator.hardwareConcurrency}
 * (printed).
 */
@DisplayName("Proof-of-work solve time in headless Chromium at each work level")
class CaptchaSolveTimeBenchmark {

    private static final String WORKS = System.getProperty("bench.solve.works", "20000,100000,1000000");
    private static final int PAGES = Integer.getInteger("bench.solve.pages", 10);
    private static final Duration WAIT = Duration.ofSeconds(Integer.getInteger("bench.solve.timeout.seconds", 120));

    /** Runs before the page's scripts: notes when the answer field appears and when it is filled. */
    private static final String PROBE = """
            (function () {
              var b = window.__sentinelBench = { states: [] };
              document.addEventListener('statechange', function (e) {
                b.states.push([e.detail && e.detail.state, performance.now()]);
              }, true);
              var t = setInterval(function () {
                var i = document.querySelector('input[name=altcha]');
                if (i && b.fieldAt === undefined) b.fieldAt = performance.now();
                if (i && i.value) { b.solvedAt = performance.now(); b.value = i.value; clearInterval(t); }
              }, 2);
              setTimeout(function () { clearInterval(t); }, 600000);
            })();""";

    private static final String READ = """
            var b = window.__sentinelBench;
            if (!b || b.solvedAt === undefined) return null;
            var nav = performance.getEntriesByType('navigation')[0];
            var widget = performance.getEntriesByType('resource').filter(function (r) {
              return r.name.indexOf('/sentinel-captcha/widget') >= 0; })[0];
            var verifying = b.states.filter(function (s) { return s[0] === 'verifying'; })[0];
            return JSON.stringify({ solvedAt: b.solvedAt, fieldAt: b.fieldAt, value: b.value,
              load: nav ? nav.loadEventEnd : null, dcl: nav ? nav.domContentLoadedEventEnd : null,
              widgetAt: widget ? widget.responseEnd : null, verifyingAt: verifying ? verifying[1] : null,
              cores: navigator.hardwareConcurrency });""";

    private static boolean printedCores;

    private record Sample(double fromLoad, double fromNavigation, double took, double widgetAt, double fieldAt,
                          double verifyingAt, double numberShare) {
        /** From the widget's "verifying" state to the answer: the search as the page sees it. */
        double search() {
            return fromNavigation - verifyingAt;
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    @DisplayName("Median and p90 solve time of the ALTCHA widget in headless Chromium, by maxnumber")
    void solveTimeByWork() throws Exception {
        List<Long> works = new ArrayList<>();
        for (String w : WORKS.split(",")) {
            works.add(Long.parseLong(w.trim()));
        }
        try (KeycloakNode node = KeycloakNode.start(BuiltDistribution.get(), "captcha-solve", List.of(), Map.of());
             TestRealm realm = TestRealm.builder("captcha-solve").user("sol", "Solve-pass-1").create(node);
             Browser browser = Browser.start()) {
            SentinelFlows.useSentinelLoginForm(node.admin(), realm.name());
            String captcha = "/admin/realms/" + AdminApi.encPath(realm.name()) + "/sentinel-admin/captcha";
            node.admin().put(captcha, Map.of("mode", "always")).expect(200);
            browser.driver().manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
            boolean inPage;
            try {
                browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", PROBE));
                inPage = true;
            } catch (WebDriverException e) {
                System.out.println("[captcha-solve] CDP probe refused (" + e.getMessage().lines().findFirst().orElse("")
                        + "): timing from the Java side, polling every 10 ms after the page load");
                inPage = false;
            }
            System.out.printf("[captcha-solve] timing %s; %d pages a difficulty after one unmeasured page%n",
                    inPage ? "in the page (performance.now(), probe added before the page's scripts)"
                            : "from the Java side (poll every 10 ms)", PAGES);
            List<String> table = new ArrayList<>();
            for (long work : works) {
                node.admin().put(captcha, Map.of("workLow", work, "workMedium", work, "workHigh", work)).expect(200);
                List<Sample> samples = new ArrayList<>();
                for (int i = 0; i <= PAGES; i++) {
                    Sample s = inPage ? inPageSample(browser, realm, work) : javaSideSample(browser, realm, work);
                    if (i == 0) {
                        continue; // unmeasured: the first page at this difficulty
                    }
                    samples.add(s);
                    System.out.printf("[captcha-solve] maxnumber %,d page %d: %.0f ms from the load event, %.0f ms from"
                                    + " the navigation start (widget JSON at %.0f, field at %.0f, verifying at %.0f),"
                                    + " widget's took %.0f ms, number / maxnumber %.2f%n", work, i, s.fromLoad(),
                            s.fromNavigation(), s.widgetAt(), s.fieldAt(), s.verifyingAt(), s.took(), s.numberShare());
                }
                String line = String.format("maxnumber %,d: from the load event median %.0f ms, p90 %.0f ms; from the"
                                + " navigation start median %.0f ms, p90 %.0f ms; from 'verifying' to the answer median"
                                + " %.0f ms, p90 %.0f ms; mean number / maxnumber %.2f (n=%d)", work,
                        p(samples, Sample::fromLoad, 50), p(samples, Sample::fromLoad, 90),
                        p(samples, Sample::fromNavigation, 50), p(samples, Sample::fromNavigation, 90),
                        p(samples, Sample::search, 50), p(samples, Sample::search, 90),
                        samples.stream().mapToDouble(Sample::numberShare).average().orElse(Double.NaN), samples.size());
                table.add(line);
                System.out.println("[captcha-solve] " + line);
            }
            System.out.println("[captcha-solve] ==== summary ====");
            table.forEach(l -> System.out.println("[captcha-solve] " + l));
        }
    }

    private static double p(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f, double percentile) {
        double[] v = samples.stream().mapToDouble(f).sorted().toArray();
        return BenchStats.percentile(v, percentile);
    }

    private static Sample inPageSample(Browser browser, TestRealm realm, long work) throws Exception {
        browser.openLogin(realm);
        String json = new WebDriverWait(browser.driver(), WAIT, Duration.ofMillis(50))
                .until(d -> (String) ((JavascriptExecutor) d).executeScript(READ));
        JsonNode r = AdminApi.JSON.readTree(json);
        if (r.path("cores").isNumber() && !printedCores) {
            printedCores = true;
            System.out.println("[captcha-solve] navigator.hardwareConcurrency = " + r.get("cores").asInt());
        }
        JsonNode answer = decode(r.get("value").asText());
        double solvedAt = r.get("solvedAt").asDouble();
        return new Sample(solvedAt - r.path("load").asDouble(Double.NaN), solvedAt, answer.path("took").asDouble(Double.NaN),
                r.path("widgetAt").asDouble(Double.NaN), r.path("fieldAt").asDouble(Double.NaN),
                r.path("verifyingAt").asDouble(Double.NaN), answer.get("number").asDouble() / work);
    }

    /** The fallback: from the page's load (when {@code openLogin} returns) until the field has a value, polled from Java. */
    private static Sample javaSideSample(Browser browser, TestRealm realm, long work) throws Exception {
        browser.openLogin(realm);
        long loaded = System.nanoTime();
        String value = new WebDriverWait(browser.driver(), WAIT, Duration.ofMillis(10)).until(d -> {
            String v = (String) ((JavascriptExecutor) d).executeScript(
                    "var i = document.querySelector('input[name=altcha]'); return i && i.value ? i.value : null;");
            return v == null || v.isBlank() ? null : v;
        });
        double fromLoad = (System.nanoTime() - loaded) / 1e6;
        JsonNode answer = decode(value);
        return new Sample(fromLoad, Double.NaN, answer.path("took").asDouble(Double.NaN), Double.NaN, Double.NaN,
                Double.NaN, answer.get("number").asDouble() / work);
    }

    private static JsonNode decode(String answer) throws java.io.IOException {
        JsonNode payload = AdminApi.JSON.readTree(Base64.getDecoder().decode(answer));
        assertThat(payload.has("number")).as("an ALTCHA answer: %s", payload).isTrue();
        return payload;
    }
}
