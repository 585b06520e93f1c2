package io.keycloaksentinel.core.device;

import java.util.Collection;

/**
 * Whether "this wasn't me" disables the account, beyond ending its sessions and removing its
 * stored password. Removing the password is not enough when the intruder keeps another way in:
 * a password that lives in a federated store (LDAP) and cannot be removed here, or a credential
 * other than a password (an authenticator app, a passkey) created since the intruder's device was
 * first seen. Then only a disabled account (an admin re-enables it) locks the intruder out.
 */
public final class NotMeLockout {

    /** A stored credential: its type ("password", "otp", "webauthn-passwordless", ...) and creation time (null: unknown). */
    public record Credential(String type, Long createdMillis) {
    }

    private NotMeLockout() {
    }

    /**
     * @param realmDisables the realm's {@code notMeDisablesAccount}
     * @param federated     the user is linked to a user-storage provider (their password is kept there)
     * @param credentials   the user's stored credentials
     * @param sinceMillis   from when a new credential counts as the intruder's: the device's first
     *                      sighting minus the longest a login may take (a credential set up during the
     *                      intruder's login, e.g. a required action, is created before the login completes)
     */
    public static boolean disable(boolean realmDisables, boolean federated, Collection<Credential> credentials,
                                  long sinceMillis) {
        return realmDisables || federated || addedSince(credentials, sinceMillis);
    }

    /** Whether any credential other than a password was created at or after {@code sinceMillis} (unknown times count). */
    public static boolean addedSince(Collection<Credential> credentials, long sinceMillis) {
        if (credentials == null) {
            return false;
        }
        return credentials.stream().anyMatch(c -> c != null && !"password".equals(c.type())
                && !"password-history".equals(c.type())
                && (c.createdMillis() == null || c.createdMillis() >= sinceMillis));
    }
}
