package io.keycloaksentinel.core.mfa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.MfaSettings.Scope;
import io.keycloaksentinel.core.mfa.MfaSettings.ScopeKind;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MfaSettingsTest {

    /** Stored realm attributes, keyed without the prefix. */
    private static MfaSettings read(Map<String, String> stored) {
        return MfaSettings.read(name -> name.startsWith(MfaSettings.PREFIX)
                ? stored.get(name.substring(MfaSettings.PREFIX.length())) : null);
    }

    private static Map<String, String> stored(Map<String, Object> update) {
        Map<String, String> out = new HashMap<>();
        MfaSettings.validateUpdate(update).forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    @DisplayName("Nothing stored: the policy is off, step-up is on for high risk only, OTP/WebAuthn/passkey allowed, 14 days of grace")
    void defaults() {
        MfaSettings s = read(Map.of());
        assertThat(s).isEqualTo(MfaSettings.DEFAULTS);
        assertThat(s.active()).isFalse();
        assertThat(s.stepUpHigh()).isEqualTo(StepUpAction.SECOND_PROOF);
        assertThat(s.stepUpMedium()).isEqualTo(StepUpAction.ALLOW);
        assertThat(s.factors()).containsExactlyInAnyOrder(Factor.OTP, Factor.WEBAUTHN, Factor.PASSKEY);
        assertThat(s.graceDays()).isEqualTo(14);
    }

    @Test
    @DisplayName("A step-up action stored in another case (ALLOW) is damaged: it reads as the stricter default and is reported, never as allow")
    void stepUpActionsReadExactly() {
        Map<String, String> stored = Map.of("stepUpHigh", "ALLOW", "stepUpMedium", "Refuse", "stepUpUnknownDevice", " allow");
        MfaSettings s = read(stored);
        assertThat(s.stepUpHigh()).isEqualTo(StepUpAction.SECOND_PROOF);
        assertThat(s.stepUpMedium()).isEqualTo(StepUpAction.ALLOW);
        assertThat(s.stepUpUnknownDevice()).isEqualTo(StepUpAction.ALLOW);
        assertThat(MfaSettings.problems(name -> name.startsWith(MfaSettings.PREFIX)
                ? stored.get(name.substring(MfaSettings.PREFIX.length())) : null))
                .anyMatch(p -> p.contains("stepUpHigh")).anyMatch(p -> p.contains("stepUpMedium"));
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("stepUpHigh", "ALLOW"))).hasMessageContaining("stepUpHigh");
    }

    @Test
    @DisplayName("A full update round-trips through storage: scopes with their own grace, exemptions, factors, start date")
    void roundTrip() {
        Map<String, String> stored = stored(Map.of(
                "mode", "enforce",
                "scopes", List.of("organization:acme;graceLogins=5", "group:/staff/admins;graceDays=0", "role:client-app.admin"),
                "exempt", List.of("user:breakglass", "group:/service"),
                "factors", List.of("webauthn", "recovery-codes"),
                "graceDays", 30, "graceLogins", 3, "graceStart", "2026-11-01",
                "enrollmentProof", "always", "stepUpUnknownDevice", "second-proof"));
        MfaSettings s = read(stored);
        assertThat(s.mode()).isEqualTo(MfaSettings.Mode.ENFORCE);
        assertThat(s.scopes()).containsExactly(new Scope(ScopeKind.ORGANIZATION, "acme", null, 5),
                new Scope(ScopeKind.GROUP, "/staff/admins", 0, null), new Scope(ScopeKind.ROLE, "client-app.admin", null, null));
        assertThat(s.exempt()).hasSize(2);
        assertThat(s.factors()).containsExactlyInAnyOrder(Factor.WEBAUTHN, Factor.RECOVERY_CODES);
        assertThat(s.graceStart()).isEqualTo(java.time.Instant.parse("2026-11-01T00:00:00Z").toEpochMilli());
        assertThat(s.toMap().get("scopes")).isEqualTo(List.of("organization:acme;graceLogins=5",
                "group:/staff/admins;graceDays=0", "role:client-app.admin"));
        assertThat(s.stepUpUnknownDevice()).isEqualTo(StepUpAction.SECOND_PROOF);
        assertThat(MfaSettings.problems(name -> name.startsWith(MfaSettings.PREFIX)
                ? stored.get(name.substring(MfaSettings.PREFIX.length())) : null)).isEmpty();
    }

    @Test
    @DisplayName("The admin console's config forms: ## joined or new-line separated lists; a comma belongs to the name")
    void listForms() {
        assertThat(read(Map.of("factors", "otp##passkey")).factors()).containsExactlyInAnyOrder(Factor.OTP, Factor.PASSKEY);
        assertThat(read(Map.of("scopes", "group:/a\ngroup:/b")).scopes()).hasSize(2);
        Map<String, String> stored = stored(Map.of("scopes", List.of("group:/Sales, EMEA"), "exempt", List.of("group:/Ops, Night")));
        assertThat(read(stored).scopes()).containsExactly(new Scope(ScopeKind.GROUP, "/Sales, EMEA", null, null));
        assertThat(read(stored).exempt()).hasSize(1);
    }

    @Test
    @DisplayName("A step's config overrides the realm's value key by key; a blank field does not")
    void override() {
        MfaSettings s = MfaSettings.read(name -> name.equals(MfaSettings.PREFIX + "graceDays") ? "30" : null,
                key -> key.equals("mode") ? "monitor" : key.equals("graceDays") ? " " : null);
        assertThat(s.mode()).isEqualTo(MfaSettings.Mode.MONITOR);
        assertThat(s.graceDays()).isEqualTo(30);
    }

    @Test
    @DisplayName("Damaged stored values fall back to their defaults (a typo never turns the policy off) and are reported")
    void damaged() {
        Map<String, String> stored = Map.of("mode", "enforce", "factors", "sms", "graceDays", "-4", "scopes", "bogus:x");
        MfaSettings s = read(stored);
        assertThat(s.mode()).isEqualTo(MfaSettings.Mode.ENFORCE);
        assertThat(s.factors()).isEqualTo(MfaSettings.DEFAULTS.factors());
        assertThat(s.graceDays()).isEqualTo(14);
        assertThat(s.scopes()).isEqualTo(MfaSettings.DEFAULTS.scopes());
        assertThat(MfaSettings.problems(name -> name.startsWith(MfaSettings.PREFIX)
                ? stored.get(name.substring(MfaSettings.PREFIX.length())) : null)).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"realm:x", "group:", "group", "team:a", "group:/a;graceDays=x", "group:/a;graceWeeks=1",
            "group:/a;graceDays=-1", "role:a\u0001b"})
    @DisplayName("Malformed scopes are refused with a message naming them")
    void badScopes(String scope) {
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("scopes", List.of(scope))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scopes");
    }

    @Test
    @DisplayName("Contradictions and bad values: no factor, an unknown factor, a scope twice, a name too long, too many entries")
    void contradictions() {
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("factors", List.of())))
                .hasMessageContaining("cannot be met");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("factors", List.of("sms")))).hasMessageContaining("factors");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("scopes", List.of("group:/a", "group:/a;graceDays=1"))))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("scopes", List.of("group:/" + "x".repeat(300)))))
                .hasMessageContaining("too long");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("exempt", java.util.Collections.nCopies(101, "user:a"))))
                .hasMessageContaining("at most 100");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("exempt", List.of("realm"))))
                .hasMessageContaining("exempt");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("graceStart", "soon"))).hasMessageContaining("graceStart");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("graceLogins", 1001))).hasMessageContaining("graceLogins");
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of("stepUpHigh", "block"))).hasMessageContaining("stepUpHigh");
        assertThat(MfaSettings.validateUpdate(Map.of("scopes", "realm##group:/a")).get("scopes"))
                .as("a string is split like stored config").isEqualTo("realm##group:/a");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "scopes|team:a|scopes: 'team:a' must start with one of [realm, organization, group, role]",
            "scopes|group:/a;graceDays=x|scopes: graceDays of group:/a must be a whole number from 0 to 3650",
            "scopes|group:/a;graceWeeks=1|scopes: unknown option 'graceWeeks' (known: graceDays, graceLogins) in 'group:/a;graceWeeks=1'",
            "scopes|realm:x|scopes: 'realm' takes no name",
            "scopes|group:|scopes: 'group:' needs a name after 'group:'",
            "exempt|realm|exempt: 'realm' must start with one of [group, role, user, user_id]",
            "factors|sms|factors: unknown factor 'sms'; known: [otp, webauthn, passkey, recovery-codes]",
            "mode|sometimes|mode must be one of off, enforce, monitor",
            "stepUpHigh|block|stepUpHigh must be one of allow, second-proof, email-link, refuse",
            "enrollmentProof|later|enrollmentProof must be one of risky, always, never"})
    @DisplayName("The 400 message names the field and the entry, word for word")
    void messages(String key, String value, String message) {
        Object update = key.equals("scopes") || key.equals("exempt") || key.equals("factors") ? List.of(value) : value;
        assertThatThrownBy(() -> MfaSettings.validateUpdate(Map.of(key, update))).hasMessage(message);
    }
}
