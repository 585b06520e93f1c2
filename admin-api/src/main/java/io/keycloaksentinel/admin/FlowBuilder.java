package io.keycloaksentinel.admin;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.RealmModel;

/** Builds the ready-made authentication flows of the admin API (MFA, sign-up), and looks steps up in bound flows. */
final class FlowBuilder {

    private final RealmModel realm;
    /** The last priority given in each flow: executions added in this transaction may not be read back yet. */
    private final java.util.Map<String, Integer> lastPriority = new java.util.HashMap<>();

    FlowBuilder(RealmModel realm) {
        this.realm = realm;
    }

    /** A top-level flow of the realm, and whether this call created it. */
    record Ensured(AuthenticationFlowModel flow, boolean created) {

        /** Whether {@code bound} (the flow bound for some purpose, or null) is this flow. */
        boolean isBound(AuthenticationFlowModel bound) {
            return bound != null && bound.getId().equals(flow.getId());
        }
    }

    /**
     * The top-level flow {@code alias}: as it is when the realm has one (never changed), otherwise
     * created with {@code steps} adding its executions.
     */
    Ensured ensure(String alias, String description, Consumer<AuthenticationFlowModel> steps) {
        AuthenticationFlowModel existing = realm.getFlowByAlias(alias);
        if (existing != null) {
            return new Ensured(existing, false);
        }
        AuthenticationFlowModel created = flow(alias, description, true, "basic-flow");
        steps.accept(created);
        return new Ensured(created, true);
    }

    private AuthenticationFlowModel flow(String alias, String description, boolean top, String providerId) {
        AuthenticationFlowModel f = new AuthenticationFlowModel();
        f.setAlias(alias);
        f.setDescription(description);
        f.setProviderId(providerId);
        f.setTopLevel(top);
        f.setBuiltIn(false);
        return realm.addAuthenticationFlow(f);
    }

    AuthenticationFlowModel subflow(AuthenticationFlowModel parent, String alias, Requirement requirement) {
        return subflow(parent, alias, requirement, "basic-flow", null);
    }

    /** A form sub-flow (the registration page): {@code formAuthenticator} renders it, its steps are form actions. */
    AuthenticationFlowModel formSubflow(AuthenticationFlowModel parent, String alias, String formAuthenticator) {
        return subflow(parent, alias, Requirement.REQUIRED, "form-flow", formAuthenticator);
    }

    private AuthenticationFlowModel subflow(AuthenticationFlowModel parent, String alias, Requirement requirement,
                                            String providerId, String authenticator) {
        // a new sub-flow of its own, even when a flow of that name exists (it may belong to another flow)
        String unique = alias;
        for (int n = 2; realm.getFlowByAlias(unique) != null; n++) {
            unique = alias + " " + n;
        }
        AuthenticationFlowModel sub = flow(unique, null, false, providerId);
        AuthenticationExecutionModel e = new AuthenticationExecutionModel();
        e.setParentFlow(parent.getId());
        e.setAuthenticatorFlow(true);
        e.setAuthenticator(authenticator);
        e.setFlowId(sub.getId());
        e.setRequirement(requirement);
        e.setPriority(nextPriority(parent));
        realm.addAuthenticatorExecution(e);
        return sub;
    }

    /** A step with its authenticator config (the config's alias is made unique in the realm). */
    void step(AuthenticationFlowModel parent, String authenticator, Requirement requirement, String configAlias,
              java.util.Map<String, String> config) {
        AuthenticatorConfigModel model = new AuthenticatorConfigModel();
        String unique = configAlias;
        for (int n = 2; realm.getAuthenticatorConfigByAlias(unique) != null; n++) {
            unique = configAlias + " " + n;
        }
        model.setAlias(unique);
        model.setConfig(new java.util.HashMap<>(config));
        model = realm.addAuthenticatorConfig(model);
        AuthenticationExecutionModel e = execution(parent, authenticator, requirement);
        e.setAuthenticatorConfig(model.getId());
        realm.addAuthenticatorExecution(e);
    }

    void step(AuthenticationFlowModel parent, String authenticator, Requirement requirement) {
        realm.addAuthenticatorExecution(execution(parent, authenticator, requirement));
    }

    private AuthenticationExecutionModel execution(AuthenticationFlowModel parent, String authenticator,
                                                   Requirement requirement) {
        AuthenticationExecutionModel e = new AuthenticationExecutionModel();
        e.setParentFlow(parent.getId());
        e.setAuthenticator(authenticator);
        e.setAuthenticatorFlow(false);
        e.setRequirement(requirement);
        e.setPriority(nextPriority(parent));
        return e;
    }

    private int nextPriority(AuthenticationFlowModel parent) {
        int stored = realm.getAuthenticationExecutionsStream(parent.getId()).mapToInt(AuthenticationExecutionModel::getPriority)
                .max().orElse(0);
        int next = Math.max(stored, lastPriority.getOrDefault(parent.getId(), 0)) + 10;
        lastPriority.put(parent.getId(), next);
        return next;
    }

    /** Whether {@code top} (or a sub-flow of it) runs {@code authenticator} as a required step. */
    boolean hasRequiredStep(AuthenticationFlowModel top, String authenticator) {
        if (top == null) {
            return false;
        }
        ArrayDeque<String> flows = new ArrayDeque<>(List.of(top.getId()));
        for (int guard = 0; !flows.isEmpty() && guard < 64; guard++) {
            for (AuthenticationExecutionModel e : realm.getAuthenticationExecutionsStream(flows.poll()).toList()) {
                if (e.isAuthenticatorFlow()) {
                    flows.add(e.getFlowId());
                } else if (authenticator.equals(e.getAuthenticator()) && e.isRequired()) {
                    return true;
                }
            }
        }
        return false;
    }
}
