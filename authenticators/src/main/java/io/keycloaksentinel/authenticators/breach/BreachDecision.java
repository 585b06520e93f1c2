package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.breach.source.BreachVerdict;
import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.breach.BreachSettings.LoginAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * What the breached-password check at login decides, from facts the check has gathered: no
 * Keycloak model, no page, no write.
 */
final class BreachDecision {

    /** An email-reset mail at most this often per user, so a stranger with the password cannot mail-bomb the owner. */
    static final Duration RESET_MAIL_INTERVAL = Duration.ofMinutes(15);

    private BreachDecision() {
    }

    /** Whether a password is checked at all: the check is on, and there is a user and a password. */
    static boolean checks(LoginAction action, boolean hasUser, String password) {
        return action != LoginAction.OFF && hasUser && password != null && !password.isEmpty();
    }

    /** What a verdict leads to: only a breached password is acted on (clean is remembered, unknown lets the login on). */
    static boolean actsOn(BreachVerdict.Outcome outcome) {
        return outcome == BreachVerdict.Outcome.BREACHED;
    }

    /** What a breached password at a browser login leads to. */
    enum Answer {
        /** counted and flagged only ({@code monitor}) */
        GO_ON,
        /** the login goes on to Keycloak's update-password action ({@code force-change}) */
        NEW_PASSWORD,
        /** refused like a wrong password; the owner is mailed a new-password link ({@code email-reset}) */
        REFUSE_AND_MAIL,
        /** the second proof with the user's authenticator app ({@code second-proof}) */
        PROOF_OTP,
        /** the second proof with a code mailed to the verified address ({@code second-proof}, no OTP) */
        PROOF_EMAIL,
        /** no second proof possible (no OTP, no verified address): refused */
        REFUSE_NO_PROOF
    }

    /**
     * The browser login's answer. The second proof is always Sentinel's own OTP step when the user
     * has OTP: whether a later OTP step of the flow runs for this login (conditions on roles, client
     * scopes, the requested level of authentication) cannot be known here, and trusting it would let
     * a client that asks for less skip the proof.
     */
    static Answer browser(LoginAction action, boolean hasOtp, boolean emailPossible) {
        return switch (action) {
            case MONITOR -> Answer.GO_ON;
            case FORCE_CHANGE -> Answer.NEW_PASSWORD;
            case EMAIL_RESET -> Answer.REFUSE_AND_MAIL;
            default -> hasOtp ? Answer.PROOF_OTP : emailPossible ? Answer.PROOF_EMAIL : Answer.REFUSE_NO_PROOF;
        };
    }

    /**
     * The password grant's answer: it has no pages, so no second proof and no password change; only
     * {@code monitor} lets it on, {@code email-reset} also mails the owner.
     */
    static Answer directGrant(LoginAction action) {
        return switch (action) {
            case MONITOR -> Answer.GO_ON;
            case EMAIL_RESET -> Answer.REFUSE_AND_MAIL;
            default -> Answer.REFUSE_NO_PROOF;
        };
    }

    /**
     * Whether a clean verdict stored on the user ({@code memo:day}) still stands: made for the same
     * password credential (the memo, compared in constant time) fewer than {@code recheckDays} ago.
     */
    static boolean rememberedClean(String stored, String memo, int recheckDays, long today) {
        if (stored == null) {
            return false;
        }
        int colon = stored.lastIndexOf(':');
        if (colon < 0 || !MessageDigest.isEqual(stored.substring(0, colon).getBytes(StandardCharsets.US_ASCII),
                memo.getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        return today - number(stored.substring(colon + 1)) < recheckDays;
    }

    /** Whether the owner may be mailed a new-password link now, the last one having gone at {@code lastMailedAt}. */
    static boolean mayMailReset(long lastMailedAt, long now) {
        return now - lastMailedAt >= RESET_MAIL_INTERVAL.toMillis();
    }

    /** A stored whole number; 0 when missing or damaged. */
    static long number(String v) {
        return SettingsValues.stored(v, Long.MIN_VALUE, Long.MAX_VALUE, 0);
    }
}
