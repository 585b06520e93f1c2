package io.keycloaksentinel.core.risk;

import java.util.Locale;

/**
 * One spelling of a typed username, so that every way of writing one name counts as that name.
 * Keycloak's login forms {@code trim()} the typed name (which drops every character up to
 * U+0020 at both ends, control characters included) and look names up case-insensitively:
 * {@code "\u0001alice"}, {@code " alice"} and {@code "ALICE"} all sign in as alice. Sentinel
 * counts the same: trimmed as Keycloak does, then Unicode white space, then lower case. A
 * control character left inside the name is refused before any lookup (no real name has one).
 */
public final class Usernames {

    private Usernames() {
    }

    /** The name as Sentinel counts it; null for null or a name that is empty once trimmed. */
    public static String canonical(String typed) {
        if (typed == null) {
            return null;
        }
        String s = typed.trim().strip();
        return s.isEmpty() ? null : s.toLowerCase(Locale.ROOT);
    }

    /** Whether a control character (Unicode category Cc, or a line/paragraph separator) is left inside the trimmed name. */
    public static boolean hasControlCharacters(String typed) {
        if (typed == null) {
            return false;
        }
        String s = typed.trim();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }
}
