package io.keycloaksentinel.admin;

import java.util.LinkedHashMap;
import java.util.Map;
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

    /** Creates the flow when missing (an existing one is left as it is) and, when asked, binds it as the registration flow. */
    Map<String, Object> flows(boolean bind) {
        FlowBuilder builder = new FlowBuilder(realm);
        Map<String, Object> body = new LinkedHashMap<>();
        AuthenticationFlowModel registration = realm.getFlowByAlias(REGISTRATION_FLOW);
        body.put("registrationFlowCreated", registration == null);
        if (registration == null) {
            registration = builder.flow(REGISTRATION_FLOW,
                    "Sentinel: email first (same answer for new and existing addresses), then the registration form", true);
            builder.step(registration, SIGNUP_STEP, Requirement.REQUIRED);
            AuthenticationFlowModel form = builder.formSubflow(registration, REGISTRATION_FLOW + " form", "registration-page-form");
            // first: Keycloak's checks after it only ever see the verified address
            builder.step(form, VERIFIED_EMAIL_ACTION, Requirement.REQUIRED);
            builder.step(form, "registration-user-creation", Requirement.REQUIRED);
            // the address is verified before the form: the password can be chosen on it, also where the realm
            // asks for verified emails (Keycloak's default then defers the password until after verification)
            builder.step(form, "registration-password-action", Requirement.REQUIRED, REGISTRATION_FLOW + " password",
                    Map.of("always_set_password_on_register_form", "true"));
            builder.step(form, "registration-terms-and-conditions", Requirement.DISABLED);
            // again after the form: marks the new account's address (the one proved with the code) verified
            builder.step(registration, SIGNUP_STEP, Requirement.REQUIRED);
        }
        if (bind) {
            realm.setRegistrationFlow(registration);
        }
        body.put("registrationFlow", REGISTRATION_FLOW);
        body.put("bound", realm.getRegistrationFlow() != null && realm.getRegistrationFlow().getId().equals(registration.getId()));
        // whichever flows are bound: do they answer the same for existing and unknown addresses?
        body.put("boundRegistrationFlowHasSignupStep", builder.hasRequiredStep(realm.getRegistrationFlow(), SIGNUP_STEP)
                && builder.hasRequiredStep(realm.getRegistrationFlow(), VERIFIED_EMAIL_ACTION));
        body.put("boundResetFlowHasQueuedEmail", builder.hasRequiredStep(realm.getResetCredentialsFlow(), RESET_EMAIL_STEP));
        body.put("registrationAllowed", realm.isRegistrationAllowed());
        return body;
    }
}
