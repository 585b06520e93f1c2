package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keycloaksentinel.core.detect.AttackDetector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.keycloak.services.util.ObjectMapperResolver;
import org.keycloak.util.JsonSerialization;

/**
 * The admin API's typed answers serialize exactly as the maps they replaced: the same fields, in
 * the same order, with the same values, and a null left out as Keycloak's mappers (the REST one,
 * and the one that writes admin event representations; both NON_NULL) left a null map entry out.
 * Each case builds the map the way the map-based resource did.
 */
@DisplayName("Typed answers serialize exactly as the maps they replaced")
class RepresentationsTest {

    private static final ObjectMapper REST = ObjectMapperResolver.createStreamSerializer();
    private static final ObjectMapper ADMIN_EVENTS = JsonSerialization.mapper;

    /** A map of keys and values in order; a null value kept as an entry, as the resource's maps did. */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    static List<Arguments> cases() {
        AttackDetector.SourceCounts source = new AttackDetector.SourceCounts("192.0.2.7", "192.0.2.0/24", 3, 9, 12, 2, 4, 1,
                0);
        return List.of(
                Arguments.of("info", new SentinelAdminResource.Info("r", "0.1.0", "26.7.3", "26.7.3",
                                Map.of("authenticator", List.of("sentinel-login-form"))),
                        map("realm", "r", "sentinelVersion", "0.1.0", "builtForKeycloak", "26.7.3", "keycloakVersion",
                                "26.7.3", "providers", Map.of("authenticator", List.of("sentinel-login-form")))),
                Arguments.of("attack, NORMAL, nothing asked",
                        new AttackResource.Status("r", "NORMAL", null, "no signal",
                                new AttackResource.Signals(0, 0, 0.0, 0, 0.0, 0, new AttackResource.Burst(0, 0.0, 0, 0),
                                        new AttackResource.LastHour(0, 0.0)),
                                new LinkedHashMap<>(Map.of("registered", new AttackResource.Counts(1, 2))), null, null,
                                new AttackResource.Sprays(0, null, null)),
                        map("realm", "r", "state", "NORMAL", "since", null, "reason", "no signal",
                                "signals", map("failuresLastMinute", 0L, "unknownUserFailuresLastMinute", 0L,
                                        "unknownUserShare", 0.0, "failuresLastDay", 0L, "baselinePerMinute", 0.0,
                                        "successesLastMinute", 0L, "lastTenSeconds", map("failures", 0L, "signatureShare", 0.0,
                                                "distinctUsernames", 0L, "successes", 0L),
                                        "lastHour", map("newNetworkAccounts", 0L, "baselinePerHour", 0.0)),
                                "activity", map("registered", map("lastMinute", 1L, "lastDay", 2L)),
                                "sprays", map("flaggedLastHour", 0L))),
                Arguments.of("attack, an address asked",
                        new AttackResource.Status("r", "UNDER_ATTACK", "2026-12-02T09:00:00Z", "why",
                                new AttackResource.Signals(40, 30, 0.75, 1440, 1.0, 2, new AttackResource.Burst(18, 0.9, 17, 1),
                                        new AttackResource.LastHour(31, 2.5)), Map.of(),
                                source,
                                new AttackResource.Risk("HIGH", List.of("a", "b"), null, null, null),
                                new AttackResource.Sprays(1, "2026-12-02T09:05:00Z", 12L)),
                        map("realm", "r", "state", "UNDER_ATTACK", "since", "2026-12-02T09:00:00Z", "reason", "why",
                                "signals", map("failuresLastMinute", 40L, "unknownUserFailuresLastMinute", 30L,
                                        "unknownUserShare", 0.75, "failuresLastDay", 1440L, "baselinePerMinute", 1.0,
                                        "successesLastMinute", 2L, "lastTenSeconds", map("failures", 18L, "signatureShare", 0.9,
                                                "distinctUsernames", 17L, "successes", 1L),
                                        "lastHour", map("newNetworkAccounts", 31L, "baselinePerHour", 2.5)),
                                "activity", map(), "source", source,
                                "risk", map("level", "HIGH", "reasons", List.of("a", "b")),
                                "sprays", map("flaggedLastHour", 1L, "lastFlagged", "2026-12-02T09:05:00Z",
                                        "lastAccountsTried", 12L))),
                Arguments.of("attack risk, a username asked, the account not visible",
                        new AttackResource.Risk("LOW", List.of(), true, 3L, null),
                        map("level", "LOW", "reasons", List.of(), "knownSource", true, "unknownSourceFailures15m", 3L)),
                Arguments.of("attack risk, the account visible",
                        new AttackResource.Risk("LOW", List.of(), false, 3L, 5L),
                        map("level", "LOW", "reasons", List.of(), "knownSource", false, "unknownSourceFailures15m", 3L,
                                "accountUnknownSourceFailures15m", 5L)),
                Arguments.of("lift", new AttackResource.Lifted("192.0.2.0/24"), map("lifted", "192.0.2.0/24")),
                Arguments.of("error", new Answers.ErrorBody("limit must be between 1 and 1000"),
                        Map.of("error", "limit must be between 1 and 1000")),
                Arguments.of("breached-password users, a hand-edited flag",
                        new BreachedPasswordsResource.FlaggedUsers(List.of(
                                new BreachedPasswordsResource.FlaggedUser("id1", "ann", null, null, "bundled", true),
                                new BreachedPasswordsResource.FlaggedUser("id2", "bob", "2026-12-01T00:00:00Z",
                                        "second_factor", null, false))),
                        Map.of("users", List.of(
                                map("id", "id1", "username", "ann", "flaggedAt", null, "action", null, "source", "bundled",
                                        "newPasswordPending", true),
                                map("id", "id2", "username", "bob", "flaggedAt", "2026-12-01T00:00:00Z", "action",
                                        "second_factor", "source", null, "newPasswordPending", false)))),
                Arguments.of("MFA user, enrolled",
                        new MfaResource.UserStanding("id", "ann", "enrolled", List.of("realm"), List.of("otp"), null, null, null),
                        map("id", "id", "username", "ann", "state", "enrolled", "scopes", List.of("realm"), "factors",
                                List.of("otp"))),
                Arguments.of("MFA user, in grace by days",
                        new MfaResource.UserStanding("id", "ann", "in_grace", List.of(), List.of(), "2026-12-09T00:00:00Z", 7L,
                                null),
                        map("id", "id", "username", "ann", "state", "in_grace", "scopes", List.of(), "factors", List.of(),
                                "graceEndsAt", "2026-12-09T00:00:00Z", "daysLeft", 7L, "loginsLeft", null)),
                Arguments.of("MFA user, overdue by logins",
                        new MfaResource.UserStanding("id", "ann", "overdue", List.of(), List.of(), "2026-12-09T00:00:00Z", 0L, 0),
                        map("id", "id", "username", "ann", "state", "overdue", "scopes", List.of(), "factors", List.of(),
                                "graceEndsAt", "2026-12-09T00:00:00Z", "daysLeft", 0L, "loginsLeft", 0)),
                Arguments.of("MFA compliance, no list",
                        new MfaResource.Compliance("required", 3, 1, 1, 1, 0, 2, 5, false, List.of("p"), null),
                        map("policy", "required", "covered", 3L, "enrolled", 1L, "inGrace", 1L, "overdue", 1L, "exempt", 0L,
                                "notCovered", 2L, "scanned", 5, "truncated", false, "problems", List.of("p"))),
                Arguments.of("MFA compliance, a list",
                        new MfaResource.Compliance("required", 0, 0, 0, 0, 0, 0, 0, true, List.of(), List.of()),
                        map("policy", "required", "covered", 0L, "enrolled", 0L, "inGrace", 0L, "overdue", 0L, "exempt", 0L,
                                "notCovered", 0L, "scanned", 0, "truncated", true, "problems", List.of(), "users", List.of())),
                Arguments.of("MFA flows",
                        new MfaResource.Flows(true, false, true, "b", "r", true, false, true, "g", false),
                        map("browserFlowCreated", true, "resetFlowCreated", false, "directGrantFlowCreated", true,
                                "browserFlow", "b", "resetFlow", "r", "boundBrowserFlowHasMfaStep", true,
                                "boundResetFlowHasMfaStep", false, "boundDirectGrantFlowHasMfaStep", true,
                                "directGrantFlow", "g", "bound", false)),
                Arguments.of("sign-up flows",
                        new SignupResource.Flows(true, "f", true, false, true, false),
                        map("registrationFlowCreated", true, "registrationFlow", "f", "bound", true,
                                "boundRegistrationFlowHasSignupStep", false, "boundResetFlowHasQueuedEmail", true,
                                "registrationAllowed", false)),
                Arguments.of("containment, done, one failure",
                        new IncidentResource.Contained(false, List.of(
                                new IncidentResource.Account("id1", "ann", List.of("requirePasswordReset"), null,
                                        List.of("notify: the account has no email address")),
                                new IncidentResource.Account("id2", "bob", List.of("signOut:1 sessions, 0 offline"), null, null)),
                                List.of("nobody")),
                        map("dryRun", false, "handled", List.of(
                                map("id", "id1", "username", "ann", "done", List.of("requirePasswordReset"),
                                        "failed", List.of("notify: the account has no email address")),
                                map("id", "id2", "username", "bob", "done", List.of("signOut:1 sessions, 0 offline"))),
                                "notFound", List.of("nobody"))),
                Arguments.of("containment, a dry run",
                        new IncidentResource.Contained(true, List.of(
                                new IncidentResource.Account("id1", "ann", null, List.of("disablePassword"), null)), List.of()),
                        map("dryRun", true, "handled", List.of(
                                map("id", "id1", "username", "ann", "wouldDo", List.of("disablePassword"))),
                                "notFound", List.of())),
                Arguments.of("realm sign-out", new IncidentResource.RealmSignOut(true, "2026-12-02T09:00:00Z"),
                        map("dryRun", true, "notBefore", "2026-12-02T09:00:00Z")),
                Arguments.of("emergency, off", new IncidentResource.EmergencyMode(false, null, "as configured", 1),
                        map("active", false, "until", null, "captcha", "as configured", "throttleDivisor", 1)),
                Arguments.of("emergency, on", new IncidentResource.EmergencyMode(true, "2026-12-02T10:00:00Z", "always", 5),
                        map("active", true, "until", "2026-12-02T10:00:00Z", "captcha", "always", "throttleDivisor", 5)),
                Arguments.of("compromised, one deleted account",
                        new IncidentResource.Compromised("2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z", 2, List.of(
                                new IncidentResource.CompromisedAccount("id1", null, false, List.of(
                                        new IncidentResource.FlaggedLogin("2026-12-02T08:00:00Z", "192.0.2.7", null, "ip", null)))),
                                List.of("id1")),
                        map("from", "2026-12-01T09:00:00Z", "to", "2026-12-02T09:00:00Z", "flaggedSources", 2,
                                "accounts", List.of(map("userId", "id1", "username", null, "contained", false, "logins", List.of(
                                        map("at", "2026-12-02T08:00:00Z", "ip", "192.0.2.7", "network", null,
                                                "flagged", "ip", "reasons", null)))),
                                "userIds", List.of("id1"))),
                Arguments.of("compromised, a likely break-in",
                        new IncidentResource.Compromised("2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z", 0, List.of(
                                new IncidentResource.CompromisedAccount("id2", "bob", true, List.of(
                                        new IncidentResource.FlaggedLogin("2026-12-02T08:00:00Z", "198.51.100.7", "198.51.100.0/24",
                                                "new-sign-in", List.of("new-device", "new-network", "no-history", "before-attack"))))),
                                List.of("id2")),
                        map("from", "2026-12-01T09:00:00Z", "to", "2026-12-02T09:00:00Z", "flaggedSources", 0,
                                "accounts", List.of(map("userId", "id2", "username", "bob", "contained", true, "logins", List.of(
                                        map("at", "2026-12-02T08:00:00Z", "ip", "198.51.100.7", "network", "198.51.100.0/24",
                                                "flagged", "new-sign-in", "reasons",
                                                List.of("new-device", "new-network", "no-history", "before-attack"))))),
                                "userIds", List.of("id2"))),
                Arguments.of("devices",
                        new DevicesResource.Devices(List.of(new DevicesResource.Device("d1", "Firefox", null, "192.0.2.0/24",
                                "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", false, true))),
                        Map.of("devices", List.of(map("id", "d1", "browser", "Firefox", "os", null, "network",
                                "192.0.2.0/24", "firstSeen", "2026-12-01T00:00:00Z", "lastSeen", "2026-12-02T00:00:00Z",
                                "trusted", false, "lookAlike", true)))));
    }

    @Nested
    @DisplayName("Through Keycloak's REST mapper")
    class Rest {

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.keycloaksentinel.admin.RepresentationsTest#cases")
        @DisplayName("the same JSON text, field for field and in order")
        void sameJson(String name, Object typed, Object map) throws Exception {
            assertThat(REST.writeValueAsString(typed)).isEqualTo(REST.writeValueAsString(map));
        }
    }

    @Nested
    @DisplayName("Through the mapper of admin event representations")
    class AdminEvents {

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.keycloaksentinel.admin.RepresentationsTest#cases")
        @DisplayName("the same JSON text, field for field and in order")
        void sameJson(String name, Object typed, Object map) throws Exception {
            assertThat(ADMIN_EVENTS.writeValueAsString(typed)).isEqualTo(ADMIN_EVENTS.writeValueAsString(map));
        }
    }
}
