package io.keycloaksentinel.authenticators.mfa;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.managers.AuthenticationSessionManager;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.util.AuthenticationFlowURLHelper;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

/**
 * {@code GET /realms/{realm}/sentinel-link/continue?client_id=&tab_id=&key=}: the emailed link of
 * the {@link EmailLinkStepUp}. It finds the login through the browser's own authentication-session
 * cookie (so only the browser that asked can continue), checks the key, and sends the browser back
 * into its login, which goes on without the password being asked again. Anything else (another
 * browser, an expired, used or wrong key, a login that ended) gets one error page that says to sign
 * in again, and changes nothing.
 */
public final class EmailLinkResource implements RealmResourceProvider {

    private static final Logger LOG = Logger.getLogger(EmailLinkResource.class);
    private final KeycloakSession session;

    EmailLinkResource(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public Object getResource() {
        return this;
    }

    @GET
    @Path("continue")
    public Response follow(@QueryParam("client_id") String clientId, @QueryParam("tab_id") String tabId,
                           @QueryParam("key") String key) {
        RealmModel realm = session.getContext().getRealm();
        AuthenticationSessionModel auth = null;
        if (clientId != null && tabId != null && key != null && clientId.length() <= 255 && tabId.length() <= 64) {
            RootAuthenticationSessionModel root = new AuthenticationSessionManager(session).getCurrentRootAuthenticationSession(realm);
            ClientModel client = realm.getClientByClientId(clientId);
            auth = root == null || client == null ? null : root.getAuthenticationSession(client, tabId);
        }
        if (auth == null || !EmailLinkStepUp.follow(auth, key)) {
            LOG.debugf("Sentinel: an email-link step-up link of realm '%s' was refused (another browser, used, expired or wrong)",
                    realm.getName());
            return session.getProvider(LoginFormsProvider.class).setError("sentinelEmailLinkInvalid")
                    .createErrorPage(Response.Status.BAD_REQUEST);
        }
        // back into the login this browser was in: its login form now signs the owner in
        return Response.status(Response.Status.FOUND).location(new AuthenticationFlowURLHelper(session, realm,
                session.getContext().getUri()).getLastExecutionUrl(auth)).header("Cache-Control", "no-store").build();
    }

    @Override
    public void close() {
    }
}
