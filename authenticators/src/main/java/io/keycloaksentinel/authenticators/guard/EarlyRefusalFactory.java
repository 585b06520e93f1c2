package io.keycloaksentinel.authenticators.guard;

import java.util.List;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProviderFactory;

/** Registers {@link EarlyRefusal} as the client-policy executor {@value #ID}, with its one setting. */
public final class EarlyRefusalFactory implements ClientPolicyExecutorProviderFactory {

    public static final String ID = "sentinel-early-refusal";
    /** The executor's one setting: refuse a throttled source's login page too (off by default). */
    public static final String REFUSE_LOGIN_PAGE = "refuse-login-page";

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
        return "Sentinel: refuses a throttled source's password grant (and, when set, its login page) before Keycloak"
                + " creates an authentication session: 429 with Retry-After, as the flows would answer.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        ProviderConfigProperty page = new ProviderConfigProperty(REFUSE_LOGIN_PAGE, "Refuse the login page",
                "Also answer a throttled source's authorization request with a 429 page instead of the login page, when no"
                        + " valid session cookie, identity provider or passkey could sign it in. Only where the realm's"
                        + " sign-in is the password: Kerberos, X.509 or a custom flow would be refused with it.",
                ProviderConfigProperty.BOOLEAN_TYPE, false);
        return List.of(page);
    }
}
