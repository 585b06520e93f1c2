package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.SentinelStepFactory;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;

/**
 * "Sentinel breached-password check (password grant)": put it right after Keycloak's "Password"
 * step in the direct grant flow. The OAuth password grant never shows a page, so it cannot ask for
 * a second proof: a breached password is refused there like a wrong one (the realm's
 * {@code monitor} action lets it through, flagged and counted).
 */
public final class DirectGrantBreachCheck extends SentinelStepFactory<Authenticator>
        implements Authenticator, AuthenticatorFactory {

    public static final String ID = "sentinel-direct-grant-breach";

    public DirectGrantBreachCheck() {
        super(ID, "Sentinel breached-password check (password grant)", "password",
                "After Keycloak's Password step in the direct grant flow: refuses a breached password (the grant has no page "
                        + "for a second proof). Settings: Sentinel admin REST /breached-passwords.");
    }

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
}
