package io.keycloaksentinel.authenticators.mfa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.authenticators.mfa.MfaStatus.State;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.SubjectCredentialManager;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserProvider;

/**
 * What the policy says of a user, read from Keycloak's models: scopes and exemptions (realm, roles,
 * users), the user's factors, when the grace began and the standing that follows. The models are
 * small stand-ins answering only what the evaluator asks.
 */
@DisplayName("The MFA policy evaluator: who is covered, exempt, enrolled, and since when")
class MfaPolicyEvaluatorTest {

    private static final long DAY = 24L * 3600 * 1000;
    private static final long NOW = System.currentTimeMillis();

    /** A stand-in for a Keycloak interface: {@code answer} gets the method name and arguments; null for anything else. */
    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, BiFunction<String, Object[], Object> answer) {
        return (T) Proxy.newProxyInstance(MfaPolicyEvaluatorTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> type.getSimpleName();
                    default -> {
                        Object v = answer.apply(method.getName(), args == null ? new Object[0] : args);
                        if (v == null && method.getReturnType() == boolean.class) {
                            yield false;
                        }
                        yield v;
                    }
                });
    }

    private static final RoleModel AUDITOR = fake(RoleModel.class, (m, a) -> m.equals("getName") ? "auditor" : null);

    private static RealmModel realm(Map<String, String> attributes) {
        return fake(RealmModel.class, (m, a) -> switch (m) {
            case "getAttribute" -> attributes.get((String) a[0]);
            case "getRole" -> "auditor".equals(a[0]) ? AUDITOR : null;
            case "getName" -> "demo";
            default -> null;
        });
    }

    private static KeycloakSession session(Set<String> existingUsers) {
        UserProvider users = fake(UserProvider.class, (m, a) -> m.equals("getUserByUsername") && existingUsers.contains(a[1])
                ? fake(UserModel.class, (m2, a2) -> null) : null);
        return fake(KeycloakSession.class, (m, a) -> m.equals("users") ? users : null);
    }

    /** A user: username, roles held, stored credential types, attributes, creation time. */
    private static UserModel user(String username, Set<RoleModel> roles, Set<String> credentials, Map<String, String> attributes,
                                  Long created) {
        SubjectCredentialManager manager = fake(SubjectCredentialManager.class, (m, a) ->
                m.equals("getStoredCredentialsByTypeStream") ? (credentials.contains((String) a[0]) ? Stream.of(new Object())
                        : Stream.empty()) : null);
        return fake(UserModel.class, (m, a) -> switch (m) {
            case "getUsername" -> username;
            case "getId" -> "id-" + username;
            case "hasRole" -> roles.contains(a[0]);
            case "isMemberOf" -> false;
            case "credentialManager" -> manager;
            case "getFirstAttribute" -> attributes.get((String) a[0]);
            case "getCreatedTimestamp" -> created;
            default -> null;
        });
    }

    private static UserModel user(String username) {
        return user(username, Set.of(), Set.of(), Map.of(), null);
    }

    private static MfaSettings settings(Map<String, String> values) {
        return MfaSettings.read(name -> name.startsWith(MfaSettings.PREFIX) ? values.get(name.substring(MfaSettings.PREFIX.length()))
                : null);
    }

    private static MfaPolicyEvaluator evaluator(Map<String, String> values) {
        return new MfaPolicyEvaluator(session(Set.of()), realm(Map.of()), settings(values));
    }

    @Nested
    @DisplayName("Scopes and exemptions")
    class Scopes {

        @Test
        @DisplayName("Given the policy is off, nobody is in a scope")
        void off() {
            assertThat(evaluator(Map.of("mode", "off", "scopes", "realm")).matchedScopes(user("alice"))).isEmpty();
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @CsvSource({"enforce", "monitor"})
        @DisplayName("Given the realm scope, every user is in it")
        void realmScope(String mode) {
            assertThat(evaluator(Map.of("mode", mode, "scopes", "realm")).matchedScopes(user("alice"))).hasSize(1);
        }

        @Test
        @DisplayName("Given a role scope, only holders of the role are in it")
        void roleScope() {
            MfaPolicyEvaluator policy = evaluator(Map.of("mode", "enforce", "scopes", "role:auditor"));
            assertThat(policy.problems()).isEmpty();
            assertThat(policy.matchedScopes(user("alice", Set.of(AUDITOR), Set.of(), Map.of(), null))).hasSize(1);
            assertThat(policy.matchedScopes(user("bob"))).isEmpty();
        }

        @Test
        @DisplayName("Given a user exemption, that username is exempt whatever its case; others are not")
        void userExemption() {
            MfaPolicyEvaluator policy = evaluator(Map.of("mode", "enforce", "scopes", "realm", "exempt", "user:BreakGlass"));
            assertThat(policy.exempt(user("breakglass"))).isTrue();
            assertThat(policy.exempt(user("BREAKGLASS"))).isTrue();
            assertThat(policy.exempt(user("alice"))).isFalse();
        }

        @Test
        @DisplayName("Given a role that does not exist, the scope matches nobody and is reported")
        void unknownRole() {
            MfaPolicyEvaluator policy = evaluator(Map.of("mode", "enforce", "scopes", "role:ghost"));
            assertThat(policy.matchedScopes(user("alice", Set.of(AUDITOR), Set.of(), Map.of(), null))).isEmpty();
            assertThat(policy.problems()).singleElement().asString().contains("role:ghost").contains("no such role");
        }

        @Test
        @DisplayName("Given the admin's view, an exempt user that does not exist is refused; a login does not look users up")
        void unknownUser() {
            MfaSettings s = settings(Map.of("mode", "enforce", "exempt", "user:nobody\nuser:alice"));
            KeycloakSession session = session(Set.of("alice"));
            assertThatThrownBy(() -> MfaPolicyEvaluator.requireResolvable(session, realm(Map.of()), s))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user:nobody");
            assertThat(new MfaPolicyEvaluator(session, realm(Map.of()), s).problems()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Factors")
    class Factors {

        @Test
        @DisplayName("Given a user with OTP and recovery codes, only the factors the policy allows count")
        void allowed() {
            UserModel user = user("alice", Set.of(), Set.of(Factor.OTP.credentialType(), Factor.RECOVERY_CODES.credentialType()),
                    Map.of(), null);
            assertThat(evaluator(Map.of("mode", "enforce", "factors", "webauthn\npasskey")).factors(user)).isEmpty();
            assertThat(evaluator(Map.of("mode", "enforce", "factors", "otp\nwebauthn")).factors(user)).containsExactly(Factor.OTP);
            assertThat(MfaPolicyEvaluator.factorsOf(user, Set.of(Factor.values()))).containsExactlyInAnyOrder(Factor.OTP,
                    Factor.RECOVERY_CODES);
        }
    }

    @Nested
    @DisplayName("When the grace began")
    class GraceStart {

        @Test
        @DisplayName("Given a grace start in the settings, the policy starts then")
        void configured() {
            MfaPolicyEvaluator policy = evaluator(Map.of("mode", "enforce", "graceStart", "2026-11-01"));
            assertThat(policy.policyStart()).isEqualTo(java.time.Instant.parse("2026-11-01T00:00:00Z").toEpochMilli());
        }

        @ParameterizedTest(name = "[{index}] stored \"{0}\"")
        @CsvSource(value = {"1700000000000, 1700000000000", "NULL, -1", "garbage, -1"}, nullValues = "NULL")
        @DisplayName("Given no grace start, the policy starts when it was first active in the realm (now when unknown)")
        void activeSince(String stored, long expected) {
            Map<String, String> attributes = new HashMap<>();
            if (stored != null) {
                attributes.put(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, stored);
            }
            MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session(Set.of()), realm(attributes),
                    settings(Map.of("mode", "enforce")));
            long before = System.currentTimeMillis();
            long start = policy.policyStart();
            if (expected < 0) {
                assertThat(start).isBetween(before, System.currentTimeMillis());
            } else {
                assertThat(start).isEqualTo(expected);
            }
        }

        @Test
        @DisplayName("Given an account created after the policy's start, its grace begins at its creation")
        void created() {
            MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session(Set.of()),
                    realm(Map.of(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(NOW - 30 * DAY))),
                    settings(Map.of("mode", "enforce")));
            assertThat(policy.graceBegan(user("alice", Set.of(), Set.of(), Map.of(), NOW - 2 * DAY))).isEqualTo(NOW - 2 * DAY);
            assertThat(policy.graceBegan(user("bob", Set.of(), Set.of(), Map.of(), NOW - 60 * DAY))).isEqualTo(NOW - 30 * DAY);
        }

        @Test
        @DisplayName("Given a user's own grace start, it counts when later; one in the future is read as now")
        void own() {
            MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session(Set.of()),
                    realm(Map.of(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(NOW - 30 * DAY))),
                    settings(Map.of("mode", "enforce")));
            UserModel renewed = user("alice", Set.of(), Set.of(),
                    Map.of(MfaPolicyEvaluator.ATTR_GRACE_FROM, Long.toString(NOW - DAY)), null);
            assertThat(policy.graceBegan(renewed)).isEqualTo(NOW - DAY);
            UserModel future = user("bob", Set.of(), Set.of(),
                    Map.of(MfaPolicyEvaluator.ATTR_GRACE_FROM, Long.toString(NOW + 100 * DAY)), null);
            assertThat(policy.graceBegan(future)).isLessThanOrEqualTo(System.currentTimeMillis()).isGreaterThan(NOW - DAY);
        }

        @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
        @CsvSource(value = {"3, 3", "NULL, 0", "x, 0"}, nullValues = "NULL")
        @DisplayName("Given the skips stored on the user, damaged or missing ones count as none")
        void skips(String stored, int expected) {
            Map<String, String> attributes = new HashMap<>();
            if (stored != null) {
                attributes.put(MfaPolicyEvaluator.ATTR_SKIPS, stored);
            }
            assertThat(MfaPolicyEvaluator.skips(user("alice", Set.of(), Set.of(), attributes, null))).isEqualTo(expected);
        }
    }

    @Nested
    @DisplayName("The user's standing")
    class Standing {

        private final MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session(Set.of()),
                realm(Map.of(MfaPolicyEvaluator.REALM_ACTIVE_SINCE, Long.toString(NOW - 3 * DAY))),
                settings(Map.of("mode", "enforce", "scopes", "role:auditor", "exempt", "user:breakglass", "graceDays", "14")));

        @Test
        @DisplayName("Given a user outside every scope, not covered")
        void notCovered() {
            assertThat(policy.status(user("bob"), NOW).state()).isEqualTo(State.NOT_COVERED);
        }

        @Test
        @DisplayName("Given a covered user with an allowed factor, enrolled; without one, in the grace from the policy's start")
        void covered() {
            UserModel enrolled = user("alice", Set.of(AUDITOR), Set.of(Factor.OTP.credentialType()), Map.of(), null);
            assertThat(policy.status(enrolled, NOW).state()).isEqualTo(State.ENROLLED);
            MfaStatus grace = policy.status(user("carol", Set.of(AUDITOR), Set.of(), Map.of(), null), NOW);
            assertThat(grace.state()).isEqualTo(State.IN_GRACE);
            assertThat(grace.daysLeft()).isEqualTo(11);
            assertThat(policy.status(user("dave", Set.of(AUDITOR), Set.of(), Map.of(), null), NOW + 12 * DAY).state())
                    .isEqualTo(State.OVERDUE);
        }

        @Test
        @DisplayName("Given an exempt user in a scope, exempt")
        void exempt() {
            assertThat(policy.status(user("breakglass", Set.of(AUDITOR), Set.of(), Map.of(), null), NOW).state())
                    .isEqualTo(State.EXEMPT);
        }

        @Test
        @DisplayName("Given a grace limited to logins, the skips stored on the user count")
        void skipsUsed() {
            MfaPolicyEvaluator limited = new MfaPolicyEvaluator(session(Set.of()), realm(Map.of()),
                    settings(Map.of("mode", "enforce", "scopes", "realm", "graceDays", "365", "graceLogins", "2")));
            UserModel skipped = user("erin", Set.of(), Set.of(), Map.of(MfaPolicyEvaluator.ATTR_SKIPS, "2"), null);
            assertThat(limited.status(skipped, NOW).state()).isEqualTo(State.OVERDUE);
            assertThat(limited.status(user("frank"), NOW).loginsLeft()).isEqualTo(2);
        }
    }
}
