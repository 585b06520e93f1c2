package io.keycloaksentinel.core.detect;

/** What a login attempt came to, as far as counting goes. */
public enum LoginOutcome {
    SUCCESS,
    /** A wrong password (or a locked account) for a username that exists. */
    FAILURE,
    /** A username that does not exist: the botnet's most common attempt. */
    FAILURE_UNKNOWN_USER,
    /**
     * A form post refused because its CAPTCHA answer was missing or wrong: counted for the realm
     * (so an attack that the CAPTCHA holds off keeps the realm under attack, instead of the
     * CAPTCHA switching itself off) and for the source address and network, never for the
     * typed username (nothing about the account was checked).
     */
    CAPTCHA_FAILED;

    public boolean failed() {
        return this != SUCCESS;
    }
}
