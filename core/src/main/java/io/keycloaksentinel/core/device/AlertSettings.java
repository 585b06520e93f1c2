package io.keycloaksentinel.core.device;

import io.keycloaksentinel.core.SettingsValues;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A realm's new-device alert and security-notification settings, stored as realm attributes
 * {@code sentinel.alerts.<key>} (the Sentinel admin REST writes them). Everything that mails users
 * is off until the realm's admin turns it on: installing the JAR does not start mailing anyone.
 */
public record AlertSettings(boolean newDeviceAlerts, boolean alertFirstDevice, int maxAlertsPerHour, int deviceDays,
                            int maxDevices, boolean notMeDisablesAccount, boolean notifyPasswordChange,
                            boolean notifyMfaChange, boolean notifyEmailChange) {

    public static final String PREFIX = "sentinel.alerts.";
    public static final String NEW_DEVICE_ALERTS = "newDeviceAlerts";
    public static final String ALERT_FIRST_DEVICE = "alertFirstDevice";
    public static final String MAX_ALERTS_PER_HOUR = "maxAlertsPerHour";
    public static final String DEVICE_DAYS = "deviceDays";
    public static final String MAX_DEVICES = "maxDevices";
    public static final String NOT_ME_DISABLES_ACCOUNT = "notMeDisablesAccount";
    public static final String NOTIFY_PASSWORD_CHANGE = "notifyPasswordChange";
    public static final String NOTIFY_MFA_CHANGE = "notifyMfaChange";
    public static final String NOTIFY_EMAIL_CHANGE = "notifyEmailChange";
    public static final List<String> KEYS = List.of(NEW_DEVICE_ALERTS, ALERT_FIRST_DEVICE, MAX_ALERTS_PER_HOUR,
            DEVICE_DAYS, MAX_DEVICES, NOT_ME_DISABLES_ACCOUNT, NOTIFY_PASSWORD_CHANGE, NOTIFY_MFA_CHANGE,
            NOTIFY_EMAIL_CHANGE);
    private static final List<String> BOOLEANS = List.of(NEW_DEVICE_ALERTS, ALERT_FIRST_DEVICE, NOT_ME_DISABLES_ACCOUNT,
            NOTIFY_PASSWORD_CHANGE, NOTIFY_MFA_CHANGE, NOTIFY_EMAIL_CHANGE);

    public static final AlertSettings DEFAULTS = new AlertSettings(false, false, 3, 90, 10, false, false, false, false);

    /** Whether any of it is on (the listener does nothing for a realm where nothing is). */
    public boolean anyOn() {
        return newDeviceAlerts || notifyPasswordChange || notifyMfaChange || notifyEmailChange;
    }

    public long deviceTtlMillis() {
        return deviceDays * 24L * 3600 * 1000;
    }

    public static AlertSettings read(Function<String, String> attribute) {
        Function<String, String> v = key -> attribute.apply(PREFIX + key);
        AlertSettings d = DEFAULTS;
        return new AlertSettings(
                "true".equals(v.apply(NEW_DEVICE_ALERTS)),
                "true".equals(v.apply(ALERT_FIRST_DEVICE)),
                (int) SettingsValues.stored(v.apply(MAX_ALERTS_PER_HOUR), 1, 100, d.maxAlertsPerHour()),
                (int) SettingsValues.stored(v.apply(DEVICE_DAYS), 1, 3650, d.deviceDays()),
                (int) SettingsValues.stored(v.apply(MAX_DEVICES), 1, 50, d.maxDevices()),
                "true".equals(v.apply(NOT_ME_DISABLES_ACCOUNT)),
                "true".equals(v.apply(NOTIFY_PASSWORD_CHANGE)),
                "true".equals(v.apply(NOTIFY_MFA_CHANGE)),
                "true".equals(v.apply(NOTIFY_EMAIL_CHANGE)));
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(NEW_DEVICE_ALERTS, newDeviceAlerts);
        m.put(ALERT_FIRST_DEVICE, alertFirstDevice);
        m.put(MAX_ALERTS_PER_HOUR, maxAlertsPerHour);
        m.put(DEVICE_DAYS, deviceDays);
        m.put(MAX_DEVICES, maxDevices);
        m.put(NOT_ME_DISABLES_ACCOUNT, notMeDisablesAccount);
        m.put(NOTIFY_PASSWORD_CHANGE, notifyPasswordChange);
        m.put(NOTIFY_MFA_CHANGE, notifyMfaChange);
        m.put(NOTIFY_EMAIL_CHANGE, notifyEmailChange);
        return m;
    }

    /** Validates a partial update (null restores a default); a 400 message names the field. */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
        SettingsValues.checkKeys(update, KEYS);
        Map<String, String> out = new LinkedHashMap<>();
        update.forEach((key, value) -> {
            if (value == null) {
                out.put(key, null);
            } else if (BOOLEANS.contains(key)) {
                if (!(value instanceof Boolean b)) {
                    throw new IllegalArgumentException(key + " must be true or false");
                }
                out.put(key, b.toString());
            } else {
                long max = switch (key) {
                    case MAX_ALERTS_PER_HOUR -> 100;
                    case DEVICE_DAYS -> 3650;
                    default -> 50;
                };
                out.put(key, Long.toString(SettingsValues.integer(key, value, 1, max)));
            }
        });
        return out;
    }
}
