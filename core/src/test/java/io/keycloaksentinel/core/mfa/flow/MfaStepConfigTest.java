package io.keycloaksentinel.core.mfa.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.mfa.MfaSettings;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.RealmModel;

@DisplayName("The MFA step's settings where the step is bound: in a realm's flows, its config over the realm's settings")
class MfaStepConfigTest {

    private static AuthenticationFlowModel flow(String id, boolean topLevel) {
        AuthenticationFlowModel f = new AuthenticationFlowModel();
        f.setId(id);
        f.setAlias(id);
        f.setTopLevel(topLevel);
        return f;
    }

    private static AuthenticationExecutionModel execution(String authenticator, String subFlow, Requirement requirement,
                                                          String configId) {
        AuthenticationExecutionModel e = new AuthenticationExecutionModel();
        e.setAuthenticator(authenticator);
        e.setAuthenticatorFlow(subFlow != null);
        e.setFlowId(subFlow);
        e.setRequirement(requirement);
        e.setAuthenticatorConfig(configId);
        return e;
    }

    /**
     * A realm with a top-level "browser" flow: a password step and a sub-flow holding the MFA step
     * ({@code requirement}, config {@code config} when not null), and a top-level "other" flow without it.
     */
    private static RealmModel realm(Requirement requirement, Map<String, String> config, Map<String, String> attributes) {
        AuthenticatorConfigModel c = new AuthenticatorConfigModel();
        c.setId("cfg");
        c.setConfig(config);
        Map<String, List<AuthenticationExecutionModel>> executions = Map.of(
                "browser", List.of(execution("auth-username-password-form", null, Requirement.REQUIRED, null),
                        execution(null, "second-factor", Requirement.CONDITIONAL, null)),
                "second-factor", List.of(execution("auth-otp-form", null, Requirement.ALTERNATIVE, null),
                        execution(MfaStepConfig.STEP_ID, null, requirement, config == null ? null : "cfg")),
                "other", List.of(execution("auth-cookie", null, Requirement.ALTERNATIVE, null)));
        return (RealmModel) Proxy.newProxyInstance(getClassLoader(), new Class<?>[] {RealmModel.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getAuthenticationFlowsStream" -> List.of(flow("browser", true), flow("second-factor", false),
                            flow("other", true)).stream();
                    case "getAuthenticationExecutionsStream" -> executions.getOrDefault((String) args[0], List.of()).stream();
                    case "getAuthenticatorConfigById" -> "cfg".equals(args[0]) ? c : null;
                    case "getAttribute" -> attributes.get((String) args[0]);
                    default -> null;
                });
    }

    private static ClassLoader getClassLoader() {
        return MfaStepConfigTest.class.getClassLoader();
    }

    @Test
    @DisplayName("Given the step in a sub-flow, its config is found from the top-level flow, over the realm's settings")
    void found() {
        RealmModel realm = realm(Requirement.REQUIRED, Map.of("mode", "enforce"), Map.of(MfaSettings.PREFIX + "graceDays", "30"));
        assertThat(MfaStepConfig.under(realm, flow("browser", true))).containsEntry("mode", "enforce");
        MfaSettings settings = MfaStepConfig.settings(realm, flow("browser", true));
        assertThat(settings.mode()).isEqualTo(MfaSettings.Mode.ENFORCE);
        assertThat(settings.graceDays()).isEqualTo(30);
        assertThat(MfaStepConfig.under(realm, flow("other", true))).as("a flow without the step").isEmpty();
        assertThat(MfaStepConfig.under(realm, null)).isEmpty();
    }

    @Test
    @DisplayName("Given a disabled step, or one without config, the realm's settings alone")
    void disabledOrBare() {
        assertThat(MfaStepConfig.under(realm(Requirement.DISABLED, Map.of("mode", "enforce"), Map.of()), flow("browser", true)))
                .isEmpty();
        assertThat(MfaStepConfig.under(realm(Requirement.REQUIRED, null, Map.of()), flow("browser", true))).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0} config {1} -> {2}")
    @CsvSource({
            "REQUIRED, '', true",
            "REQUIRED, stepUp=off, false",
            "REQUIRED, stepUp=off;mode=enforce, true",
            "REQUIRED, stepUp=off;mode=enforce;enrollmentProof=always, false",
            "DISABLED, '', false",
    })
    @DisplayName("Given the step's binding, the new-device listener keeps device history only when the step reads it")
    void readsDevices(Requirement requirement, String config, boolean reads) {
        Map<String, String> values = new java.util.HashMap<>();
        for (String pair : config.isEmpty() ? new String[0] : config.split(";")) {
            values.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        assertThat(MfaStepConfig.readsDevices(realm(requirement, values, Map.of()))).isEqualTo(reads);
    }
}
