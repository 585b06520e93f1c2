package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.risk.RiskEvents;
import io.keycloaksentinel.events.incident.Containment;
import io.keycloaksentinel.events.incident.LookBack;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.mail.MailOutbox;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.events.Details;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * New-device alerts and security notifications, for every realm that turns them on
 * ({@link AlertSettings}). On a successful login it recognises the device by Sentinel's signed
 * device cookie, or, when the cookie is missing, by the same browser family, OS family and
 * network as a known device; an unknown device is remembered and, unless it is the account's
 * first, its owner gets one mail (at most one per device and {@code maxAlertsPerHour} per user,
 * counted cluster-wide) with "this wasn't me" and "yes, it was me" links. Password, second-factor
 * and email changes get a notice (an email change to the old address too). Mails go out after the
 * commit, off the request thread ({@link MailOutbox}); nothing here can fail a login. This class
 * picks what an event calls for; {@link DeviceLogins} recognises a login's device and
 * {@link SecurityMails} writes the mails.
 */
public final class DeviceAlertEventListener implements EventListenerProvider {

    public static final String DEVICES_ATTRIBUTE = DeviceRecognition.DEVICES_ATTRIBUTE;
    /** Changes whenever a device is forgotten, so that a forgotten device alerts again. */
    public static final String GENERATION_ATTRIBUTE = DeviceRecognition.GENERATION_ATTRIBUTE;
    /**
     * Set once the account has had a device, never removed: an account whose devices all expired
     * (a dormant one) or were forgotten is not a new account, and its next device alerts.
     */
    public static final String DEVICES_SEEN_ATTRIBUTE = DeviceRecognition.DEVICES_SEEN_ATTRIBUTE;
    private static final Logger LOG = Logger.getLogger(DeviceAlertEventListener.class);

    private final KeycloakSession session;
    private final SecurityMails mails;
    private final DeviceLogins logins;

    DeviceAlertEventListener(KeycloakSession session) {
        this.session = session;
        this.mails = new SecurityMails(session);
        this.logins = new DeviceLogins(session, mails);
    }

    @Override
    public void onEvent(Event event) {
        if (event.getRealmId() == null || event.getUserId() == null) {
            return;
        }
        if (event.getError() != null) {
            passwordUsed(event);
            return;
        }
        try {
            RealmModel realm = session.realms().getRealm(event.getRealmId());
            if (realm == null) {
                return;
            }
            AlertSettings settings = AlertSettings.read(realm::getAttribute);
            // the MFA step and a containment policy read the device history too (a likely break-in is a sign-in
            // from a new device)
            boolean login = event.getType() == EventType.LOGIN;
            boolean track = !settings.newDeviceAlerts() && login && LookBack.tracksDevices(realm);
            boolean passwordSet = event.getType() == EventType.UPDATE_PASSWORD || event.getType() == EventType.RESET_PASSWORD
                    || event.getType() == EventType.UPDATE_CREDENTIAL;
            if (!settings.anyOn() && !track && !passwordSet) {
                return;
            }
            UserModel user = session.users().getUserById(realm, event.getUserId());
            if (user == null) {
                return;
            }
            switch (event.getType()) {
                case LOGIN -> {
                    // the look-back of an attack: a sign-in from a device new to the account
                    if ((settings.newDeviceAlerts() || track)
                            && logins.login(realm, user, event, settings, settings.newDeviceAlerts())) {
                        LookBack.newDevice(session, realm, user, event);
                    }
                }
                case UPDATE_PASSWORD, RESET_PASSWORD -> {
                    Containment.released(realm, user); // a new password (by "Forgot password?": the mailbox proved)
                    mails.notice(realm, user, settings.notifyPasswordChange(), "password_changed",
                        "sentinelNoticePasswordChanged", null);
                }
                case UPDATE_CREDENTIAL, REMOVE_CREDENTIAL, UPDATE_TOTP, REMOVE_TOTP -> credential(realm, user, event, settings);
                case UPDATE_EMAIL -> email(realm, user, event, settings);
                case UPDATE_PROFILE -> {
                    // a profile update that changed the email carries both addresses
                    Map<String, String> d = event.getDetails() == null ? Map.of() : event.getDetails();
                    if (d.get(Details.PREVIOUS_EMAIL) != null && d.get(Details.UPDATED_EMAIL) != null
                            && !d.get(Details.PREVIOUS_EMAIL).equalsIgnoreCase(d.get(Details.UPDATED_EMAIL))) {
                        email(realm, user, event, settings);
                    }
                }
                default -> {
                    // not ours
                }
            }
        } catch (RuntimeException e) {
            // an alert never fails the request that triggered it
            LOG.warnf("Sentinel: new-device/notification handling failed for an event of realm %s: %s", event.getRealmId(),
                    e.toString());
        }
    }

