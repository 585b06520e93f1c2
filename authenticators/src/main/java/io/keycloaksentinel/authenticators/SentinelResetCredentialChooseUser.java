package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.SentinelVersion;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.resetcred.ResetCredentialChooseUser;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * Keycloak's "Choose User" step of the reset-credentials flow, with Sentinel's adaptive CAPTCHA
 * checked before the username or email is looked up: a reset flood (or an enumeration run)
 * during an attack must solve a CAPTCHA per request. Replace Keycloak's step with it.
 */
public final class SentinelResetCredentialChooseUser extends ResetCredentialChooseUser
        implements ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-reset-choose-user";

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.RESET);
        if (gate.required(null)) {
            gate.show(context.form());
        }
        super.authenticate(context);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.RESET);
        if (gate.required(null)) {
            Optional<String> refusal = gate.refusal(posted);
            if (refusal.isPresent()) {
                context.getEvent().detail("sentinel_captcha", refusal.get()).error(CaptchaGate.EVENT_ERROR);
                gate.show(context.form());
                Response page = context.form().setError(refusal.get()).createPasswordReset();
                context.challenge(CaptchaGate.unavailable(refusal.get())
                        ? Response.fromResponse(page).status(503).header("Retry-After", "60").build() : page);
                return;
            }
            // an unknown or invalid username re-renders the form: it needs a fresh widget
            gate.show(context.form(), false);
        }
        super.action(context);
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return this;
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "Sentinel Choose User (reset credentials)";
    }

    @Override
    public String getHelpText() {
        return "Keycloak's Choose User step of the reset-credentials flow, with Sentinel's adaptive CAPTCHA checked "
                + "before the user is looked up.";
    }

    @Override
    public boolean isConfigurable() {
        return true;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CaptchaConfigProperties.list();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return SentinelVersion.current().operationalInfo();
    }
}
