package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.device.NotMeLockout;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;
import org.keycloak.TokenVerifier;
import org.keycloak.authentication.actiontoken.AbstractActionTokenHandler;
import org.keycloak.authentication.actiontoken.ActionTokenContext;
import org.keycloak.authentication.actiontoken.DefaultActionToken;
import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.models.Constants;
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
import org.keycloak.services.resources.LoginActionsService;

/**
 * Follows the links of a new-device alert. Opening a link (a GET, which mail link scanners such as
 * Safe Links or Proofpoint also do) only shows a confirmation page and changes nothing, not even
 * the link's single use; the page's button repeats the request with {@value #CONFIRM}=1, and only
 * that deliberate second request claims the link (once, cluster-wide) and acts.
 *
 * <p>"This wasn't me" locks the intruder out: every session of the user (online and offline)
 * ends, the device is forgotten, the stored password is removed so that whoever knows it can no
 * longer sign in with it (the owner sets a new one through "Forgot password?", which mails their
 * verified address), and an event is recorded. No password-update required action is added: an
 * intruder who got in another way would set the next password. The account is disabled (an admin
 * re-enables it) when the realm asks for it, when the password lives in a federated store (LDAP)
 * and cannot be removed here, or when a credential other than a password was created since the
 * device was first seen (the intruder may have added an authenticator or a passkey).
 * "Yes, it was me" marks the device trusted. Keycloak verifies the token (signature, realm,
 * expiry) before this handler sees it.
 */
public final class DeviceActionTokenHandler extends AbstractActionTokenHandler<DeviceActionToken> {

    public static final String EVENT_DETAIL = "sentinel_device_answer";
    /** The query parameter of the confirmation page's form: present, the request acts. */
    public static final String CONFIRM = "confirm";
    static final String CONFIRM_TEMPLATE = "sentinel-device-confirm.ftl";
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
        if (user == null) {
            context.getEvent().error(Errors.USER_NOT_FOUND);
            return page.setError(Messages.INVALID_CODE).createErrorPage(Response.Status.BAD_REQUEST);
        }
        if (session.singleUseObjects().contains(token.serializeKey())) {
            context.getEvent().error(Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        MultivaluedMap<String, String> query = context.getUriInfo().getQueryParameters();
        String key = query.getFirst(Constants.KEY);
        if (!"1".equals(query.getFirst(CONFIRM)) || key == null) {
            // a GET of the emailed link, by its owner or by a mail scanner: ask, change nothing
            boolean notMe = DeviceActionToken.NOT_ME.equals(token.getAnswer());
            return page.setAttribute("sentinelAction", LoginActionsService.actionTokenProcessor(session.getContext().getUri())
                            .build(realm.getName()).toString())
                    .setAttribute("sentinelKey", key == null ? "" : key)
                    .setAttribute("sentinelConfirmParam", CONFIRM)
                    .setAttribute("sentinelQuestion", notMe ? "sentinelNotMeConfirm" : "sentinelWasMeConfirm")
                    .setAttribute("sentinelButton", notMe ? "sentinelNotMeConfirmButton" : "sentinelWasMeConfirmButton")
                    .setAttribute("sentinelNotMe", notMe)
                    .createForm(CONFIRM_TEMPLATE);
        }
        // single use across the cluster (Keycloak's single-use store), until the token expires anyway
        long ttl = Math.max(1, (token.getExp() == null ? Time.currentTime() + 60 : token.getExp()) - Time.currentTime());
        if (!session.singleUseObjects().putIfAbsent(token.serializeKey(), ttl)) {
            context.getEvent().error(Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        AlertSettings settings = AlertSettings.read(realm::getAttribute);
        KnownDevices devices = DeviceAlertEventListener.devices(user, settings);
        context.getEvent().user(user).detail(EVENT_DETAIL, token.getAnswer());
        if (DeviceActionToken.WAS_ME.equals(token.getAnswer())) {
            softly(user, () -> DeviceAlertEventListener.store(user, devices.trust(token.getDevice())));
            context.getEvent().success();
            return page.setSuccess("sentinelWasMeDone").createInfoPage();
        }
        // this wasn't me: the intruder holds a session, maybe refresh tokens, and the password
        long since = firstSeen(token, devices) - realm.getAccessCodeLifespanLogin() * 1000L;
        List<UserSessionModel> online = session.sessions().getUserSessionsStream(realm, user).toList();
        for (UserSessionModel us : online) {
            AuthenticationManager.backchannelLogout(session, realm, us, context.getUriInfo(), context.getClientConnection(),
                    context.getRequest().getHttpHeaders(), true);
        }
        UserSessionManager offline = new UserSessionManager(session);
        offline.findOfflineSessionsStream(realm, user).toList().forEach(offline::revokeOfflineUserSession);
        softly(user, () -> DeviceRecognition.forget(user, devices, token.getDevice()));
        List<CredentialModel> stored = user.credentialManager().getStoredCredentialsStream().toList();
        stored.stream().filter(c -> PasswordCredentialModel.TYPE.equals(c.getType()))
                .forEach(c -> user.credentialManager().removeStoredCredentialById(c.getId()));
        softly(user, () -> user.setSingleAttribute("sentinel.notMeAt", Long.toString(Time.currentTimeMillis())));
        boolean disable = NotMeLockout.disable(settings.notMeDisablesAccount(), user.getFederationLink() != null,
                stored.stream().map(c -> new NotMeLockout.Credential(c.getType(), c.getCreatedDate())).toList(), since);
        boolean disabled = false;
        if (disable) {
            try {
                user.setEnabled(false);
                disabled = true;
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: user %s of realm '%s' answered 'this wasn't me' but the account could not be "
                        + "disabled (%s); an admin must lock it", user.getId(), realm.getName(), e.toString());
            }
        }
        LOG.infof("Sentinel: user %s of realm '%s' answered a new-device alert 'this wasn't me': %d sessions ended, "
                + "password removed%s", user.getId(), realm.getName(), online.size(), disabled ? ", account disabled" : "");
        context.getEvent().detail("sessions_ended", Integer.toString(online.size()))
                .detail("account_disabled", Boolean.toString(disabled)).success();
        return page.setSuccess(disabled ? "sentinelNotMeDoneDisabled" : "sentinelNotMeDone").createInfoPage();
    }

    /** When the device named by the link was first seen: from the user's list, else when the link was made. */
    private static long firstSeen(DeviceActionToken token, KnownDevices devices) {
        long issued = token.getIat() == null ? Time.currentTimeMillis() : token.getIat() * 1000L;
        return devices.byId(token.getDevice()).map(d -> Math.min(d.firstSeen(), issued)).orElse(issued);
    }

    /** A write of Sentinel's own attributes that must not stop the answer (a read-only federated user). */
    private static void softly(UserModel user, Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: device state of user %s not written: %s", user.getId(), e.toString());
        }
    }
}
