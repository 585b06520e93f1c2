package io.keycloaksentinel.core.mfa.flow;

import io.keycloaksentinel.core.mfa.MfaSettings;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.RealmModel;

/**
 * Where the MFA step's settings are bound: a {@code sentinel-mfa} execution in a realm's flow, whose
 * config lies over the realm's MFA settings. Read here (never written) by the step, by the
 * last-factor guard and by the new-device listener, which keeps device history for a realm whose
 * step reads it.
 */
public final class MfaStepConfig {

    /** The MFA step's provider id. */
    public static final String STEP_ID = "sentinel-mfa";
    /** Flows walked at most under one top-level flow (a guard against a damaged, cyclic flow). */
    private static final int MAX_FLOWS = 64;

    private MfaStepConfig() {
    }

    /** The config of the first enabled {@code sentinel-mfa} execution under {@code top} (empty: none, or no config). */
    public static Map<String, String> under(RealmModel realm, AuthenticationFlowModel top) {
        AuthenticationExecutionModel step = step(realm, top);
        AuthenticatorConfigModel c = step == null || step.getAuthenticatorConfig() == null ? null
                : realm.getAuthenticatorConfigById(step.getAuthenticatorConfig());
        return c == null || c.getConfig() == null ? Map.of() : c.getConfig();
    }

    /** The realm's MFA settings with the config of the step under {@code top} over them. */
    public static MfaSettings settings(RealmModel realm, AuthenticationFlowModel top) {
        Map<String, String> config = under(realm, top);
        return MfaSettings.read(realm::getAttribute, config::get);
    }

    /**
     * Whether an enabled MFA step of one of the realm's top-level flows reads the users' device
     * history with its settings ({@link MfaSettings#needsDevices()}): then the new-device listener
     * keeps it for every login of the realm.
     */
    /** Whether the realm's browser flow runs Sentinel's MFA step (which asks a contained account's second proof). */
    public static boolean browserFlowHasStep(RealmModel realm) {
        return step(realm, realm.getBrowserFlow()) != null;
    }

    public static boolean readsDevices(RealmModel realm) {
        return realm.getAuthenticationFlowsStream().filter(AuthenticationFlowModel::isTopLevel)
                .anyMatch(top -> step(realm, top) != null && settings(realm, top).needsDevices());
    }

    private static AuthenticationExecutionModel step(RealmModel realm, AuthenticationFlowModel top) {
        if (top == null) {
            return null;
        }
        Deque<String> flows = new ArrayDeque<>();
        flows.add(top.getId());
        for (int walked = 0; !flows.isEmpty() && walked < MAX_FLOWS; walked++) {
            for (AuthenticationExecutionModel e : (Iterable<AuthenticationExecutionModel>)
                    realm.getAuthenticationExecutionsStream(flows.poll())::iterator) {
                if (e.isAuthenticatorFlow()) {
                    flows.add(e.getFlowId());
                } else if (STEP_ID.equals(e.getAuthenticator()) && !e.isDisabled()) {
                    return e;
                }
            }
        }
        return null;
    }
}
