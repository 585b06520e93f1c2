package io.keycloaksentinel.core.breach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.breach.BreachSettings.LoginAction;
import io.keycloaksentinel.core.breach.BreachSettings.Source;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BreachSettingsTest {

    @Test
    @DisplayName("Nothing stored: offline sources only, fail open, a second proof at login")
    void defaults() {
        BreachSettings s = BreachSettings.TABLE.read(k -> null);
        assertThat(s).isEqualTo(BreachSettings.DEFAULTS);
        assertThat(s.sources()).containsExactly(Source.BUNDLED, Source.INDEX);
        assertThat(s.failOpen()).isTrue();
        assertThat(s.loginAction()).isEqualTo(LoginAction.SECOND_PROOF);
        assertThat(s.apiTimeoutMillis()).isEqualTo(2000);
    }

    @Test
    @DisplayName("Damaged stored values fall back to their defaults, one by one")
    void damaged() {
        Map<String, String> stored = Map.of("sources", "bundled,carrier-pigeon", "apiUrl", "ftp://x",
                "apiTimeoutMillis", "99999999", "loginAction", "explode", "recheckDays", "-1");
        BreachSettings s = BreachSettings.TABLE.read(stored::get);
        assertThat(s).isEqualTo(BreachSettings.DEFAULTS);
        assertThat(BreachSettings.TABLE.read(Map.of("sources", "")::get).sources()).as("explicitly none").isEmpty();
    }

    @Test
    @DisplayName("A valid update is stored as strings and read back")
    void update() {
        Map<String, Object> update = new HashMap<>();
        update.put("sources", List.of("api", "bundled"));
        update.put("apiUrl", "http://127.0.0.1:9/hibp");
        update.put("apiTimeoutMillis", 500);
        update.put("failOpen", false);
        update.put("loginAction", "email-reset");
        update.put("adminEmail", "security@example.test");
        update.put("recheckDays", null);
        Map<String, String> out = BreachSettings.validateUpdate(update);
        assertThat(out).containsEntry("sources", "bundled,api").containsEntry("failOpen", "false")
                .containsEntry("recheckDays", null);
        BreachSettings s = BreachSettings.TABLE.read(out::get);
        assertThat(s.sources()).containsExactly(Source.BUNDLED, Source.API);
        assertThat(s.loginAction()).isEqualTo(LoginAction.EMAIL_RESET);
        assertThat(s.adminEmail()).isEqualTo("security@example.test");
        assertThat(s.toMap()).containsEntry("loginAction", "email-reset").containsEntry("apiTimeoutMillis", 500);
    }

    @Test
    @DisplayName("Bad values are refused with the field's name")
    void invalid() {
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of())).hasMessageContaining("at least one");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("color", "red"))).hasMessageContaining("unknown setting 'color'");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("sources", "bundled"))).hasMessageContaining("sources");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("sources", List.of("bundled", 3)))).hasMessageContaining("sources");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("apiUrl", "http://api.example.com"))).hasMessageContaining("https");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("apiUrl", "https://user:pw@api.example.com"))).hasMessageContaining("apiUrl");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("apiTimeoutMillis", 60_000))).hasMessageContaining("100 to 10000");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("failOpen", "yes"))).hasMessageContaining("true or false");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("loginAction", "lock"))).hasMessageContaining("second-proof");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("adminEmail", "a@example.test\r\nBcc: b@example.test")))
                .hasMessageContaining("adminEmail");
        assertThatThrownBy(() -> BreachSettings.validateUpdate(Map.of("adminEmail", "a@x.test, b@x.test"))).hasMessageContaining("adminEmail");
    }
}
