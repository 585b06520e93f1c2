package io.keycloaksentinel.core.detect;

/**
 * Who is told, beside the metrics and the admin events, when a realm's attack state changes, and
 * ticked while attacks last: the admin alerts ({@code events.alerts.AdminAlerter}, in the event listeners). The detection
 * provider's factory makes one through {@link AttackAlertsFactory} in {@code postInit}, calls it
 * from its scheduler and closes it in {@code close()}; the detector does not depend on the alerts
 * that read it.
 */
public interface AttackAlerts {

    /** Called on the one node that recorded a state change. */
    void stateChanged(String realmId, AttackDetector detector, RealmAttackStatus from, RealmAttackStatus to);

    /**
     * Called on the one node that flagged a sprayed password, on the request thread that flagged it:
     * hand the work to a thread of your own.
     */
    default void sprayFlagged(String realmId, AttackDetector detector, PasswordSprays.Flag flag) {
    }

    /** Called every few seconds on every node: an update for each realm under attack whose period has come, claimed once. */
    void tick(AttackDetector detector);

    /** Stops sending: what is queued is dropped. */
    void close();
}
