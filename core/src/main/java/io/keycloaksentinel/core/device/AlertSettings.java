package io.keycloaksentinel.core.device;

import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
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
    public static final String NEW_DEVICE_ALERTS = "newDeviceAlerts", ALERT_FIRST_DEVICE = "alertFirstDevice",
            MAX_ALERTS_PER_HOUR = "maxAlertsPerHour", DEVICE_DAYS = "deviceDays", MAX_DEVICES = "maxDevices",
            NOT_ME_DISABLES_ACCOUNT = "notMeDisablesAccount", NOTIFY_PASSWORD_CHANGE = "notifyPasswordChange",
            NOTIFY_MFA_CHANGE = "notifyMfaChange", NOTIFY_EMAIL_CHANGE = "notifyEmailChange";

    /** The declarations this record is read, shown, checked and written from ({@link SettingsTable#write} stores an update). */
    public static final SettingsTable<AlertSettings> TABLE = SettingsTable.of(AlertSettings.class, PREFIX,
            Setting.flag(NEW_DEVICE_ALERTS, false),
            Setting.flag(ALERT_FIRST_DEVICE, false),
            Setting.integer(MAX_ALERTS_PER_HOUR, 3, 1, 100),
            Setting.integer(DEVICE_DAYS, 90, 1, 3650),
            Setting.integer(MAX_DEVICES, 10, 1, 50),
            Setting.flag(NOT_ME_DISABLES_ACCOUNT, false),
            Setting.flag(NOTIFY_PASSWORD_CHANGE, false),
            Setting.flag(NOTIFY_MFA_CHANGE, false),
            Setting.flag(NOTIFY_EMAIL_CHANGE, false));
    public static final List<String> KEYS = TABLE.keys();
    public static final AlertSettings DEFAULTS = TABLE.defaults();

    /** Whether any of it is on (the listener does nothing for a realm where nothing is). */
    public boolean anyOn() {
        return newDeviceAlerts || notifyPasswordChange || notifyMfaChange || notifyEmailChange;
    }

    public long deviceTtlMillis() {
        return deviceDays * 24L * 3600 * 1000;
    }

    public static AlertSettings read(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute));
    }

    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /** Validates a partial update (null restores a default); a 400 message names the field. */
    public static Map<String, String> validateUpdate(Map<String, Object> update) {
        return TABLE.validateUpdate(update);
    }
}
