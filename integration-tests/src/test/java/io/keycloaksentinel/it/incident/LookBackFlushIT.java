package io.keycloaksentinel.it.incident;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.Attacks;
import io.keycloaksentinel.it.harness.CodeFlow;
import io.keycloaksentinel.it.harness.KeycloakNode;
import io.keycloaksentinel.it.harness.SourceBoundLogin;
import io.keycloaksentinel.it.harness.SourceBoundLogin.Browser;
import io.keycloaksentinel.it.harness.TestRealm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A sign-in from a new device on a network new to its account is a likely break-in, whenever the
 * node's buffered counts reach the cluster: the sign-in makes its own network known to the account
 * (smart lockout), and that must not hide the sign-in from the attack's look-back. A node that
 * flushes every 50 ms (the shortest the option allows) makes a flush between the two more likely;
 * before the fix, some of the accounts below were missing from the finder and never contained. Shown
 * where the password check read the account's networks first (the spray rule), and where nothing did
 * before the sign-in's own events.
 */
@DisplayName("Every sign-in from a new device and a new network is in the attack's look-back, whenever the node flushes")
class LookBackFlushIT {

    private static final int ACCOUNTS = 40;
    private static final String UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    private static KeycloakNode node;
    private static final List<TestRealm> realms = new ArrayList<>();

    @BeforeAll
    static void start() {
        // the hash bulkhead off, so that nothing but the spray rule reads the account's networks before the sign-in
        node = KeycloakNode.start("lookback-flush", List.of(
                "--spi-sentinel-attack-detection--sentinel-infinispan--flush-interval-ms=50",
                "--spi-sentinel-attack-detection--sentinel-infinispan--hash-bulkhead-permits=0"), Map.of());
    }

    @AfterAll
    static void stop() {
        try {
            realms.forEach(TestRealm::close);
        } finally {
            if (node != null) {
                node.close();
            }
        }
    }

    private static TestRealm realm(String name, boolean sprayRule) {
        TestRealm.Builder builder = TestRealm.builder(name);
        for (int i = 0; i < ACCOUNTS; i++) {
            builder.user("owner" + i, "Owner-pass-" + i);
        }
        TestRealm realm = builder.create(node);
        realms.add(realm);
        String base = "/admin/realms/" + realm.name() + "/sentinel-admin";
        // a containment policy tracks devices; notify only tells the owners (the finder is what is asserted)
        JsonNode policy = node.admin().put(base + "/incident/containment", Map.of("containment", "notify")).expect(200).json();
        assertThat(policy.get("containment").asText()).isEqualTo("notify");
        if (!sprayRule) {
            node.admin().put(base + "/config", Map.of("sprayAccountsPerHour", 0)).expect(200);
        }
        return realm;
    }

    @Test
    @DisplayName("Forty sign-ins, each from a new browser in its own /24, then an attack: the finder lists all forty")
    void everyNewSignInIsListed() {
        signInsThenAttack(realm("lookback", true), 71);
    }

    @Test
    @DisplayName("The same where nothing read the account's networks before the sign-in (spray rule and hash bulkhead off)")
    void listedWhenNothingReadBefore() {
        signInsThenAttack(realm("lookback-unread", false), 72);
    }

    private void signInsThenAttack(TestRealm realm, int net) {
        List<String> signedIn = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            Browser browser = new Browser(SourceBoundLogin.loopback(net, i, 1), UA);
            CodeFlow.Tokens t = CodeFlow.signIn(node, realm.name(), browser, "owner" + i, "Owner-pass-" + i, false);
            assertThat(t).as("owner%d signs in", i).isNotNull();
            signedIn.add("owner" + i);
        }
        Attacks.underAttack(node, realm.name());

        String finder = "/admin/realms/" + realm.name() + "/sentinel-admin/incident/compromised";
        // the ledger's entries reach the cluster with the next flush: read until all are there, for at most 20 s
        JsonNode found;
        TreeSet<String> listed;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        do {
            found = node.admin().get(finder).expect(200).json();
            listed = listed(found);
        } while (!listed.containsAll(signedIn) && System.nanoTime() < deadline && pause());
        System.out.printf("[look-back, 50 ms flushes, %s] %d new sign-ins, %d listed by the finder%n", realm.name(),
                signedIn.size(), listed.size());
        assertThat(listed).containsAll(signedIn);
        for (JsonNode a : found.get("accounts")) {
            assertThat(a.get("logins").toString()).as("%s", a).contains("new-sign-in").contains("new-network")
                    .contains("no-history");
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(250);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static TreeSet<String> listed(JsonNode found) {
        TreeSet<String> names = new TreeSet<>();
        found.get("accounts").forEach(a -> names.add(a.get("username").asText()));
        return names;
    }
}
