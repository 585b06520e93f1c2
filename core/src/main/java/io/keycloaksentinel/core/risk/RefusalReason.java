package io.keycloaksentinel.core.risk;

/** Why a login post is refused before the password is checked. */
public enum RefusalReason {
    /** The address crossed {@code ipFailuresPerDay}. */
    ADDRESS,
    /** The network crossed {@code networkFailuresPer15m}. */
    NETWORK,
    /** The network tried more than {@code networkUsernamesPer15m} distinct usernames. */
    NETWORK_USERNAMES,
    /** Smart lockout: this username failed too often from networks its user never signed in from. */
    UNKNOWN_SOURCE,
    /** The detector could not decide and the realm chose to fail closed. */
    UNAVAILABLE
}
