package io.keycloaksentinel.core.risk;

/** The attack state of a realm, the same on every node of the cluster. */
public enum AttackState {
    /** Nothing unusual: no CAPTCHA, no step-up for anyone who is not individually risky. */
    NORMAL,
    /** Signals above normal but below an attack: responses may tighten for risky requests. */
    ELEVATED,
    /** A distributed attack is in progress: the realm-wide responses are on. */
    UNDER_ATTACK;

    public boolean atLeast(AttackState other) {
        return compareTo(other) >= 0;
    }
}
