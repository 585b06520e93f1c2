package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import java.util.List;
import org.keycloak.authentication.ConfigurableAuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * What Sentinel's authenticator and form-action factories share: an id, the name, category and help
 * text the admin console shows, "required" or "disabled" as the only choices, no user setup, the
 * config properties (none by default; configurable exactly when there are some), and the default
 * lifecycle of {@link SentinelProviderFactory}. A step subclasses this, implements Keycloak's
 * {@code AuthenticatorFactory} or {@code FormActionFactory}, and says what it creates and what it
 * lets the admin configure.
 *
 * <p>Most steps are their own provider: for them this also creates the step ({@code create}
 * returns {@code this}) and answers the provider's questions the same way: configured for every
 * user, no required action of their own to set, no user needed before they run unless they say so
 * ({@link #requiresUser()}).
 */
public abstract class SentinelStepFactory<T extends Provider> implements SentinelProviderFactory<T>, ConfigurableAuthenticatorFactory {

    private final String id;
    private final String displayType;
    private final String referenceCategory;
    private final String helpText;

    protected SentinelStepFactory(String id, String displayType, String referenceCategory, String helpText) {
        this.id = id;
        this.displayType = displayType;
        this.referenceCategory = referenceCategory;
        this.helpText = helpText;
    }

    @Override
    public final String getId() {
        return id;
    }

    @Override
    public final String getDisplayType() {
        return displayType;
    }

    @Override
    public final String getReferenceCategory() {
        return referenceCategory;
    }

    @Override
    public final String getHelpText() {
        return helpText;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }

    @Override
    public boolean isConfigurable() {
        return !getConfigProperties().isEmpty();
    }

    @Override
    public Requirement[] getRequirementChoices() {
        return new Requirement[] {Requirement.REQUIRED, Requirement.DISABLED};
    }

    @Override
    public final boolean isUserSetupAllowed() {
        return false;
    }

    /**
     * For a step that is its own provider: itself (one stateless instance serves every session). A
     * factory with a separate provider overrides this.
     */
    @Override
    @SuppressWarnings("unchecked")
    public T create(KeycloakSession session) {
        return (T) this;
    }

    /** For a step that is its own provider: whether it runs only for a user Keycloak has identified. */
    public boolean requiresUser() {
        return false;
    }

    /** For a step that is its own provider: nothing to set up per user. */
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return true;
    }

    /** For a step that is its own provider: no required action of its own. */
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
        // nothing to set up per user
    }

    /** Declared here (not only inherited as a default) so that a step that is its own provider has one {@code close()}. */
    @Override
    public void close() {
        // nothing held
    }
}
