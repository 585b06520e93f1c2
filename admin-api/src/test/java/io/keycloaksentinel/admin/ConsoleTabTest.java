package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.alerts.AdminAlertSettings;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.MfaSettings;
import java.text.MessageFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.keycloak.common.util.MultivaluedHashMap;
import org.keycloak.provider.ProviderConfigProperty;

class ConsoleTabTest {

    private static Set<String> fieldKeys(ConsoleTab tab) {
        return tab.fields().stream().map(ConsoleTab.Field::key).collect(Collectors.toSet());
    }

    @Test
    void everySettingOfEachCapabilityHasItsField() {
        Map<String, List<String>> expected = Map.of(
                "sentinel-captcha", CaptchaSettings.TABLE.keys(),
                "sentinel-breached-passwords", BreachSettings.TABLE.keys(),
                "sentinel-device-alerts", AlertSettings.TABLE.keys(),
                "sentinel-admin-alerts", AdminAlertSettings.TABLE.keys(),
                "sentinel-mfa", MfaSettings.TABLE.keys(),
                "sentinel-containment", ContainmentSettings.TABLE.keys());
        for (ConsoleTab tab : SettingsTabs.all()) {
            if (!tab.showsSettings()) {
                continue;
            }
            Set<String> wanted = tab.getId().equals("sentinel-detection") ? tab.defaults().keySet()
                    : Set.copyOf(expected.get(tab.getId()));
            assertThat(fieldKeys(tab)).as(tab.getId()).isEqualTo(wanted);
            assertThat(tab.fields()).as("no dots in names: the console cannot save them").noneMatch(f -> f.key().contains("."));
            assertThat(tab.getParams()).containsEntry("tab", tab.getId());
        }
        assertThat(SettingsTabs.all()).extracting(ConsoleTab::getId).doesNotHaveDuplicates().hasSize(8);
    }

    @Test
    void propertiesShowDefaultsAndNeverASecret() {
        ConsoleTab captcha = new SettingsTabs.Captcha();
        Map<String, ProviderConfigProperty> byName = captcha.getConfigProperties().stream()
                .collect(Collectors.toMap(ProviderConfigProperty::getName, p -> p));
        assertThat(byName.get("mode").getType()).isEqualTo(ProviderConfigProperty.LIST_TYPE);
        assertThat(byName.get("mode").getOptions()).contains("never", "risky", "always", "monitor");
        assertThat(byName.get("mode").getDefaultValue()).isEqualTo("risky");
        assertThat(byName.get("workHigh").getDefaultValue()).isEqualTo("200000");
        assertThat(byName.get("failOpen").getType()).isEqualTo(ProviderConfigProperty.BOOLEAN_TYPE);
        assertThat(byName.get("secret").isSecret()).isTrue();
        assertThat(byName.get("secret").getType()).isEqualTo(ProviderConfigProperty.PASSWORD);
        assertThat(byName.get("secret").getDefaultValue()).isNull();
        assertThat(byName.get("provider").getOptions()).containsExactly("altcha");
    }

