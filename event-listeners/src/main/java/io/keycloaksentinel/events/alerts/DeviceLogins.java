package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceCookie;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.risk.RiskEvents;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.NewCookie;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Encode;
import org.keycloak.common.util.Time;
import org.keycloak.events.Event;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * A successful login's device: recognised by Sentinel's signed device cookie, or, when the cookie is
 * missing, by the same browser family, OS family and network as a known device. An unknown device
 * is remembered (and gets a cookie) and, unless it is the account's first, its owner is mailed
 * ({@link SecurityMails#newDevice}); a known one has its last-seen time refreshed now and then.
 * Nothing here fails a login: a user whose attributes cannot be written signs in without alert state.
 */
final class DeviceLogins {

    /** A known device's last-seen time is written at most this often (not at every login). */
    static final Duration TOUCH_INTERVAL = Duration.ofHours(1);
    private static final Logger LOG = Logger.getLogger(DeviceLogins.class);

    private final KeycloakSession session;
    private final SecurityMails mails;

    DeviceLogins(KeycloakSession session, SecurityMails mails) {
        this.session = session;
        this.mails = mails;
    }

    /** Recognises, remembers and (with {@code alerts}) alerts a login's device; true when the device was new to the account. */
    boolean login(RealmModel realm, UserModel user, Event event, AlertSettings settings, boolean alerts) {
        HttpRequest request = session.getContext().getHttpRequest();
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (request == null || detection == null) {
            return false;
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

        KnownDevices known = DeviceRecognition.devices(user, settings);
        boolean seenBefore = user.getFirstAttribute(DeviceRecognition.DEVICES_SEEN_ATTRIBUTE) != null;
        String storedId = deviceId.map(cookies::storedId).orElse(null);
        // a second proof completed in this sign-in (Sentinel's MFA step says so on the event)
        boolean proven = event.getDetails() != null && "true".equals(event.getDetails().get(RiskEvents.SECOND_PROOF));
        // a cookie signed with the realm's key from before a rotation (still in its grace period) is signed anew
        boolean resign = sent != null && cookies.signedWithPreviousKey(sent.getValue());
        switch (known.match(storedId, browser, os, network)) {
            case COOKIE, UNPROVEN -> {
                if (resign) {
                    setCookie(realm, request, cookies.value(deviceId.orElseThrow()), settings);
                }
                KnownDevices.Device d = known.byId(storedId).orElseThrow();
                boolean nowProven = d.lookAlike() && proven;
                if (nowProven || now - d.lastSeen() > TOUCH_INTERVAL.toMillis() || !d.network().equals(network)) {
                    tryWrite(realm, user, () -> DeviceRecognition.store(user, known.seen(new KnownDevices.Device(d.id(), browser, os, network,
                            d.firstSeen(), now, d.trusted(), d.lookAlike() && !proven), settings.maxDevices())));
                }
                if (!seenBefore) {
                    tryWrite(realm, user, () -> markSeen(user)); // an account from before the marker
                }
            }
            case SIGNALS -> {
                // the same browser family, OS family and network without its cookie (cleared): no alert, but an
                // entry of its own, untrusted, and a look-alike (never a known device for a risk decision) until a
                // second proof or the owner proves it; the device it resembles keeps its id and trust
                String id = DeviceCookie.newId();
                setCookie(realm, request, cookies.value(id), settings);
                tryWrite(realm, user, () -> {
                    DeviceRecognition.store(user, known.seenBySignals(cookies.storedId(id), browser, os, network, now,
                            settings.maxDevices(), proven));
                    if (!seenBefore) {
                        markSeen(user);
                    }
                });
            }
            case UNKNOWN -> {
                // a valid cookie of another account on this browser keeps its id: one id per browser
                String id = deviceId.orElseGet(DeviceCookie::newId);
                if (deviceId.isEmpty() || resign) {
                    setCookie(realm, request, cookies.value(id), settings);
                }
                String newStored = cookies.storedId(id);
                KnownDevices withNew = known.seen(new KnownDevices.Device(newStored, browser, os, network, now, now, false),
                        settings.maxDevices());
                if (!alerts || (known.isFirstDevice(seenBefore) && !settings.alertFirstDevice())) {
                    tryWrite(realm, user, () -> {
                        DeviceRecognition.store(user, withNew);
                        markSeen(user);
                    });
                    return true;
                }
                // the device is remembered unless its alert was suppressed by the hourly limit: then its next
                // sign-in tries again, and a burst of new devices cannot hide one from the owner for good
                if (!tryWrite(realm, user, () -> {
                    if (!seenBefore) {
                        markSeen(user);
                    }
                })) {
                    return true; // the user's attributes cannot be written (read-only federation): no alert state
                }
                if (mails.newDevice(realm, user, event, detector, newStored, browser, os, ip, settings)
                        != SecurityMails.Alert.RATE_LIMITED) {
                    tryWrite(realm, user, () -> DeviceRecognition.store(user, withNew));
                }
                return true;
            }
            default -> throw new IllegalStateException();
        }
        return false;
    }

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
        user.setSingleAttribute(DeviceRecognition.DEVICES_SEEN_ATTRIBUTE, "true");
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
}
