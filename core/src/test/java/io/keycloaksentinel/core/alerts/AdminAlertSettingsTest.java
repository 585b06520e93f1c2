package io.keycloaksentinel.core.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdminAlertSettingsTest {

    /** As the test servers run: Sentinel's outbound calls may reach 127.0.0.1 (a test's local service). */
    @org.junit.jupiter.api.BeforeEach
    void allowLoopbackService() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(io.keycloaksentinel.core.net.OutboundPolicy.parse("127.0.0.1/32"));
    }

    @org.junit.jupiter.api.AfterEach
    void noAllowance() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(java.util.List.of());
    }


    private static final String SELF = "keycloak.example.test:8443";

    /** Stored realm attributes, keyed without the prefix. */
    private static AdminAlertSettings read(Map<String, String> stored) {
        return AdminAlertSettings.read(name -> name.startsWith(AdminAlertSettings.PREFIX)
                ? stored.get(name.substring(AdminAlertSettings.PREFIX.length())) : null);
    }

    @Test
    @DisplayName("Nothing stored: no channel, JSON webhooks, updates every 15 minutes, from under_attack on")
    void defaults() {
        AdminAlertSettings s = read(Map.of());
        assertThat(s).isEqualTo(AdminAlertSettings.DEFAULTS);
        assertThat(s.anyChannel()).isFalse();
        assertThat(s.toMap()).containsOnlyKeys(AdminAlertSettings.KEYS).containsEntry("emails", List.of())
                .containsEntry("webhookSecret", null).containsEntry("updateMinutes", 15);
    }

    @Test
    @DisplayName("A valid update round-trips through storage; the secret reads back masked and the mask keeps it")
    void roundTrip() {
        Map<String, Object> update = new HashMap<>();
        update.put("emails", List.of(" sec@example.test ", "ops@example.test"));
        update.put("webhookUrl", "https://hooks.example.test/x");
        update.put("webhookSecret", "0123456789abcdef");
        update.put("webhookFormat", "SLACK");
        update.put("updateMinutes", 60);
        update.put("minState", "elevated");
        Map<String, String> stored = AdminAlertSettings.validateUpdate(update, SELF);
        assertThat(stored).containsEntry("emails", "sec@example.test##ops@example.test").containsEntry("webhookFormat", "slack");
        AdminAlertSettings s = read(stored);
        assertThat(s.emails()).containsExactly("sec@example.test", "ops@example.test");
        assertThat(s.webhookSecret()).isEqualTo("0123456789abcdef");
        assertThat(s.anyChannel()).isTrue();
        assertThat(s.toMap()).containsEntry("webhookSecret", AdminAlertSettings.MASK).containsEntry("minState", "elevated")
                .containsEntry("webhookFormat", "slack").containsEntry("updateMinutes", 60);
        assertThat(AdminAlertSettings.validateUpdate(Map.of("webhookSecret", AdminAlertSettings.MASK), SELF))
                .as("the mask read back leaves the secret as it is").isEmpty();
        Map<String, Object> reset = new HashMap<>();
        reset.put("webhookUrl", null);
        reset.put("emails", List.of());
        assertThat(AdminAlertSettings.validateUpdate(reset, SELF)).containsEntry("webhookUrl", null).containsEntry("emails", null);
    }

    @Test
    @DisplayName("Damaged stored values fall back: bad addresses skipped, unknown format or state, minutes out of range")
    void damaged() {
        AdminAlertSettings s = read(Map.of("emails", "not-an-address##ok@example.test", "webhookUrl", "  ",
                "webhookFormat", "xml", "updateMinutes", "0", "minState", "calm"));
        assertThat(s.emails()).containsExactly("ok@example.test");
        assertThat(s.webhookUrl()).isNull();
        assertThat(s.webhookFormat()).isEqualTo("json");
        assertThat(s.updateMinutes()).isEqualTo(15);
        assertThat(s.minState()).isEqualTo("under_attack");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "webhookUrl|ftp://hooks.example.test|webhookUrl must be an http or https URL with a host (no user info)",
            "webhookUrl|https://u:p@hooks.example.test|webhookUrl must be an http or https URL with a host (no user info)",
            "webhookUrl|ht tp://x|webhookUrl is not a URL",
            "webhookUrl|https://KEYCLOAK.example.test:8443/hook|webhookUrl points at this Keycloak server itself",
            "webhookSecret|short|webhookSecret must be 16 to 512 characters (or a ${vault.key} reference)",
            "webhookFormat|xml|webhookFormat must be json or slack",
            "minState|calm|minState must be elevated or under_attack",
            "updateMinutes|x|updateMinutes must be a whole number from 1 to 1440",
            "emails|a@b|emails must be a list of at most 20 addresses",
            "colour|red|unknown setting 'colour'"})
    @DisplayName("A bad value is refused with the field's message")
    void invalid(String key, String value, String message) {
        assertThatThrownBy(() -> AdminAlertSettings.validateUpdate(Map.of(key, value), SELF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    @DisplayName("Email lists: every entry an address, at most 20; blank texts refused")
    void emailsAndBlanks() {
        assertThatThrownBy(() -> AdminAlertSettings.validateUpdate(Map.of("emails", List.of("ok@example.test", "nope")), SELF))
                .hasMessage("emails: 'nope' is not an email address");
        assertThatThrownBy(() -> AdminAlertSettings.validateUpdate(
                Map.of("emails", java.util.Collections.nCopies(21, "a@example.test")), SELF))
                .hasMessage("emails must be a list of at most 20 addresses");
        assertThatThrownBy(() -> AdminAlertSettings.validateUpdate(Map.of("webhookFormat", " "), SELF))
                .hasMessage("webhookFormat must be json or slack");
        assertThatThrownBy(() -> AdminAlertSettings.validateUpdate(Map.of("webhookUrl", "http://localhost:8080/x"),
                "127.0.0.1:8080")).hasMessageContaining("itself");
        assertThat(AdminAlertSettings.validateUpdate(Map.of("webhookUrl", "http://localhost:9000/x"), "127.0.0.1:8080"))
                .containsEntry("webhookUrl", "http://localhost:9000/x");
    }
}
