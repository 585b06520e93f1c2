package io.keycloaksentinel.core.detect;

/** What a login attempt came to, as far as counting goes. */
public enum LoginOutcome {
    SUCCESS,
    /** A wrong password (or a locked account) for a username that exists. */
    FAILURE,
    /** A username that does not exist: the botnet's most common attempt. */
    FAILURE_UNKNOWN_USER;

    public boolean failed() {
        return this != SUCCESS;
    }
}
