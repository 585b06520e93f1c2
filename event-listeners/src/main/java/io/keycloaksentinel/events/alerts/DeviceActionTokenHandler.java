package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.KnownDevices;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;
import org.keycloak.TokenVerifier;
import org.keycloak.authentication.actiontoken.AbstractActionTokenHandler;
import org.keycloak.authentication.actiontoken.ActionTokenContext;
import org.keycloak.authentication.actiontoken.DefaultActionToken;
import org.keycloak.common.util.Time;
import org.keycloak.events.Errors;
import org.keycloak.events.EventType;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.managers.UserSessionManager;
import org.keycloak.services.messages.Messages;

/**
 * Follows the links of a new-device alert. "This wasn't me" locks the intruder out: every session
 * of the user (online and offline) ends, the device is forgotten, the password is removed so
 * that whoever knows it can no longer sign in with it (the owner sets a new one through "Forgot
 * password?", which mails their verified address), the account is disabled too when the realm
 * asks for it (an admin re-enables it), and an event is recorded. "Yes, it was me" marks the
 * device trusted. Keycloak verifies the token (signature, realm, expiry) and, since the handler
 * says so, lets it be used once.
 */
public final class DeviceActionTokenHandler extends AbstractActionTokenHandler<DeviceActionToken> {

    public static final String EVENT_DETAIL = "sentinel_device_answer";
    private static final Logger LOG = Logger.getLogger(DeviceActionTokenHandler.class);

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
        return false;
    }

    @Override
    public Response handleToken(DeviceActionToken token, ActionTokenContext<DeviceActionToken> context) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = session.users().getUserById(realm, token.getUserId());
        LoginFormsProvider page = session.getProvider(LoginFormsProvider.class)
                .setAuthenticationSession(context.getAuthenticationSession());
        // single use across the cluster (Keycloak's single-use store), until the token expires anyway
        long ttl = Math.max(1, (token.getExp() == null ? Time.currentTime() + 60 : token.getExp()) - Time.currentTime());
        if (!session.singleUseObjects().putIfAbsent(token.serializeKey(), ttl)) {
            context.getEvent().error(Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        if (user == null) {
            context.getEvent().error(Errors.USER_NOT_FOUND);
            return page.setError(Messages.INVALID_CODE).createErrorPage(Response.Status.BAD_REQUEST);
        }
        AlertSettings settings = AlertSettings.read(realm::getAttribute);
        KnownDevices devices = DeviceAlertEventListener.devices(user, settings);
        context.getEvent().user(user).detail(EVENT_DETAIL, token.getAnswer());
        if (DeviceActionToken.WAS_ME.equals(token.getAnswer())) {
            DeviceAlertEventListener.store(user, devices.trust(token.getDevice()));
            context.getEvent().success();
            return page.setSuccess("sentinelWasMeDone").createInfoPage();
        }
        // this wasn't me: the intruder holds a session, maybe refresh tokens, and the password
        List<UserSessionModel> online = session.sessions().getUserSessionsStream(realm, user).toList();
        for (UserSessionModel us : online) {
            AuthenticationManager.backchannelLogout(session, realm, us, context.getUriInfo(), context.getClientConnection(),
                    context.getRequest().getHttpHeaders(), true);
        }
        UserSessionManager offline = new UserSessionManager(session);
        offline.findOfflineSessionsStream(realm, user).toList().forEach(offline::revokeOfflineUserSession);
        DeviceAlertEventListener.forget(user, devices, token.getDevice());
        user.credentialManager().getStoredCredentialsByTypeStream(PasswordCredentialModel.TYPE).toList()
                .forEach(c -> user.credentialManager().removeStoredCredentialById(c.getId()));
        user.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
        user.setSingleAttribute("sentinel.notMeAt", Long.toString(Time.currentTimeMillis()));
        if (settings.notMeDisablesAccount()) {
            user.setEnabled(false);
        }
        LOG.infof("Sentinel: user %s of realm '%s' answered a new-device alert 'this wasn't me': %d sessions ended, "
                + "password removed%s", user.getId(), realm.getName(), online.size(),
                settings.notMeDisablesAccount() ? ", account disabled" : "");
        context.getEvent().detail("sessions_ended", Integer.toString(online.size())).success();
        return page.setSuccess(settings.notMeDisablesAccount() ? "sentinelNotMeDoneDisabled" : "sentinelNotMeDone")
                .createInfoPage();
    }
}
