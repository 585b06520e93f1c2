package io.keycloaksentinel.core.incident;

import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.keycloak.models.UserModel;

/**
 * What a realm does, on its own, with the likely break-ins of an attack (the sign-ins from a new
 * device, a network new to the account and a source with no history, from {@code lookBackMinutes}
 * before the attack began to its end): {@code off} (the finder lists them, nothing else),
 * {@code notify} (their owners are told and asked to check) or {@code contain} (their sessions and
 * tokens end, the next sign-in needs a second proof, their owners are told). Stored as realm
 * attributes {@code sentinel.incident.<key>}.
 */
public record ContainmentSettings(String containment, int lookBackMinutes) {

    public static final String PREFIX = "sentinel.incident.";
    public static final String POLICY = "containment", LOOK_BACK = "lookBackMinutes";
    public static final String OFF = "off", NOTIFY = "notify", CONTAIN = "contain";

    /**
     * The user attribute of a contained account: until when (epoch millis) its next sign-in needs a
     * second proof. Removed by that proof, by a password reset, or when it expires.
     */
    public static final String MARK = "sentinel.contained";
    /** How long a contained account's mark lasts when its owner never signs in again. */
    public static final Duration MARK_LIFETIME = Duration.ofDays(30);

    public static final SettingsTable<ContainmentSettings> TABLE = SettingsTable.of(ContainmentSettings.class, PREFIX,
            Setting.oneOf(POLICY, OFF, OFF, NOTIFY, CONTAIN),
            Setting.integer(LOOK_BACK, 2, 1, 60));
    public static final ContainmentSettings DEFAULTS = TABLE.defaults();

    public static ContainmentSettings read(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute));
    }

    public boolean on() {
        return !OFF.equals(containment);
    }

    public boolean contains() {
        return CONTAIN.equals(containment);
    }

    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /**
     * Removes the account's mark (its owner proved it: a second proof, a new password); true when
     * there was one. A user whose attributes cannot be written keeps it (an expired mark asks nothing).
     */
    public static boolean release(UserModel user) {
        if (user.getFirstAttribute(MARK) == null) {
            return false;
        }
        try {
            user.removeAttribute(MARK);
            user.removeAttribute(UNTIL_NEW_PASSWORD);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Set beside {@link #MARK} when the break-in was made with a password the attackers know (a sprayed
     * one): the second proof does not release the account, a new password does, so an owner who
     * stops at the new-password page is asked the proof again, and the password alone never gets in.
     */
    public static final String UNTIL_NEW_PASSWORD = "sentinel.containedUntilNewPassword";

    /** Whether a contained account is released only by a new password (the break-in's password is the attackers'). */
    public static boolean untilNewPassword(UserModel user) {
        return user.getFirstAttribute(UNTIL_NEW_PASSWORD) != null;
    }

    /** Whether the account carries a containment mark that has not expired. */
    public static boolean contained(UserModel user, long nowMillis) {
        String v = user.getFirstAttribute(MARK);
        if (v == null) {
            return false;
        }
        try {
            return Long.parseLong(v.strip()) > nowMillis;
        } catch (NumberFormatException e) {
            return true; // a damaged mark still asks for the proof, which removes it
        }
    }
}
