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
        // this wasn't me: a link issued before an earlier "this wasn't me" of this account acts no more (an intruder
        // may hold one an alert mailed to an address of theirs)
        String earlier = user.getFirstAttribute("sentinel.notMeAt");
        if (earlier != null && token.getIat() != null && parseLong(earlier) > token.getIat() * 1000L) {
            event.error(org.keycloak.events.Errors.EXPIRED_CODE);
            return page.setError("sentinelDeviceLinkUsed").createErrorPage(Response.Status.BAD_REQUEST);
        }
        // the intruder holds a session, maybe refresh tokens, and the password
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
        EmailRestore restore = restoreEmail(session, realm, user, token);
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

    /** The user attribute recording the last email change: when, and a SHA-256 of the address before it. */
    static final String EMAIL_CHANGE_ATTRIBUTE = "sentinel.emailChange";
    /** A change is kept this long before a later one may replace it: an alert link's lifetime. */
    static final long EMAIL_CHANGE_KEPT_MILLIS = SecurityMails.LINK_LIFETIME.toMillis();

    /**
     * Records an email change (from the account's events): when, and a hash of the address before
     * it. While a recorded change is younger than an alert link's lifetime it is kept, so a second
     * change by an intruder (X, then Y) still names the owner's address, not X.
     */
    static void recordEmailChange(UserModel user, String previous, long at) {
        if (previous == null || previous.isBlank()) {
            return;
        }
        String kept = user.getFirstAttribute(EMAIL_CHANGE_ATTRIBUTE);
        long keptAt = kept == null ? 0 : parseLong(kept.split("\\|", 2)[0]);
        if (kept != null && at - keptAt < EMAIL_CHANGE_KEPT_MILLIS) {
            return;
        }
        softly(user, () -> user.setSingleAttribute(EMAIL_CHANGE_ATTRIBUTE, at + "|" + hash(previous)));
    }

    /**
     * The account's email back to the address the alert was mailed to, verified, when an intruder
     * changed it: only when the account's last recorded change replaced exactly that address, and
     * was made after the alert was issued (so a link from before the owner's own change of address
     * cannot pull the account back, nor can a link an intruder got at an address of their own).
     * UNCHANGED when the email is still the alerted one or the link names no address; FAILED when
     * it changed but cannot be restored (no such record, another account took the address, a
     * read-only store): the account must then be disabled, since a reset would mail the intruder.
     */
    static EmailRestore restoreEmail(KeycloakSession session, RealmModel realm, UserModel user, DeviceActionToken token) {
        String mailedTo = token.getMailedTo();
        String current = user.getEmail();
        if (mailedTo == null || mailedTo.isBlank()) {
            return EmailRestore.UNCHANGED; // an unverified address was alerted, or a link from before links carried one
        }
        if (current != null && current.toLowerCase(Locale.ROOT).equals(mailedTo.toLowerCase(Locale.ROOT))) {
            return EmailRestore.UNCHANGED;
        }
        String change = user.getFirstAttribute(EMAIL_CHANGE_ATTRIBUTE);
        String[] parts = change == null ? new String[0] : change.split("\\|", 2);
        long issued = token.getIat() == null ? 0 : token.getIat() * 1000L;
        if (parts.length != 2 || parseLong(parts[0]) < issued || !parts[1].equals(hash(mailedTo))) {
            LOG.infof("Sentinel: the email of user %s changed, but not from the alerted address after the alert: the"
                    + " account is disabled rather than restored", user.getId());
            return EmailRestore.FAILED;
        }
        try {
            if (!realm.isDuplicateEmailsAllowed()) {
                UserModel holder = session.users().getUserByEmail(realm, mailedTo);
                if (holder != null && !holder.getId().equals(user.getId())) {
                    return EmailRestore.FAILED; // another account took the address meanwhile
                }
            }
            user.setEmail(mailedTo);
            user.setEmailVerified(true);
            user.removeRequiredAction(UserModel.RequiredAction.VERIFY_EMAIL);
            user.removeAttribute(EMAIL_CHANGE_ATTRIBUTE);
            return EmailRestore.RESTORED;
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the email of user %s could not be restored after 'this wasn't me' (%s); the account is"
                    + " disabled instead", user.getId(), e.toString());
            return EmailRestore.FAILED;
        }
    }

    private static String hash(String address) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(address.strip().toLowerCase(Locale.ROOT).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long parseLong(String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
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
