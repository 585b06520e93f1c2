package io.keycloaksentinel.core.device;

import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.net.IpAddresses;
import java.util.Optional;
import org.keycloak.common.util.Time;
import org.keycloak.device.DeviceRepresentationProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.representations.account.DeviceRepresentation;

/**
 * What a request says about the browser it comes from (Sentinel's signed device cookie, browser and
 * OS family, /24 or /64 network), and whether that is one of a user's known devices. Shared by the
 * new-device alerts (which keep the list) and the MFA step (which asks about it before the login
 * completes).
 *
 * @param deviceId the device id from a valid cookie of this realm, if any
 */
public record DeviceRecognition(DeviceCookie cookies, Optional<String> deviceId, String browser, String os,
                                String network) {

    /** The user attribute holding the known devices. */
    public static final String DEVICES_ATTRIBUTE = "sentinel.devices";
    /**
     * Set once the account has had a device, never removed: an account whose devices all expired
     * (a dormant one) or were forgotten is not a new account.
     */
    public static final String DEVICES_SEEN_ATTRIBUTE = "sentinel.devicesSeen";
    /** Changes whenever a device is forgotten, so that a forgotten device alerts again. */
    public static final String GENERATION_ATTRIBUTE = "sentinel.devicesForgotten";

    /** @param cookieValue the request's {@value DeviceCookie#NAME} cookie, or null */
    public static DeviceRecognition observe(KeycloakSession session, RealmModel realm, AttackDetector detector,
                                            String cookieValue, String ip) {
        DeviceCookie cookies = cookies(detector, realm.getId());
        Optional<String> deviceId = cookies.verify(cookieValue);
        if (deviceId.isEmpty() && DeviceCookie.wellFormed(cookieValue) && detector.keys().refreshSigning(realm.getId())) {
            // signed by another node with a key rotated a moment ago, which this node had not read yet
            cookies = cookies(detector, realm.getId());
            deviceId = cookies.verify(cookieValue);
        }
        DeviceRepresentationProvider reps = session.getProvider(DeviceRepresentationProvider.class);
        DeviceRepresentation rep = reps == null ? null : reps.deviceRepresentation();
        String network = IpAddresses.parse(ip).map(a -> IpAddresses.network(a, 24, 64)).orElse("");
        return new DeviceRecognition(cookies, deviceId, family(rep == null ? null : rep.getBrowser()),
                family(rep == null ? null : rep.getOs()), network);
    }

    /**
     * The realm's device cookies: signed with the current key (the one before a rotation still
     * verifies during its grace period); the ids a user's list stores keyed with the realm's root
     * key, which a rotation never changes.
     */
    private static DeviceCookie cookies(AttackDetector detector, String realmId) {
        return new DeviceCookie(detector.keys().derivedKey(realmId, "device-cookie"),
                detector.keys().previousDerivedKey(realmId, "device-cookie"),
                detector.keys().stableKey(realmId, "device-cookie"), realmId);
    }

    /** The cookie's id as stored in the user's list (null without a valid cookie). */
    public String storedId() {
        return deviceId.map(cookies::storedId).orElse(null);
    }

    public KnownDevices.Match match(KnownDevices known) {
        return known.match(storedId(), browser, os, network);
    }

    /** The user's known devices (damaged and expired entries dropped). */
    public static KnownDevices devices(UserModel user, AlertSettings settings) {
        return KnownDevices.decodeAll(user.getFirstAttribute(DEVICES_ATTRIBUTE), Time.currentTimeMillis(),
                settings.deviceTtlMillis());
    }

    /** Stores the user's list of known devices (an empty list removes the attribute). */
    public static void store(UserModel user, KnownDevices devices) {
        if (devices.isEmpty()) {
            user.removeAttribute(DEVICES_ATTRIBUTE);
        } else {
            user.setSingleAttribute(DEVICES_ATTRIBUTE, devices.encodeAll());
        }
    }

    /** Stores the list without {@code storedId}, which will alert again when it next signs in. */
    public static void forget(UserModel user, KnownDevices devices, String storedId) {
        store(user, devices.forget(storedId));
        user.setSingleAttribute(GENERATION_ATTRIBUTE, Long.toString(Time.currentTimeMillis()));
    }

    /**
     * Forgets the devices first seen at or after {@code sinceMillis} (those a likely break-in may have
     * added: containment), so that none of them lowers a risk again, and each alerts again when it next
     * signs in; the number forgotten.
     */
    public static int forgetSince(UserModel user, AlertSettings settings, long sinceMillis) {
        KnownDevices known = devices(user, settings);
        KnownDevices kept = known.firstSeenBefore(sinceMillis);
        int forgotten = known.devices().size() - kept.devices().size();
        if (forgotten > 0) {
            store(user, kept);
            // a new generation, as for a device forgotten by its owner: the device alerts again when it comes back
            user.setSingleAttribute(GENERATION_ATTRIBUTE, Long.toString(Time.currentTimeMillis()));
        }
        return forgotten;
    }

    /** Whether the account has ever had a device recorded. */
    public static boolean hasHistory(UserModel user) {
        return user.getFirstAttribute(DEVICES_SEEN_ATTRIBUTE) != null;
    }

    /** "Chrome/120.0.1" to "Chrome"; a missing or overlong value to "Unknown". */
    public static String family(String s) {
        if (s == null || s.isBlank() || s.length() > 256) {
            return "Unknown";
        }
        int slash = s.indexOf('/');
        return (slash > 0 ? s.substring(0, slash) : s).strip();
    }
}
