package io.keycloaksentinel.events.alerts;

import jakarta.ws.rs.core.Response;
import java.util.Base64;
import org.keycloak.TokenVerifier;
import org.keycloak.authentication.actiontoken.AbstractActionTokenHandler;
import org.keycloak.authentication.actiontoken.ActionTokenContext;
import org.keycloak.authentication.actiontoken.DefaultActionToken;
import org.keycloak.common.util.SecretGenerator;
import org.keycloak.events.Errors;
import org.keycloak.events.EventType;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.messages.Messages;

/**
 * Shows the page behind a new-device alert's links. Opening a link (a GET, which mail link
 * scanners such as Safe Links or Proofpoint also do, and some of them follow GET forms) only shows
 * a confirmation page and changes nothing, not even the link's single use. The page's button
 * POSTs the link's key with a CSRF value (also set as a {@code SameSite=Strict} cookie) to
 * {@link DeviceAnswerResource}, and only that deliberate POST claims the link (once, cluster-wide)
 * and acts ({@link DeviceAnswer}). Keycloak verifies the token (signature, realm, expiry) before
 * this handler sees it.
 */
public final class DeviceActionTokenHandler extends AbstractActionTokenHandler<DeviceActionToken> {

    public static final String EVENT_DETAIL = "sentinel_device_answer";
    static final String CONFIRM_TEMPLATE = "sentinel-device-confirm.ftl";
    /** How long the confirmation page's CSRF cookie lives: long enough to read the page and press the button. */
    static final int CSRF_SECONDS = 30 * 60;

    public DeviceActionTokenHandler() {
        super(DeviceActionToken.TOKEN_TYPE, DeviceActionToken.class, Messages.INVALID_CODE, EventType.EXECUTE_ACTION_TOKEN,
                Errors.INVALID_TOKEN);
    }

    @Override
    @SuppressWarnings("unchecked")
    public TokenVerifier.Predicate<? super DeviceActionToken>[] getVerifiers(ActionTokenContext<DeviceActionToken> context) {
        return new TokenVerifier.Predicate[] {DefaultActionToken.ACTION_TOKEN_BASIC_CHECKS,
                (TokenVerifier.Predicate<DeviceActionToken>) t -> {
                    if (!DeviceActionToken.NOT_ME.equals(t.getAnswer()) && !DeviceActionToken.WAS_ME.equals(t.getAnswer())) {
                        throw new org.keycloak.common.VerificationException("unknown answer");
                    }
                    return true;
                }};
    }

    @Override
    public boolean canUseTokenRepeatedly(DeviceActionToken token, ActionTokenContext<DeviceActionToken> context) {
        return true; // the GET only shows a page; the POST claims the link once
    }

    @Override
    public Response handleToken(DeviceActionToken token, ActionTokenContext<DeviceActionToken> context) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = session.users().getUserById(realm, token.getUserId());
        LoginFormsProvider page = session.getProvider(LoginFormsProvider.class)
                .setAuthenticationSession(context.getAuthenticationSession());
        if (user == null) {
            context.getEvent().error(Errors.USER_NOT_FOUND);
            return page.setError(Messages.INVALID_CODE).createErrorPage(Response.Status.BAD_REQUEST);
        }
        if (session.singleUseObjects().contains(token.serializeKey())) {
            context.getEvent().error(Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        String key = context.getUriInfo().getQueryParameters().getFirst(Constants.KEY);
        String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(SecretGenerator.getInstance().randomBytes(32));
        boolean notMe = DeviceActionToken.NOT_ME.equals(token.getAnswer());
        Response confirm = page.setAttribute("sentinelAction", session.getContext().getUri().getBaseUriBuilder()
                        .path("realms").path(realm.getName()).path(DeviceAnswerResourceProviderFactory.PROVIDER_ID)
                        .path("answer").build().toString())
                .setAttribute("sentinelKey", key == null ? "" : key)
                .setAttribute("sentinelCsrf", csrf)
                .setAttribute("sentinelQuestion", notMe ? "sentinelNotMeConfirm" : "sentinelWasMeConfirm")
                .setAttribute("sentinelButton", notMe ? "sentinelNotMeConfirmButton" : "sentinelWasMeConfirmButton")
                .setAttribute("sentinelNotMe", notMe)
                .createForm(CONFIRM_TEMPLATE);
        return Response.fromResponse(confirm).header("Set-Cookie", csrfCookie(session, realm, key == null ? "" : key, csrf,
                CSRF_SECONDS)).header("Cache-Control", "no-store").build();
    }

    /**
     * The confirmation page's CSRF cookie for one link: scoped to the answer endpoint (the path as a
     * browser sends it, the realm's name encoded), script-proof, same-site only.
     */
    static String csrfCookie(KeycloakSession session, RealmModel realm, String key, String value, int maxAgeSeconds) {
        boolean secure = "https".equalsIgnoreCase(session.getContext().getUri().getBaseUri().getScheme());
        String path = session.getContext().getUri().getBaseUriBuilder().path("realms").path(realm.getName())
                .path(DeviceAnswerResourceProviderFactory.PROVIDER_ID).build().getRawPath();
        return DeviceAnswerResource.cookieName(key) + "=" + value + "; Path=" + path + "; Max-Age=" + maxAgeSeconds
                + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }
}
