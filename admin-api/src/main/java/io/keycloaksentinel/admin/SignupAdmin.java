package io.keycloaksentinel.admin;

import io.keycloaksentinel.admin.SignupResource.Flows;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.RealmModel;

/**
 * The enumeration-safe sign-up's ready-made registration flow: Sentinel's email-first step, then
 * Keycloak's registration form with Sentinel's verified-email action first, then the email-first
 * step again (it marks the new account's address verified).
 */
final class SignupAdmin {

    static final String REGISTRATION_FLOW = "sentinel email-first registration";
    static final String SIGNUP_STEP = "sentinel-signup-email";
    static final String VERIFIED_EMAIL_ACTION = "sentinel-signup-verified-email";
    static final String RESET_EMAIL_STEP = "sentinel-reset-credential-email";

    private final RealmModel realm;

    SignupAdmin(RealmModel realm) {
        this.realm = realm;
    }

    /**
     * Creates the flow when missing (an existing one is left as it is) and, when asked, binds it as
     * the registration flow.
     */
    Flows flows(boolean bind) {
        FlowBuilder builder = new FlowBuilder(realm);
        FlowBuilder.Ensured registration = builder.ensure(REGISTRATION_FLOW,
                "Sentinel: email first (same answer for new and existing addresses), then the registration form", flow -> {
                    builder.step(flow, SIGNUP_STEP, Requirement.REQUIRED);
                    AuthenticationFlowModel form = builder.formSubflow(flow, REGISTRATION_FLOW + " form",
                            "registration-page-form");
                    // first: Keycloak's checks after it only ever see the verified address
                    builder.step(form, VERIFIED_EMAIL_ACTION, Requirement.REQUIRED);
                    builder.step(form, "registration-user-creation", Requirement.REQUIRED);
                    // the address is verified before the form: the password can be chosen on it, also where the realm
                    // asks for verified emails (Keycloak's default then defers the password until after verification)
                    builder.step(form, "registration-password-action", Requirement.REQUIRED, REGISTRATION_FLOW + " password",
                            Map.of("always_set_password_on_register_form", "true"));
                    builder.step(form, "registration-terms-and-conditions", Requirement.DISABLED);
                    // again after the form: marks the new account's address (the one proved with the code) verified
                    builder.step(flow, SIGNUP_STEP, Requirement.REQUIRED);
                });
        if (bind) {
            realm.setRegistrationFlow(registration.flow());
        }
        // whichever flows are bound: do they answer the same for existing and unknown addresses?
        return new Flows(registration.created(), REGISTRATION_FLOW, registration.isBound(realm.getRegistrationFlow()),
                safeShape(realm.getRegistrationFlow()),
                builder.hasRequiredStep(realm.getResetCredentialsFlow(), RESET_EMAIL_STEP), realm.isRegistrationAllowed());
    }

    /**
     * Whether {@code top} has the shape that makes sign-up enumeration-safe, in this order: the
     * email step, a form whose first enabled action is the verified-email action (so Keycloak's
     * duplicate-email check only sees the verified address), then the email step again (it marks
     * the address verified). Presence alone is not enough: the action placed after Keycloak's check
     * would let a verified mailbox probe other addresses.
     */
    private boolean safeShape(AuthenticationFlowModel top) {
        if (top == null) {
            return false;
        }
        List<AuthenticationExecutionModel> steps = enabled(top.getId());
        int before = -1;
        int form = -1;
        int after = -1;
        for (int i = 0; i < steps.size(); i++) {
            AuthenticationExecutionModel e = steps.get(i);
            if (e.isAuthenticatorFlow()) {
                AuthenticationFlowModel sub = realm.getAuthenticationFlowById(e.getFlowId());
                if (form < 0 && sub != null && "form-flow".equals(sub.getProviderId())) {
                    form = i;
                    List<AuthenticationExecutionModel> actions = enabled(sub.getId());
                    if (actions.isEmpty() || !VERIFIED_EMAIL_ACTION.equals(actions.get(0).getAuthenticator())
                            || !actions.get(0).isRequired()) {
                        return false;
                    }
                }
            } else if (SIGNUP_STEP.equals(e.getAuthenticator()) && e.isRequired()) {
                if (form < 0 && before < 0) {
                    before = i;
                } else if (form >= 0) {
                    after = i;
                }
            }
        }
        return before >= 0 && form > before && after > form;
    }

    private List<AuthenticationExecutionModel> enabled(String flowId) {
        return realm.getAuthenticationExecutionsStream(flowId).filter(e -> !e.isDisabled())
                .sorted(Comparator.comparingInt(AuthenticationExecutionModel::getPriority)).toList();
    }
}
