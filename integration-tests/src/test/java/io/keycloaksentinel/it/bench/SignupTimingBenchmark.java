package io.keycloaksentinel.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.BuiltDistribution;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.LoginClient;
import io.keycloaksentinel.it.harness.MailServer;
import io.keycloaksentinel.it.harness.SentinelFlows;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser.Page;
import io.keycloaksentinel.it.harness.TestRealm;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whether a registered and an unknown address can be told apart by the time the answer takes,
 * on the sign-up and the password-reset pages. Not an {@code *IT}: the default
 * {@code ./mvnw verify} does not run it; run it by hand (figures in docs/BENCHMARKS.md, section
 * "Enumeration-safe sign-up and reset"):
 *
 * <pre>./mvnw -q -o install -DskipTests
 * ./mvnw verify -pl integration-tests -Dit.test=SignupTimingBenchmark -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 *
 * <p>Two servers: Keycloak with Sentinel (the {@code sentinel email-first registration} flow bound, Sentinel's
 * ready reset flow with its queued reset mail) and plain Keycloak (its own reset flow, which sends
 * the mail while the visitor waits), each with a realm of 2 x (warm-up + requests) accounts whose
 * SMTP server is a local GreenMail; every registered address is asked for once per page, as an
 * enumeration run would (a repeated address would meet Sentinel's per-address mail budget). Each series alternates a registered and an
 * unknown address (which one first drawn at random per pair), {@code -Dbench.signup.requests} (200) of each, every request from a fresh
 * browser on its own loopback address (the per-address sign-up budget is never reached; CAPTCHA
 * mode {@code never}); the time measured is the form post alone, from the client's socket until the
 * whole answer is read. Printed: each side's percentiles and the median of the paired
 * differences (request i of each kind, back to back) with a 95 % bootstrap interval.
 */
class SignupTimingBenchmark {

    private static final int REQUESTS = Integer.getInteger("bench.signup.requests", 200);
    private static final int WARMUP = Integer.getInteger("bench.signup.warmup", 40);
    /** Every registered address is asked for once per page, as an enumeration run would: one block per page. */
    private static final int BLOCK = WARMUP + REQUESTS;
    private static final Pattern FORM_ACTION = Pattern.compile("<form[^>]*action=\"([^\"]+)\"");
    private static final Pattern RESET_LINK = Pattern.compile("href=\"([^\"]*/login-actions/reset-credentials[^\"]*)\"");
    private static final String QUERY = LoginClient.form(Map.of("client_id", TestRealm.CLIENT_ID,
            "redirect_uri", TestRealm.REDIRECT_URI, "response_type", "code", "scope", "openid",
            "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));

    private int nextSource;

    @Test
    @Timeout(value = 40, unit = java.util.concurrent.TimeUnit.MINUTES)
    @DisplayName("Sign-up and reset: time of the answer for registered and unknown addresses, Sentinel and plain Keycloak")
    void timing() {
        try (MailServer mail = new MailServer();
             KeycloakNode sentinel = KeycloakNode.start(BuiltDistribution.get(), "bench-signup-sentinel", List.of(), Map.of());
             KeycloakNode plain = KeycloakNode.start(BuiltDistribution.plain(), "bench-signup-plain", List.of(), Map.of())) {
            TestRealm sentinelRealm = realm(sentinel, mail);
            TestRealm plainRealm = realm(plain, mail);
            sentinel.admin().post("/admin/realms/" + sentinelRealm.name() + "/sentinel-admin/sign-up/flows?bind=true", Map.of())
                    .expect(200);
            sentinel.admin().post("/admin/realms/" + sentinelRealm.name() + "/sentinel-admin/mfa/flows?bind=true", Map.of())
                    .expect(200);
            SentinelFlows.captchaMode(sentinel.admin(), sentinelRealm.name(), "never");

            // warm-up: both servers, both pages, both kinds of address
            series(sentinel, sentinelRealm, true, 0, WARMUP);
            series(sentinel, sentinelRealm, false, BLOCK, WARMUP);
            series(plain, plainRealm, false, BLOCK, WARMUP);

            long[][] signup = series(sentinel, sentinelRealm, true, WARMUP, REQUESTS);
            report("sign-up, Sentinel", signup);
            long[][] reset = series(sentinel, sentinelRealm, false, BLOCK + WARMUP, REQUESTS);
            report("reset, Sentinel", reset);
            long[][] plainReset = series(plain, plainRealm, false, BLOCK + WARMUP, REQUESTS);
            report("reset, plain Keycloak", plainReset);
        }
    }

    private static TestRealm realm(KeycloakNode node, MailServer mail) {
        TestRealm.Builder builder = TestRealm.builder("bench-signup");
        for (int i = 0; i < 2 * BLOCK; i++) {
            builder.user("member" + i, "Member-pass-2026!");
        }
        return builder.customize(r -> {
            r.setSmtpServer(mail.realmSmtp());
            r.setRegistrationAllowed(true);
            r.setResetPasswordAllowed(true);
        }).create(node);
    }

    /**
     * {@code count} pairs (registered, unknown), back to back, which one first drawn at random per
     * pair (seeded), so neither kind always follows the other; nanoseconds of each form post.
     */
    private long[][] series(KeycloakNode node, TestRealm realm, boolean signup, int firstMember, int count) {
        long[][] nanos = new long[2][count];
        java.util.Random order = new java.util.Random(20261123L + count + (signup ? 1 : 0));
        for (int i = 0; i < count; i++) {
            int first = order.nextInt(2);
            for (int k = 0; k < 2; k++) {
                int kind = k == 0 ? first : 1 - first;
                String address = kind == 0 ? "member" + (firstMember + i) + "@example.test"
                        : "stranger-" + System.nanoTime() + "@example.test";
                nanos[kind][i] = signup ? signupPost(node, realm, address) : resetPost(node, realm, address);
            }
        }
        return nanos;
    }

    private long signupPost(KeycloakNode node, TestRealm realm, String address) {
        Browser browser = new Browser(source(), "Mozilla/5.0 bench");
        URI base = node.baseUrl();
        Page page = browser.follow(base, browser.get(base,
                "/realms/" + AdminApi.encPath(realm.name()) + "/protocol/openid-connect/registrations?" + QUERY), null);
        Matcher action = FORM_ACTION.matcher(page.body());
        assertThat(action.find()).as("the email page").isTrue();
        long start = System.nanoTime();
        Page answer = browser.post(base, action.group(1), Map.of("email", address));
        long took = System.nanoTime() - start;
        assertThat(answer.status()).as("%s", answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("We sent a message to");
        return took;
    }

    private long resetPost(KeycloakNode node, TestRealm realm, String address) {
        Browser browser = new Browser(source(), "Mozilla/5.0 bench");
        URI base = node.baseUrl();
        Page login = browser.follow(base, browser.get(base,
                "/realms/" + AdminApi.encPath(realm.name()) + "/protocol/openid-connect/auth?" + QUERY), null);
        Matcher link = RESET_LINK.matcher(login.body());
        assertThat(link.find()).as("the reset link").isTrue();
        Page form = browser.get(base, link.group(1));
        Matcher action = FORM_ACTION.matcher(form.body());
        assertThat(action.find()).as("the reset form").isTrue();
        long start = System.nanoTime();
        Page answer = browser.post(base, action.group(1), Map.of("username", address));
        long took = System.nanoTime() - start;
        assertThat(answer.status()).as("%s", answer.body()).isIn(200, 302);
        return took;
    }

    /** A fresh loopback address per request, consecutive ones in different /24 networks: 127.63.x.y. */
    private InetAddress source() {
        int n = nextSource++;
        try {
            return InetAddress.getByAddress(new byte[] {127, 63, (byte) (n % 250), (byte) (n / 250 % 250 + 1)});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void report(String what, long[][] nanos) {
        BenchStats.print("signup-timing", what + ", registered address", nanos[0]);
        BenchStats.print("signup-timing", what + ", unknown address", nanos[1]);
        BenchStats.printDifference("signup-timing", new String[] {what + " registered", what + " unknown"}, nanos[0], nanos[1]);
    }
}
