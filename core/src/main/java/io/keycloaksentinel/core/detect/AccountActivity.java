package io.keycloaksentinel.core.detect;

import java.util.Locale;

/**
 * Account events other than logins that attacks come in bursts of: sign-ups (fake accounts,
 * enumeration through the registration form) and password-reset requests (enumeration, mail
 * floods). Counted per realm (1 min, 24 h) and, for the requests, per address and network (15 min).
 */
public enum AccountActivity {
    REGISTERED(Kind.REGISTRATION),
    /** An address typed into Sentinel's email-first sign-up step (new or already registered: counted alike). */
    REGISTRATION_REQUESTED(Kind.REGISTRATION),
    REGISTRATION_FAILED(Kind.REGISTRATION),
    RESET_REQUESTED(Kind.RESET),
    /** A reset asked for a username or email that does not exist. */
    RESET_UNKNOWN_USER(Kind.RESET),
    RESET_REQUEST_FAILED(Kind.RESET),
    PASSWORD_RESET(null),
    CREDENTIAL_UPDATED(null);

    /** Which request family an activity counts towards per address; none for completed changes. */
    public enum Kind { REGISTRATION, RESET }

    private final Kind kind;

    AccountActivity(Kind kind) {
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The lower-case name used in counters, metrics and the admin API. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
