package io.keycloaksentinel.core.detect;

/** Told by the {@link AttackDetector} of every counted attempt, throttle, timing and state change (metrics, events, alerts). */
public interface DetectionObserver {

    /** The two things Sentinel does on a request thread, timed for the metrics. */
    enum Operation { RECORD, CHECK }

    void recorded(String realmId, String realmName, LoginOutcome outcome);

    default void throttled(String realmId, String realmName, boolean monitorOnly) {
    }

    default void forgotten(String realmId) {
    }

    default void timed(Operation operation, long nanos) {
    }

    default void activity(String realmId, String realmName, AccountActivity activity) {
    }

    /** The realm's attack state changed; called on exactly one node of the cluster per change. */
    default void stateChanged(String realmId, String realmName, RealmAttackStatus from, RealmAttackStatus to) {
    }

    /** A password was flagged as sprayed ({@link PasswordSprays}); called on exactly one node per password and window. */
    default void sprayFlagged(String realmId, String realmName, PasswordSprays.Flag flag) {
    }

    DetectionObserver NONE = (id, name, outcome) -> { };
}
