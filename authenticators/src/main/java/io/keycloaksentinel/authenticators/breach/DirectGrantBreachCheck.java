package io.keycloaksentinel.authenticators.breach;

import java.util.List;
import org.keycloak.Config;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * "Sentinel breached-password check (password grant)": put it right after Keycloak's "Password"
 * step in the direct grant flow. The OAuth password grant never shows a page, so it cannot ask for
 * a second proof: a breached password is refused there like a wrong one (the realm's
 * {@code monitor} action lets it through, flagged and counted).
 */
public final class DirectGrantBreachCheck implements Authenticator, AuthenticatorFactory {

    public static final String ID = "sentinel-direct-grant-breach";

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        String password = context.getHttpRequest().getDecodedFormParameters().getFirst("password");
        if (BreachedLoginCheck.directGrant(context, password)) {
            context.success();
        }
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        context.success();
    }

    @Override
    public boolean requiresUser() {
        return true;
    }

    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return true;
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return this;
    }

    @Override
    public String getDisplayType() {
        return "Sentinel breached-password check (password grant)";
    }

    @Override
    public String getReferenceCategory() {
        return "password";
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
        return "After Keycloak's Password step in the direct grant flow: refuses a breached password (the grant has no page "
                + "for a second proof). Settings: Sentinel admin REST /breached-passwords.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
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
        return ID;
    }
}
