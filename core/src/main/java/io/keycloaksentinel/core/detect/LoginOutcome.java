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
     * CAPTCHA switching itself off) and for the source address, never for its network (one host
     * posting cheap refusals must not throttle its neighbours) or the typed username (nothing
     * about the account was checked).
     */
    CAPTCHA_FAILED,
    /**
     * A password post refused by the risk decision before any lookup or hash (a throttled source,
     * or a source new to the account while the realm is under attack, on a path without a
     * CAPTCHA): counted like {@link #CAPTCHA_FAILED}, so that a held-off attack stays visible.
     */
    REFUSED;

    public boolean failed() {
        return this != SUCCESS;
    }

    /**
     * Whether the attempt has the botnet's signature for the burst rule: a username that does not
     * exist, or a post refused before any lookup (so a bot that ignores the CAPTCHA keeps it).
     */
    public boolean burstSignature() {
        return this == FAILURE_UNKNOWN_USER || this == CAPTCHA_FAILED || this == REFUSED;
    }
}
