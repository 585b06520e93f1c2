package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.mail.MailOutbox;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.events.Event;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.LoginActionsService;

/**
 * The mails of the new-device machinery: the alert for a new device (with its "this wasn't me" and
 * "yes, it was me" links) and the security notices (password, second factor, email changed; a right
 * password used in a refused sign-in). Each within its cluster-wide hourly budget per user, handed
 * to core's mail queue, sent after the commit ({@link MailOutbox}).
 */
final class SecurityMails {

    /** Security notices per user per hour, cluster-wide (an email flipped back and forth cannot mail any address at will). */
    static final int MAX_NOTICES_PER_HOUR = 5;
    /** "Your password was just used, and the sign-in refused": at most this many an hour per user. */
    static final int MAX_PASSWORD_USED_NOTICES_PER_HOUR = 2;
    static final Duration LINK_LIFETIME = Duration.ofHours(72);
    private static final Logger LOG = Logger.getLogger(SecurityMails.class);

    private final KeycloakSession session;

    SecurityMails(KeycloakSession session) {
        this.session = session;
    }

    /** What became of a new device's alert. */
    enum Alert { QUEUED, ALREADY_SENT, NO_ADDRESS, RATE_LIMITED }

    /**
     * Claims one of {@code max} slots of this hour for {@code what} of the user, cluster-wide;
     * false when all are taken.
     */
    private static boolean hourlySlot(AttackDetector detector, RealmModel realm, UserModel user, String what, int max) {
        return detector.keys().claimHourlySlot(realm.getId(), what + "-slot", user.getId(), max);
    }

    Alert newDevice(RealmModel realm, UserModel user, Event event, AttackDetector detector, String device,
                        String browser, String os, String ip, AlertSettings settings) {
        if (user.getEmail() == null || user.getEmail().isBlank()) {
            count("new_device", "no_address");
            return Alert.NO_ADDRESS;
        }
        // a bounded number per user per hour, then one alert per device (until the device is
        // forgotten: the generation changes), over the whole cluster. The hourly slot first: a
        // suppressed alert must not use up the device's one alert
        if (!hourlySlot(detector, realm, user, "alert", settings.maxAlertsPerHour())) {
            count("new_device", "rate_limited");
            LOG.debugf("Sentinel: new-device alert for user %s of realm '%s' suppressed (hourly limit)", user.getId(),
                    realm.getName());
            return Alert.RATE_LIMITED;
        }
        String generation = user.getFirstAttribute(DeviceRecognition.GENERATION_ATTRIBUTE);
        if (!detector.keys().claimOnce(realm.getId(), "alert-device|" + user.getId() + "|" + device + "|"
                + (generation == null ? "0" : generation), Duration.ofDays(settings.deviceDays()))) {
            return Alert.ALREADY_SENT;
        }
        Locale locale = session.getContext().resolveLocale(user);
        ClientModel client = event.getClientId() == null ? null : realm.getClientByClientId(event.getClientId());
        String clientName = client == null ? event.getClientId()
                : client.getName() != null && !client.getName().isBlank() ? client.getName() : client.getClientId();
        int expires = (int) (Time.currentTime() + LINK_LIFETIME.toSeconds());
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelWhen", DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withLocale(locale)
                .withZone(ZoneOffset.UTC).format(Instant.ofEpochMilli(event.getTime())) + " UTC");
        attributes.put("sentinelBrowser", browser);
        attributes.put("sentinelOs", os);
        attributes.put("sentinelIp", ip == null ? "" : ip);
        attributes.put("sentinelClient", clientName == null ? "" : clientName);
        // the links name the address the alert goes to, when it is verified: "this wasn't me" may restore it if
        // an intruder changed it since (an unverified address, perhaps the intruder's own, is never restored)
        String to = user.getEmail();
        String restorable = user.isEmailVerified() ? to : null;
        attributes.put("sentinelNotMeLink", link(realm, new DeviceActionToken(user.getId(), expires, device,
                DeviceActionToken.NOT_ME, restorable)));
        attributes.put("sentinelWasMeLink", link(realm, new DeviceActionToken(user.getId(), expires, device,
                DeviceActionToken.WAS_ME, restorable)));
        attributes.put("sentinelLinkHours", LINK_LIFETIME.toHours());
        queue(new MailOutbox.Mail("new_device", realm.getId(), user.getId(), to,
                "sentinelNewDeviceSubject", List.of(realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName()),
                "sentinel-new-device.ftl", attributes));
        return Alert.QUEUED;
    }

    /** Hands the mail to the server's queue (core's {@code sentinel-mail} provider), sent after the commit. */
    private void queue(MailOutbox.Mail mail) {
        Optional<MailOutbox> outbox = MailOutbox.of(session);
        if (outbox.isEmpty()) {
            count(mail.kind(), "dropped");
            LOG.warnf("Sentinel: no mail queue on this server; a %s mail of realm %s was dropped", mail.kind(), mail.realmId());
            return;
        }
        outbox.get().afterCommit(session, mail);
    }

    private String link(RealmModel realm, DeviceActionToken token) {
        return LoginActionsService.actionTokenProcessor(session.getContext().getUri())
                .queryParam("key", token.serialize(session, realm, session.getContext().getUri()))
                .build(realm.getName()).toString();
    }

    /** A security notice of {@code kind}, once per request and recipient. */
    void notice(RealmModel realm, UserModel user, boolean on, String kind, String messageKey, String toAddress) {
        String ip = session.getContext().getConnection() == null ? null : session.getContext().getConnection().getRemoteAddr();
        notice(realm, user, on, kind, messageKey, toAddress, ip);
    }

    void notice(RealmModel realm, UserModel user, boolean on, String kind, String messageKey, String toAddress,
                        String ip) {
        if (!on) {
            return;
        }
        String once = "sentinel.notice." + kind + "|" + (toAddress == null ? "" : toAddress);
        if (session.getAttribute(once) != null) {
            return; // Keycloak reports a password change as two events (UPDATE_PASSWORD and UPDATE_CREDENTIAL)
        }
        session.setAttribute(once, Boolean.TRUE);
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        // "your password was used" has a budget of its own: whoever holds the password could otherwise
        // spend the notice budget and silence the notices of a takeover's next steps
        boolean passwordUsed = "password_used".equals(kind);
        if (detection == null || !hourlySlot(detection.detector(), realm, user, passwordUsed ? "password-used" : "notice",
                passwordUsed ? MAX_PASSWORD_USED_NOTICES_PER_HOUR : MAX_NOTICES_PER_HOUR)) {
            count(kind, "rate_limited");
            LOG.debugf("Sentinel: a %s notice for user %s of realm '%s' suppressed (hourly limit)", kind, user.getId(),
                    realm.getName());
            return;
        }
        Locale locale = session.getContext().resolveLocale(user);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelWhen", DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withLocale(locale)
                .withZone(ZoneOffset.UTC).format(Instant.now()) + " UTC");
        attributes.put("sentinelWhat", messageKey);
        attributes.put("sentinelIp", ip == null ? "" : ip);
        queue(new MailOutbox.Mail(kind, realm.getId(), user.getId(), toAddress,
                messageKey + "Subject", List.of(realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName()),
                "sentinel-security-notice.ftl", attributes));
    }

    static void count(String kind, String outcome) {
        Counter.builder("sentinel_mail_total")
                .description("Sentinel's mails to users, by kind and outcome (sent, retried, failed, dropped)")
                .tag("kind", kind).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }
}
