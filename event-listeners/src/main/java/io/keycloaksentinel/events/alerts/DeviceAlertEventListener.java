package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.risk.RiskEvents;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceCookie;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.mail.MailOutbox;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.NewCookie;
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
import org.keycloak.common.util.Encode;
import org.keycloak.common.util.Time;
import org.keycloak.events.Details;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.LoginActionsService;

/**
 * New-device alerts and security notifications, for every realm that turns them on
 * ({@link AlertSettings}). On a successful login it recognises the device by Sentinel's signed
 * device cookie, or, when the cookie is missing, by the same browser family, OS family and
 * network as a known device; an unknown device is remembered and, unless it is the account's
 * first, its owner gets one mail (at most one per device and {@code maxAlertsPerHour} per user,
 * counted cluster-wide) with "this wasn't me" and "yes, it was me" links. Password, second-factor
 * and email changes get a notice (an email change to the old address too). Mails go out after the
 * commit, off the request thread ({@link MailOutbox}); nothing here can fail a login.
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
    /** Security notices per user per hour, cluster-wide (an email flipped back and forth cannot mail any address at will). */
    static final int MAX_NOTICES_PER_HOUR = 5;
    /** "Your password was just used, and the sign-in refused": at most this many an hour per user. */
    static final int MAX_PASSWORD_USED_NOTICES_PER_HOUR = 2;
    static final Duration LINK_LIFETIME = Duration.ofHours(72);
    /** A known device's last-seen time is written at most this often (not at every login). */
    static final Duration TOUCH_INTERVAL = Duration.ofHours(1);
    private static final Logger LOG = Logger.getLogger(DeviceAlertEventListener.class);

    private final KeycloakSession session;

    DeviceAlertEventListener(KeycloakSession session) {
        this.session = session;
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
            // the MFA step reads the device history too (risky enrollment, unknown-device step-up)
            boolean track = !settings.newDeviceAlerts() && event.getType() == EventType.LOGIN
                    && MfaSettings.tracksDevices(realm::getAttribute);
            if (!settings.anyOn() && !track) {
                return;
            }
            UserModel user = session.users().getUserById(realm, event.getUserId());
            if (user == null) {
                return;
            }
            switch (event.getType()) {
                case LOGIN -> {
                    if (settings.newDeviceAlerts() || track) {
                        login(realm, user, event, settings, settings.newDeviceAlerts());
                    }
                }
                case UPDATE_PASSWORD, RESET_PASSWORD -> notice(realm, user, settings.notifyPasswordChange(), "password_changed",
                        "sentinelNoticePasswordChanged", null);
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

    private void login(RealmModel realm, UserModel user, Event event, AlertSettings settings, boolean alerts) {
        HttpRequest request = session.getContext().getHttpRequest();
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (request == null || detection == null) {
            return;
        }
        AttackDetector detector = detection.detector();
        String ip = event.getIpAddress();
        Cookie sent = request.getHttpHeaders().getCookies().get(DeviceCookie.NAME);
        DeviceRecognition seen = DeviceRecognition.observe(session, realm, detector, sent == null ? null : sent.getValue(), ip);
        DeviceCookie cookies = seen.cookies();
        Optional<String> deviceId = seen.deviceId();
        String browser = seen.browser();
        String os = seen.os();
        String network = seen.network();
        long now = Time.currentTimeMillis();

        KnownDevices known = devices(user, settings);
        boolean seenBefore = user.getFirstAttribute(DEVICES_SEEN_ATTRIBUTE) != null;
        String storedId = deviceId.map(cookies::storedId).orElse(null);
        switch (known.match(storedId, browser, os, network)) {
            case COOKIE -> {
                KnownDevices.Device d = known.byId(storedId).orElseThrow();
                if (now - d.lastSeen() > TOUCH_INTERVAL.toMillis() || !d.network().equals(network)) {
                    tryWrite(realm, user, () -> store(user, known.seen(new KnownDevices.Device(d.id(), browser, os, network,
                            d.firstSeen(), now, d.trusted()), settings.maxDevices())));
                }
                if (!seenBefore) {
                    tryWrite(realm, user, () -> markSeen(user)); // an account from before the marker
                }
            }
            case SIGNALS -> {
                // the same browser family, OS family and network without its cookie (cleared): no alert, but an
                // entry of its own, untrusted; the device it resembles keeps its id and trust
                String id = DeviceCookie.newId();
                setCookie(realm, request, cookies.value(id), settings);
                tryWrite(realm, user, () -> {
                    store(user, known.seenBySignals(cookies.storedId(id), browser, os, network, now, settings.maxDevices()));
                    if (!seenBefore) {
                        markSeen(user);
                    }
                });
            }
            case UNKNOWN -> {
                // a valid cookie of another account on this browser keeps its id: one id per browser
                String id = deviceId.orElseGet(DeviceCookie::newId);
                if (deviceId.isEmpty()) {
                    setCookie(realm, request, cookies.value(id), settings);
                }
                String newStored = cookies.storedId(id);
                KnownDevices withNew = known.seen(new KnownDevices.Device(newStored, browser, os, network, now, now, false),
                        settings.maxDevices());
                if (!alerts || (known.isFirstDevice(seenBefore) && !settings.alertFirstDevice())) {
                    tryWrite(realm, user, () -> {
                        store(user, withNew);
                        markSeen(user);
                    });
                    return;
                }
                // the device is remembered unless its alert was suppressed by the hourly limit: then its next
                // sign-in tries again, and a burst of new devices cannot hide one from the owner for good
                if (!tryWrite(realm, user, () -> {
                    if (!seenBefore) {
                        markSeen(user);
                    }
                })) {
                    return; // the user's attributes cannot be written (read-only federation): no alert state
                }
                if (alert(realm, user, event, detector, newStored, browser, os, ip, settings) != Alert.RATE_LIMITED) {
                    tryWrite(realm, user, () -> store(user, withNew));
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /** What became of a new device's alert. */
    private enum Alert { QUEUED, ALREADY_SENT, NO_ADDRESS, RATE_LIMITED }

    /**
     * Writes the user's alert state, failing soft: a user whose attributes cannot be written (a
     * read-only LDAP user: {@code ReadOnlyException}) signs in as always, without alert state.
     */
    private static boolean tryWrite(RealmModel realm, UserModel user, Runnable write) {
        try {
            write.run();
            return true;
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: device state of user %s of realm '%s' not written (%s); no new-device alert state",
                    user.getId(), realm.getName(), e.toString());
            return false;
        }
    }

    private static void markSeen(UserModel user) {
        user.setSingleAttribute(DEVICES_SEEN_ATTRIBUTE, "true");
    }

    /**
     * Claims one of {@code max} slots of this hour for {@code what} of the user, cluster-wide;
     * false when all are taken.
     */
    private static boolean hourlySlot(AttackDetector detector, RealmModel realm, UserModel user, String what, int max) {
        return detector.keys().claimHourlySlot(realm.getId(), what + "-slot", user.getId(), max);
    }

    private Alert alert(RealmModel realm, UserModel user, Event event, AttackDetector detector, String device,
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
        String generation = user.getFirstAttribute(GENERATION_ATTRIBUTE);
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
        attributes.put("sentinelNotMeLink", link(realm, new DeviceActionToken(user.getId(), expires, device, DeviceActionToken.NOT_ME)));
        attributes.put("sentinelWasMeLink", link(realm, new DeviceActionToken(user.getId(), expires, device, DeviceActionToken.WAS_ME)));
        attributes.put("sentinelLinkHours", LINK_LIFETIME.toHours());
        queue(new MailOutbox.Mail("new_device", realm.getId(), user.getId(), null,
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

    private void credential(RealmModel realm, UserModel user, Event event, AlertSettings settings) {
        String type = event.getDetails() == null ? null : event.getDetails().get(Details.CREDENTIAL_TYPE);
        boolean removed = event.getType() == EventType.REMOVE_CREDENTIAL || event.getType() == EventType.REMOVE_TOTP;
        if (event.getType() == EventType.UPDATE_TOTP || event.getType() == EventType.REMOVE_TOTP) {
            type = "otp";
        }
        if ("password".equals(type) && !removed) {
            notice(realm, user, settings.notifyPasswordChange(), "password_changed", "sentinelNoticePasswordChanged", null);
        } else if (type != null && !"password".equals(type)) {
            notice(realm, user, settings.notifyMfaChange(), removed ? "mfa_removed" : "mfa_added",
                    removed ? "sentinelNoticeMfaRemoved" : "sentinelNoticeMfaAdded", null);
        }
    }

    private void email(RealmModel realm, UserModel user, Event event, AlertSettings settings) {
        Map<String, String> d = event.getDetails() == null ? Map.of() : event.getDetails();
        String previous = d.get(Details.PREVIOUS_EMAIL);
        notice(realm, user, settings.notifyEmailChange(), "email_changed", "sentinelNoticeEmailChanged", null);
        if (previous != null && !previous.equalsIgnoreCase(user.getEmail() == null ? "" : user.getEmail())) {
            // the old address learns of the change: if it was not its owner, they can react
            notice(realm, user, settings.notifyEmailChange(), "email_changed", "sentinelNoticeEmailChanged", previous);
        }
    }

    /**
     * A login refused after a right password (a second factor missing on the password grant, a
     * breached password): the answer said "wrong password", so the owner is told here, within a
     * budget of its own ({@value #MAX_PASSWORD_USED_NOTICES_PER_HOUR} an hour). Needs the realm's SMTP
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
            notice(realm, user, true, "password_used", "sentinelNoticePasswordUsed", null, event.getIpAddress());
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: could not tell an owner of a refused right password in realm %s: %s", event.getRealmId(),
                    e.toString());
        }
    }

    /** A security notice of {@code kind}, once per request and recipient. */
    private void notice(RealmModel realm, UserModel user, boolean on, String kind, String messageKey, String toAddress) {
        String ip = session.getContext().getConnection() == null ? null : session.getContext().getConnection().getRemoteAddr();
        notice(realm, user, on, kind, messageKey, toAddress, ip);
    }

    private void notice(RealmModel realm, UserModel user, boolean on, String kind, String messageKey, String toAddress,
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

    private void setCookie(RealmModel realm, HttpRequest request, String value, AlertSettings settings) {
        boolean secure = "https".equalsIgnoreCase(request.getUri().getRequestUri().getScheme());
        session.getContext().getHttpResponse().setCookieIfAbsent(new NewCookie.Builder(DeviceCookie.NAME)
                .value(value)
                .path(cookiePath(realm))
                .maxAge((int) Math.min(Integer.MAX_VALUE, settings.deviceTtlMillis() / 1000))
                .httpOnly(true)
                .secure(secure)
                .sameSite(NewCookie.SameSite.LAX)
                .build());
    }

    /**
     * The realm's path under this server's base URI, which includes any {@code http-relative-path}
     * ("/auth/realms/my%20realm/").
     */
    private String cookiePath(RealmModel realm) {
        String base = session.getContext().getUri().getBaseUri().getRawPath();
        if (base == null || base.isEmpty()) {
            base = "/";
        } else if (!base.endsWith("/")) {
            base = base + "/";
        }
        return base + "realms/" + Encode.encodePathSegmentAsIs(realm.getName()) + "/";
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

    private static void count(String kind, String outcome) {
        Counter.builder("sentinel_mail_total")
                .description("Sentinel's mails to users, by kind and outcome (sent, retried, failed, dropped)")
                .tag("kind", kind).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        // admin changes are recorded by Keycloak's admin events
    }

    @Override
    public void close() {
    }
}
