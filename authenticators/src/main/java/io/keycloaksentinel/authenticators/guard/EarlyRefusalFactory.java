package io.keycloaksentinel.authenticators.guard;

import java.util.List;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProviderFactory;

/** Registers {@link EarlyRefusal} as the client-policy executor {@value #ID}; it has no settings. */
public final class EarlyRefusalFactory implements ClientPolicyExecutorProviderFactory {

    public static final String ID = "sentinel-early-refusal";

    @Override
    public ClientPolicyExecutorProvider create(KeycloakSession session) {
        return new EarlyRefusal(session);
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

    @Override
    public String getHelpText() {
        return "Sentinel: refuses a throttled source's password grant, and its login page when that page offers nothing but"
                + " the password, before Keycloak creates an authentication session (429, Retry-After).";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }
}
