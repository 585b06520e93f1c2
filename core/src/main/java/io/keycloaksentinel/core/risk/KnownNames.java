package io.keycloaksentinel.core.risk;

import org.keycloak.models.RealmModel;

/**
 * Under which names an account's known networks are remembered and read. The username always
 * (unique in the realm). The email only where it is a name nobody else can hold: the realm lets
 * users sign in with it and refuses duplicate emails (then Keycloak also refuses a username equal
 * to another user's email). Elsewhere another account could carry the victim's email (or a
 * username equal to it) and, by signing in to its own account from a botnet's networks, make
 * those networks "known" for the victim.
 */
public final class KnownNames {

    private KnownNames() {
    }

    public static boolean emailIsAName(RealmModel realm) {
        return realm.isLoginWithEmailAllowed() && !realm.isDuplicateEmailsAllowed();
    }
}