    private void credential(RealmModel realm, UserModel user, Event event, AlertSettings settings) {
        String type = event.getDetails() == null ? null : event.getDetails().get(Details.CREDENTIAL_TYPE);
        boolean removed = event.getType() == EventType.REMOVE_CREDENTIAL || event.getType() == EventType.REMOVE_TOTP;
        if (event.getType() == EventType.UPDATE_TOTP || event.getType() == EventType.REMOVE_TOTP) {
            type = "otp";
        }
        if ("password".equals(type) && !removed) {
            Containment.released(realm, user); // a new password
            mails.notice(realm, user, settings.notifyPasswordChange(), "password_changed", "sentinelNoticePasswordChanged", null);
        } else if (type != null && !"password".equals(type)) {
            mails.notice(realm, user, settings.notifyMfaChange(), removed ? "mfa_removed" : "mfa_added",
                    removed ? "sentinelNoticeMfaRemoved" : "sentinelNoticeMfaAdded", null);
        }
    }

    private void email(RealmModel realm, UserModel user, Event event, AlertSettings settings) {
        Map<String, String> d = event.getDetails() == null ? Map.of() : event.getDetails();
        String previous = d.get(Details.PREVIOUS_EMAIL);
        DeviceAnswer.recordEmailChange(user, previous, event.getTime());
        mails.notice(realm, user, settings.notifyEmailChange(), "email_changed", "sentinelNoticeEmailChanged", null);
        if (previous != null && !previous.equalsIgnoreCase(user.getEmail() == null ? "" : user.getEmail())) {
            // the old address learns of the change: if it was not its owner, they can react
            mails.notice(realm, user, settings.notifyEmailChange(), "email_changed", "sentinelNoticeEmailChanged", previous);
        }
    }

    /**
     * A login refused after a right password (a second factor missing on the password grant, a
     * breached password): the answer said "wrong password", so the owner is told here, within a
     * budget of its own ({@value SecurityMails#MAX_PASSWORD_USED_NOTICES_PER_HOUR} an hour). Needs the realm's SMTP
     * settings only.
     */
    private void passwordUsed(Event event) {
        Map<String, String> d = event.getDetails();
        if (event.getType() != EventType.LOGIN_ERROR || d == null || !"true".equals(d.get(RiskEvents.PASSWORD_VERIFIED))) {
            return;
        }
        try {
            RealmModel realm = session.realms().getRealm(event.getRealmId());
            UserModel user = realm == null ? null : session.users().getUserById(realm, event.getUserId());
            if (user == null || realm.getSmtpConfig() == null || realm.getSmtpConfig().isEmpty()) {
                return;
            }
            mails.notice(realm, user, true, "password_used", "sentinelNoticePasswordUsed", null, event.getIpAddress());
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: could not tell an owner of a refused right password in realm %s: %s", event.getRealmId(),
                    e.toString());
        }
    }


    /** The user's known devices (damaged and expired entries dropped). */
    static KnownDevices devices(UserModel user, AlertSettings settings) {
        return DeviceRecognition.devices(user, settings);
    }

    static void store(UserModel user, KnownDevices devices) {
        DeviceRecognition.store(user, devices);
    }

    static String family(String s) {
        return DeviceRecognition.family(s);
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        // admin changes are recorded by Keycloak's admin events
    }

    @Override
    public void close() {
    }
}
