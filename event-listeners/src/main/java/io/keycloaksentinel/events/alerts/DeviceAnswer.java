package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.device.NotMeLockout;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.events.EventBuilder;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.managers.UserSessionManager;

/**
 * What an owner's answer to a new-device alert does, once the answer was confirmed by a POST from
 * the link's confirmation page ({@link DeviceAnswerResource}).
 *
 * <p>"This wasn't me" locks the intruder out: every session of the user (online and offline)
 * ends, the device is forgotten, the stored password is removed so that whoever knows it can no
 * longer sign in with it (the owner sets a new one through "Forgot password?", which mails their
 * verified address), and an event is recorded. If the account's email is no longer the address
 * the alert was mailed to (an intruder changed it, to receive the next reset mail), that address
 * is restored and marked verified: the owner just answered from it. Where it cannot be restored
 * (another account took it), the account is disabled instead, because a reset would mail the
 * intruder. No password-update required action is added: an intruder who got in another way would
 * set the next password. The account is also disabled (an admin re-enables it) when the realm asks
 * for it, when the password lives in a federated store (LDAP) and cannot be removed here, or when a
 * credential other than a password was created since the device was first seen (the intruder may
 * have added an authenticator or a passkey). "Yes, it was me" marks the device trusted.
 */
final class DeviceAnswer {

    private static final Logger LOG = Logger.getLogger(DeviceAnswer.class);

    private DeviceAnswer() {
    }

    static Response apply(KeycloakSession session, RealmModel realm, UserModel user, DeviceActionToken token,
                          LoginFormsProvider page, EventBuilder event) {
        AlertSettings settings = AlertSettings.read(realm::getAttribute);
        KnownDevices devices = DeviceAlertEventListener.devices(user, settings);
        event.user(user).detail(DeviceActionTokenHandler.EVENT_DETAIL, token.getAnswer());
        if (DeviceActionToken.WAS_ME.equals(token.getAnswer())) {
            softly(user, () -> DeviceAlertEventListener.store(user, devices.trust(token.getDevice())));
            event.success();
            return page.setSuccess("sentinelWasMeDone").createInfoPage();
        }
        // this wasn't me: the intruder holds a session, maybe refresh tokens, and the password
        long since = firstSeen(token, devices) - realm.getAccessCodeLifespanLogin() * 1000L;
        List<UserSessionModel> online = session.sessions().getUserSessionsStream(realm, user).toList();
        for (UserSessionModel us : online) {
            AuthenticationManager.backchannelLogout(session, realm, us, session.getContext().getUri(),
                    session.getContext().getConnection(), session.getContext().getRequestHeaders(), true);
        }
        UserSessionManager offline = new UserSessionManager(session);
        offline.findOfflineSessionsStream(realm, user).toList().forEach(offline::revokeOfflineUserSession);
        softly(user, () -> DeviceRecognition.forget(user, devices, token.getDevice()));
        List<CredentialModel> stored = user.credentialManager().getStoredCredentialsStream().toList();
        stored.stream().filter(c -> PasswordCredentialModel.TYPE.equals(c.getType()))
                .forEach(c -> user.credentialManager().removeStoredCredentialById(c.getId()));
        softly(user, () -> user.setSingleAttribute("sentinel.notMeAt", Long.toString(Time.currentTimeMillis())));
        EmailRestore restore = restoreEmail(user, token.getMailedTo());
        boolean disable = restore == EmailRestore.FAILED || NotMeLockout.disable(settings.notMeDisablesAccount(),
                user.getFederationLink() != null,
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
                + "password removed%s%s", user.getId(), realm.getName(), online.size(),
                restore == EmailRestore.RESTORED ? ", email restored" : "", disabled ? ", account disabled" : "");
        event.detail("sessions_ended", Integer.toString(online.size()))
                .detail("email_restored", Boolean.toString(restore == EmailRestore.RESTORED))
                .detail("account_disabled", Boolean.toString(disabled)).success();
        return page.setSuccess(disabled ? "sentinelNotMeDoneDisabled" : "sentinelNotMeDone").createInfoPage();
    }

    enum EmailRestore { UNCHANGED, RESTORED, FAILED }

    /**
     * The account's email back to the address the alert was mailed to, verified, when it differs
     * (case aside); FAILED when it cannot be written (taken by another account, a read-only store).
     */
    static EmailRestore restoreEmail(UserModel user, String mailedTo) {
        if (mailedTo == null || mailedTo.isBlank()) {
            return EmailRestore.UNCHANGED; // a link made before links carried their address
        }
        String current = user.getEmail();
        if (current != null && current.toLowerCase(Locale.ROOT).equals(mailedTo.toLowerCase(Locale.ROOT))) {
            return EmailRestore.UNCHANGED;
        }
        try {
            user.setEmail(mailedTo);
            user.setEmailVerified(true);
            user.removeRequiredAction(UserModel.RequiredAction.VERIFY_EMAIL);
            return EmailRestore.RESTORED;
        } catch (ModelException | IllegalStateException | UnsupportedOperationException e) {
            LOG.warnf("Sentinel: the email of user %s could not be restored after 'this wasn't me' (%s); the account is"
                    + " disabled instead", user.getId(), e.toString());
            return EmailRestore.FAILED;
        }
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
