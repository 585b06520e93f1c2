package io.keycloaksentinel.core.captcha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CaptchaSettingsTest {

    /** As the test servers run: Sentinel's outbound calls may reach 127.0.0.1 (a test's local service). */
    @org.junit.jupiter.api.BeforeEach
    void allowLoopbackService() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(io.keycloaksentinel.core.net.OutboundPolicy.parse("127.0.0.1/32"));
    }

    @org.junit.jupiter.api.AfterEach
    void noAllowance() {
        io.keycloaksentinel.core.net.OutboundPolicy.allow(java.util.List.of());
    }


    private static final Set<String> PROVIDERS = Set.of("altcha", "turnstile");

    @Test
    @DisplayName("Nothing stored means the defaults: risky mode from MEDIUM risk, the built-in proof-of-work, fail closed")
    void defaults() {
        CaptchaSettings s = CaptchaSettings.TABLE.read(key -> null);
        assertThat(s).isEqualTo(CaptchaSettings.DEFAULTS);
        assertThat(s.mode()).isEqualTo(CaptchaMode.RISKY);
        assertThat(s.provider()).isEqualTo("altcha");
        assertThat(s.failOpen()).isFalse();
        assertThat(s.work(RiskLevel.LOW)).isLessThan(s.work(RiskLevel.MEDIUM));
        assertThat(s.work(RiskLevel.MEDIUM)).isLessThan(s.work(RiskLevel.HIGH));
    }

    @ParameterizedTest(name = "mode {0}, minRisk {1}, risk {2} -> {3}")
    @CsvSource({
            "never, medium, HIGH, false",
            "always, high, LOW, true",
            "risky, medium, LOW, false",
            "risky, medium, MEDIUM, true",
            "risky, high, MEDIUM, false",
            "risky, high, HIGH, true",
            "monitor, medium, HIGH, true"})
    @DisplayName("Whether a request must answer follows the mode and the minimum risk")
    void requires(String mode, String minRisk, RiskLevel risk, boolean required) {
        Map<String, String> stored = Map.of("mode", mode, "minRisk", minRisk);
        assertThat(CaptchaSettings.TABLE.read(stored::get).requires(risk)).isEqualTo(required);
    }

    @Test
    @DisplayName("A value damaged by hand falls back to its default instead of breaking a login")
    void damagedValues() {
        Map<String, String> stored = new HashMap<>();
        stored.put("mode", "sometimes");
        stored.put("minRisk", "extreme");
        stored.put("timeoutMillis", "forever");
        stored.put("minScore", "2.5");
        stored.put("workHigh", "10");
        stored.put("challengeSeconds", "-1");
        stored.put("provider", "x".repeat(5000));
        assertThat(CaptchaSettings.TABLE.read(stored::get)).isEqualTo(CaptchaSettings.DEFAULTS);
    }

    @Test
    @DisplayName("The secret never shows: masked in the map and in toString")
    void secretMasked() {
        CaptchaSettings s = CaptchaSettings.TABLE.read(Map.of("secret", "s3cr3t-value")::get);
        assertThat(s.secret()).isEqualTo("s3cr3t-value");
        assertThat(s.toMap().get("secret")).isEqualTo(CaptchaSettings.MASK);
        assertThat(s.toString()).doesNotContain("s3cr3t-value");
        assertThat(CaptchaSettings.DEFAULTS.toMap().get("secret")).isNull();
    }

    @Test
    @DisplayName("An update is partial, null restores a default, and the mask placeholder keeps the stored secret")
    void partialUpdate() {
        Map<String, Object> update = new HashMap<>();
        update.put("mode", "always");
        update.put("workHigh", 500_000);
        update.put("siteKey", null);
        update.put("secret", CaptchaSettings.MASK);
        update.put("failOpen", true);
        update.put("minScore", 0.7);
        update.put("verifyUrl", "http://127.0.0.1:8089/siteverify");
        Map<String, String> out = CaptchaSettings.validateUpdate(update, PROVIDERS);
        assertThat(out).containsEntry("mode", "always").containsEntry("workHigh", "500000").containsEntry("siteKey", null)
                .containsEntry("failOpen", "true").containsEntry("minScore", "0.7")
                .containsEntry("verifyUrl", "http://127.0.0.1:8089/siteverify").doesNotContainKey("secret");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "mode|sometimes|mode must be one of",
            "minRisk|low|minRisk must be medium or high",
            "provider|acme|provider must be one of [altcha, turnstile]",
            "verifyUrl|http://captcha.example.com/verify|must be an https URL",
            "verifyUrl|https://user:pw@captcha.example.com/verify|must be an https URL naming a host",
            "verifyUrl|file:///etc/passwd|must be an https URL",
            "verifyUrl|ht tp://bad|must be an https URL",
            "colour|red|unknown setting 'colour'"})
    @DisplayName("A bad text value is refused with a message naming the key")
    void badText(String key, String value, String message) {
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of(key, value), PROVIDERS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    @DisplayName("Numbers out of range, fractions, wrong types and empty bodies are refused")
    void badNumbers() {
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of("timeoutMillis", 60_000), PROVIDERS))
                .hasMessageContaining("timeoutMillis must be a whole number from 100 to 10000");
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of("workLow", 1500.5), PROVIDERS))
                .hasMessageContaining("workLow must be a whole number");
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of("minScore", "high"), PROVIDERS))
                .hasMessageContaining("minScore must be a number from 0.0 to 1.0");
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of("failOpen", "yes"), PROVIDERS))
                .hasMessageContaining("failOpen must be true or false");
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of("siteKey", "k".repeat(3000)), PROVIDERS))
                .hasMessageContaining("longer than 2048");
        assertThatThrownBy(() -> CaptchaSettings.validateUpdate(Map.of(), PROVIDERS))
                .hasMessageContaining("at least one of");
    }
}
