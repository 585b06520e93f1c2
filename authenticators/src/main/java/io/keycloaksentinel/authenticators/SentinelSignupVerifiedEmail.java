package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.SentinelVersion;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.authentication.FormAction;
import org.keycloak.authentication.FormActionFactory;
import org.keycloak.authentication.FormContext;
import org.keycloak.authentication.ValidationContext;
import org.keycloak.events.Errors;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.FormMessage;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * The registration form's half of the email-first sign-up: the form opens with the address the
 * user proved to control ({@link SentinelSignupEmail}) filled in, refuses any other address (so a
 * verified mailbox cannot be used to probe which other addresses exist: only this action's message
 * is shown, Keycloak's "email already exists" is dropped), and marks the new account's email as
 * verified. Put it LAST among the registration form's actions ({@code excludeOtherErrors} drops
 * the messages of the actions before it). Without the sign-up step before the form, every
 * registration is refused: a flow edited to skip the step cannot create accounts unverified.
 */
public final class SentinelSignupVerifiedEmail implements FormAction, FormActionFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-signup-verified-email";
    static final String LOCKED_MESSAGE = "sentinelSignupEmailLocked";
    static final String START_OVER_MESSAGE = "sentinelSignupStartOver";

    @Override
    public void buildPage(FormContext context, LoginFormsProvider form) {
        String verified = context.getAuthenticationSession().getAuthNote(SentinelSignupEmail.VERIFIED_NOTE);
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        // first display of the form (after the code): fill the address in; a re-display keeps what was posted
        if (verified != null && (posted == null || !posted.containsKey("email"))) {
            MultivaluedMap<String, String> data = new MultivaluedHashMap<>();
            data.putSingle("email", verified);
            if (context.getRealm().isRegistrationEmailAsUsername()) {
                data.putSingle("username", verified);
            }
            form.setFormData(data);
        }
    }

    @Override
    public void validate(ValidationContext context) {
        String verified = context.getAuthenticationSession().getAuthNote(SentinelSignupEmail.VERIFIED_NOTE);
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        String email = posted.getFirst("email");
        if (verified != null && email != null && email.strip().equalsIgnoreCase(verified)) {
            context.success();
            return;
        }
        MultivaluedMap<String, String> keep = new MultivaluedHashMap<>();
        posted.forEach((k, v) -> {
            if (!k.startsWith("password") && v != null && v.size() == 1 && v.get(0) != null && v.get(0).length() <= 255) {
                keep.put(k, v);
            }
        });
        if (verified != null) {
            keep.putSingle("email", verified);
        }
        context.getEvent().detail("sentinel_signup", verified == null ? "no_verified_address" : "address_changed");
        context.error(Errors.INVALID_REGISTRATION);
        // a page-wide message (no field): Keycloak keeps one message per field and the first action's wins, so a
        // message on "email" would lose to its "email already exists"; excludeOtherErrors then drops that one
        context.validationError(keep, List.of(new FormMessage(null, verified == null ? START_OVER_MESSAGE : LOCKED_MESSAGE)));
        context.excludeOtherErrors();
    }

    @Override
    public void success(FormContext context) {
        UserModel user = context.getUser();
        String verified = context.getAuthenticationSession().getAuthNote(SentinelSignupEmail.VERIFIED_NOTE);
        if (user != null && verified != null && user.getEmail() != null && user.getEmail().equalsIgnoreCase(verified)) {
            user.setEmailVerified(true);
            user.removeRequiredAction(UserModel.RequiredAction.VERIFY_EMAIL);
        }
    }

    @Override
    public boolean requiresUser() {
        return false;
    }

    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return true;
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
    }

    @Override
    public FormAction create(KeycloakSession session) {
        return this;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "Sentinel verified email";
    }

    @Override
    public String getReferenceCategory() {
        return "sentinel-signup";
    }

    @Override
    public boolean isConfigurable() {
        return false;
    }

    @Override
    public AuthenticationExecutionModel.Requirement[] getRequirementChoices() {
        return new AuthenticationExecutionModel.Requirement[] {AuthenticationExecutionModel.Requirement.REQUIRED,
                AuthenticationExecutionModel.Requirement.DISABLED};
    }

    @Override
    public boolean isUserSetupAllowed() {
        return false;
    }

    @Override
    public String getHelpText() {
        return "With 'Sentinel email-first sign-up' before the form: fills in the address the user proved, refuses "
                + "any other, marks it verified. Put it last in the registration form.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return SentinelVersion.current().operationalInfo();
    }
}
