package io.keycloaksentinel.core.risk;

/** What the steps put on Keycloak's events for the listeners (server-side only; never in an answer). */
public final class RiskEvents {

    /**
     * On a {@code LOGIN_ERROR}: the password was right, and the login was refused after it (a
     * second factor missing on the password grant, a breached password). The security-notice
     * listener tells the owner.
     */
    public static final String PASSWORD_VERIFIED = "sentinel_password_verified";

    /** With {@link #PASSWORD_VERIFIED}: why the login was refused after the right password (server-side only). */
    public static final String REFUSED_BECAUSE = "sentinel_refused_because";

    /**
     * On a {@code LOGIN}: this sign-in completed a second proof (a second factor, an emailed code or
     * link) in Sentinel's MFA step. The device listener then counts the browser as a known device
     * even when it was recognised only by its look-alike signals.
     */
    public static final String SECOND_PROOF = "sentinel_second_proof";

    private RiskEvents() {
    }
}
