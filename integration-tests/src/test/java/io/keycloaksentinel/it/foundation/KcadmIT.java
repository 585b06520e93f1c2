package io.keycloaksentinel.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.KeycloakIT;
import io.keycloaksentinel.it.harness.KeycloakServer;
import io.keycloaksentinel.it.harness.Processes;
import io.keycloaksentinel.it.harness.Settings;
import io.keycloaksentinel.it.harness.TestRealm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every capability's settings through Keycloak's own {@code kcadm.sh}, exactly as the docs show
 * it: {@code get} reads them, {@code update -s key=value} (which reads, changes one key and sends
 * the whole body back) changes one, a bad value fails with Sentinel's reason, and the change is
 * what Sentinel's API then answers.
 */
@KeycloakIT
@DisplayName("kcadm.sh runs every capability's settings")
class KcadmIT {

    private final KeycloakServer server;
    @TempDir
    Path dir;

    KcadmIT(KeycloakServer server) {
        this.server = server;
    }

    private record Run(int exit, String out, String err) {
    }

    private Run kcadm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Settings.distribution().resolve("bin/kcadm.sh").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--config", dir.resolve("kcadm.config").toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", Settings.javaHome().toString());
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = Processes.register(pb.start());
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            Processes.stop(p, Duration.ofSeconds(5));
            throw new AssertionError("kcadm.sh " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private JsonNode get(String path) throws Exception {
        Run r = kcadm("get", path);
        assertThat(r.exit()).as("kcadm.sh get %s: %s", path, r.err()).isZero();
        return AdminApi.JSON.readTree(r.out());
    }

    private void update(String path, String... sets) throws Exception {
        List<String> args = new ArrayList<>(List.of("update", path));
        for (String s : sets) {
            args.add("-s");
            args.add(s);
        }
        Run r = kcadm(args.toArray(String[]::new));
        assertThat(r.exit()).as("kcadm.sh update %s %s: %s", path, List.of(sets), r.err()).isZero();
    }

    @Test
    @DisplayName("get, update -s and a refused value, for detection, CAPTCHA, breached passwords, alerts, admin alerts, MFA, containment and emergency mode")
    void everyCapability() throws Exception {
        try (TestRealm realm = TestRealm.builder("kcadm").user("olivia", "Olivia-pass-1").create(server)) {
            Run login = kcadm("config", "credentials", "--server", server.baseUrl().toString(), "--realm", "master",
                    "--user", Settings.ADMIN_USER, "--password", Settings.ADMIN_PASSWORD);
            assertThat(login.exit()).as("kcadm.sh config credentials: %s", login.err()).isZero();
            String base = "realms/" + realm.name() + "/sentinel-admin/";

            update(base + "config", "ipFailuresPerDay=77", "networkFailuresPer15m=300");
            Run lift = kcadm("create", base + "attack/lift", "-s", "source=203.0.113.7");
            assertThat(lift.exit()).as("lift: %s", lift.err()).isZero();
            assertThat(get(base + "config").get("ipFailuresPerDay").asInt()).isEqualTo(77);

            update(base + "captcha", "mode=always");
            JsonNode captcha = get(base + "captcha");
            assertThat(captcha.get("mode").asText()).isEqualTo("always");
            assertThat(captcha.has("providers")).as("the read shows the installed providers").isTrue();

            update(base + "breached-passwords", "recheckDays=7");
            assertThat(get(base + "breached-passwords").get("recheckDays").asInt()).isEqualTo(7);

            update(base + "alerts", "newDeviceAlerts=true", "notifyPasswordChange=true");
            assertThat(get(base + "alerts").get("newDeviceAlerts").asBoolean()).isTrue();
            assertThat(get(base + "alerts").get("notifyPasswordChange").asBoolean()).isTrue();

            update(base + "admin-alerts", "emails=[\"sec@example.test\"]", "webhookSecret=0123456789abcdef-secret");
            JsonNode adminAlerts = get(base + "admin-alerts");
            assertThat(adminAlerts.get("emails").get(0).asText()).isEqualTo("sec@example.test");
            assertThat(adminAlerts.get("webhookSecret").asText()).isEqualTo("**********");
            // sent back as read: the masked secret is left as it is
            update(base + "admin-alerts", "minState=elevated");
            assertThat(get(base + "admin-alerts").get("webhookSecret").asText()).isEqualTo("**********");

            update(base + "mfa", "mode=enforce", "graceDays=21");
            JsonNode mfa = get(base + "mfa");
            assertThat(mfa.get("mode").asText()).isEqualTo("enforce");
            assertThat(mfa.get("graceDays").asInt()).isEqualTo(21);
            assertThat(get(base + "mfa/compliance").has("covered")).as("the compliance view").isTrue();

            update(base + "incident/containment", "lookBackMinutes=5");
            assertThat(get(base + "incident/containment").get("lookBackMinutes").asInt()).isEqualTo(5);

            Run emergency = kcadm("update", base + "incident/emergency", "-b", "{\"minutes\":10}");
            assertThat(emergency.exit()).as("emergency: %s", emergency.err()).isZero();
            assertThat(get(base + "incident/emergency").get("active").asBoolean()).isTrue();
            Run end = kcadm("delete", base + "incident/emergency");
            assertThat(end.exit()).as("end emergency: %s", end.err()).isZero();

            Run bad = kcadm("update", base + "captcha", "-s", "mode=sometimes");
            assertThat(bad.exit()).as("a bad value").isNotZero();
            assertThat(bad.err()).contains("mode");
            assertThat(get(base + "captcha").get("mode").asText()).as("nothing saved").isEqualTo("always");

            // what kcadm changed is what Sentinel's API answers
            assertThat(server.admin().get("/admin/" + base + "config").expect(200).json().get("ipFailuresPerDay").asInt())
                    .isEqualTo(77);
            assertThat(get(base + "attack").get("state").asText()).isEqualTo("NORMAL");
        }
    }
}
