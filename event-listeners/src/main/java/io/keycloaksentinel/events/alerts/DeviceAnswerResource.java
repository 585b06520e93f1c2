package io.keycloaksentinel.events.alerts;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.events.Errors;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.Urls;
import org.keycloak.services.resource.RealmResourceProvider;

/**
 * {@code POST /realms/{realm}/sentinel-device/answer} (form: {@code key}, {@code csrf}): the only
 * request that acts on a new-device alert's answer. It comes from the confirmation page the
 * emailed link shows ({@link DeviceActionTokenHandler}): a GET of the link, or of anything built
 * from it, changes nothing (mail scanners open links, and some follow forms that use GET). The
 * page's CSRF value must come back both as the form field and as the {@value #CSRF_COOKIE}
 * cookie (one per link) the page set ({@code SameSite=Strict}, so another site cannot post it). The key is the
 * link's action token, checked here as Keycloak checks it (signature with the realm's keys, issuer,
 * type, expiry, answer) and claimed once, cluster-wide. Every refusal gets one error page.
 */
public final class DeviceAnswerResource implements RealmResourceProvider {

    static final String CSRF_COOKIE = "SENTINEL_DEVICE_CSRF";
    static final int MAX_KEY_LENGTH = 4096;
    private static final Logger LOG = Logger.getLogger(DeviceAnswerResource.class);
    private final KeycloakSession session;

    DeviceAnswerResource(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public Object getResource() {
        return this;
    }

    @POST
    @Path("answer")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response answer(@FormParam("key") String key, @FormParam("csrf") String csrf) {
        RealmModel realm = session.getContext().getRealm();
        EventBuilder event = new EventBuilder(realm, session, session.getContext().getConnection())
                .event(EventType.EXECUTE_ACTION_TOKEN);
        LoginFormsProvider page = session.getProvider(LoginFormsProvider.class);
        if (!realm.isEnabled() || (!"https".equalsIgnoreCase(session.getContext().getUri().getBaseUri().getScheme())
                && realm.getSslRequired().isRequired(session.getContext().getConnection()))) {
            event.error(Errors.INVALID_REQUEST);
            return page.setError("sentinelDeviceLinkInvalid").createErrorPage(Response.Status.BAD_REQUEST);
        }
        Map<String, jakarta.ws.rs.core.Cookie> cookies = session.getContext().getRequestHeaders().getCookies();
        jakarta.ws.rs.core.Cookie cookie = cookies == null || key == null ? null : cookies.get(cookieName(key));
        if (csrf == null || csrf.isEmpty() || cookie == null || cookie.getValue() == null || !MessageDigest.isEqual(
                csrf.getBytes(StandardCharsets.UTF_8), cookie.getValue().getBytes(StandardCharsets.UTF_8))) {
            event.error(Errors.INVALID_REQUEST);
            LOG.debugf("Sentinel: a new-device answer in realm '%s' without its page's CSRF value was refused", realm.getName());
            return page.setError("sentinelDeviceLinkInvalid").createErrorPage(Response.Status.BAD_REQUEST);
        }
        DeviceActionToken token = verified(realm, key);
        if (token == null) {
            event.error(Errors.INVALID_TOKEN);
            return page.setError("sentinelDeviceLinkInvalid").createErrorPage(Response.Status.BAD_REQUEST);
        }
        UserModel user = session.users().getUserById(realm, token.getUserId());
        if (user == null || !user.isEnabled()) {
            event.error(user == null ? Errors.USER_NOT_FOUND : Errors.USER_DISABLED);
            return page.setError("sentinelDeviceLinkInvalid").createErrorPage(Response.Status.BAD_REQUEST);
        }
        // single use across the cluster (Keycloak's single-use store), until the token expires anyway
        long ttl = Math.max(1, token.getExp() - Time.currentTime());
        if (!session.singleUseObjects().putIfAbsent(token.serializeKey(), ttl)) {
            event.user(user).error(Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        Response answered;
        try {
            answered = DeviceAnswer.apply(session, realm, user, token, page, event);
        } catch (RuntimeException e) {
            session.singleUseObjects().remove(token.serializeKey()); // nothing was done: the link works again
            throw e;
        }
        // the page's CSRF value is spent with the link
        return Response.fromResponse(answered)
                .header("Set-Cookie", DeviceActionTokenHandler.csrfCookie(session, realm, key, "", 0)).build();
    }

    /** The CSRF cookie's name for one link (so two links open in two tabs keep their own): a short hash of its key. */
    static String cookieName(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return CSRF_COOKIE + "_" + java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The link's token, if Keycloak's realm keys signed it for this realm, it is a device answer and it has not expired. */
    private DeviceActionToken verified(RealmModel realm, String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return null;
        }
        try {
            DeviceActionToken token = session.tokens().decode(key, DeviceActionToken.class);
            if (token == null || !DeviceActionToken.TOKEN_TYPE.equals(token.getType()) || token.getExp() == null
                    || token.getExp() <= Time.currentTime() || token.getUserId() == null
                    || !Urls.realmIssuer(session.getContext().getUri().getBaseUri(), realm.getName()).equals(token.getIssuer())
                    || !(DeviceActionToken.NOT_ME.equals(token.getAnswer()) || DeviceActionToken.WAS_ME.equals(token.getAnswer()))) {
                return null;
            }
            return token;
        } catch (RuntimeException e) {
            return null; // malformed: the same answer as any other bad key
        }
    }

    @Override
    public void close() {
    }
}