    @Test
    void formTextBecomesTheJsonTheRestApiTakes() {
        assertThat(ConsoleTab.json(ConsoleTab.Kind.FLAG, "true")).isEqualTo(true);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.FLAG, "yes")).isEqualTo("yes");
        assertThat(ConsoleTab.json(ConsoleTab.Kind.WHOLE, "150000")).isEqualTo(150_000L);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.WHOLE, "7.0")).isEqualTo(7L);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.WHOLE, "1.5")).isEqualTo(1.5);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.WHOLE, "many")).isEqualTo("many");
        assertThat(ConsoleTab.json(ConsoleTab.Kind.WHOLE, "9".repeat(30))).isInstanceOf(Double.class);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.DECIMAL, "0.25")).isEqualTo(0.25);
        assertThat(ConsoleTab.json(ConsoleTab.Kind.LINES, " 10.0.0.0/8 \r\n\n192.168.0.0/16\n"))
                .isEqualTo(List.of("10.0.0.0/8", "192.168.0.0/16"));
        assertThat(ConsoleTab.json(ConsoleTab.Kind.TEXT, "x")).isEqualTo("x");
    }

    @Test
    void aSaveSendsWhatTheAdminChangedAndKeepsAMaskedOrEmptySecret() {
        ConsoleTab captcha = new SettingsTabs.Captcha();
        Map<String, String> before = ConsoleTabs.form(captcha, captcha.defaults());
        before.put("secret", "**********");
        before.put("siteKey", "site-1");
        MultivaluedHashMap<String, String> form = ConsoleTabs.config(before);
        form.putSingle("mode", "always");
        form.putSingle("workHigh", "150000");
        form.putSingle("siteKey", "");
        form.putSingle("realm", "r");
        form.putSingle("tab", "sentinel-captcha");
        Map<String, Object> update = captcha.changes(form, before, before);
        assertThat(update).containsOnlyKeys("mode", "workHigh", "siteKey")
                .containsEntry("mode", "always").containsEntry("workHigh", 150_000L).containsEntry("siteKey", null);
        form.putSingle("secret", "");
        assertThat(captcha.changes(form, before, before)).doesNotContainKey("secret");
        form.putSingle("secret", "new-secret");
        assertThat(captcha.changes(form, before, before)).containsEntry("secret", "new-secret");
        assertThat(captcha.changes(ConsoleTabs.config(before), before, before)).as("nothing changed: nothing sent").isEmpty();

        // someone else changed workLow through the REST API after the form was opened: a save of another field keeps it
        Map<String, String> now = new LinkedHashMap<>(before);
        now.put("workLow", "2000");
        MultivaluedHashMap<String, String> other = ConsoleTabs.config(before);
        other.putSingle("challengeSeconds", "600");
        assertThat(captcha.changes(other, before, now)).containsOnlyKeys("challengeSeconds");
    }

    @Test
    void detectionsWholeReplacementSendsTheStoredValuesOfUnchangedFields() {
        ConsoleTab detection = new SettingsTabs.Detection();
        Map<String, String> before = ConsoleTabs.form(detection, detection.defaults());
        Map<String, String> now = new LinkedHashMap<>(before);
        now.put("mode", "monitor"); // set through the REST API after the form was opened
        MultivaluedHashMap<String, String> form = ConsoleTabs.config(before);
        form.putSingle("networkFailuresPer15m", "123");
        Map<String, Object> update = detection.changes(form, before, now);
        assertThat(update).containsEntry("networkFailuresPer15m", 123L).containsEntry("mode", "monitor")
                .doesNotContainValue(null);
        form.putSingle("allowlist", "");
        assertThat(detection.changes(form, before, now)).as("an empty list: left out, its default")
                .doesNotContainKey("allowlist");
        assertThat(detection.changes(ConsoleTabs.config(before), before, now)).isEmpty();
    }

    @Test
    void theFormShowsWhatTheRestReadShows() {
        ConsoleTab alerts = new SettingsTabs.AdminAlerts();
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("emails", List.of("a@example.com", "b@example.com"));
        shown.put("webhookUrl", "**********");
        shown.put("webhookSecret", null);
        shown.put("updateMinutes", 15);
        shown.put("problems", List.of("not a field"));
        assertThat(ConsoleTabs.form(alerts, shown)).containsExactly(Map.entry("emails", "a@example.com\nb@example.com"),
                Map.entry("webhookUrl", "**********"), Map.entry("updateMinutes", "15"));
    }

    @Test
    void aRestMessageReachesTheConsoleAsItIs() {
        for (String message : List.of("webhookSecret must be 16 to 512 characters (or a ${vault.key} reference)",
                "emails: 'x' is not an email address", "plain")) {
            assertThat(MessageFormat.format(ConsoleTabs.literal(message), new Object[0])).isEqualTo(message);
        }
    }
}
