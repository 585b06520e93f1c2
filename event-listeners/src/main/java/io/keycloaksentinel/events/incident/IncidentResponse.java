package io.keycloaksentinel.events.incident;

import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.PasswordSprays;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * What the server does on its own when a realm's attack state changes: the realm's containment
 * policy first ({@link Containment}), then the admins' alert (which says what was contained); the same when
 * a password is flagged as sprayed.
 */
public final class IncidentResponse implements AttackAlerts {

    private final Containment containment;
    private final AttackAlerts alerts;

    public IncidentResponse(KeycloakSessionFactory factory, AttackAlerts alerts) {
        this.containment = new Containment(factory);
        this.alerts = alerts;
    }

    /** The admin alerts this response ends with. */
    public AttackAlerts alerts() {
        return alerts;
    }

    @Override
    public void stateChanged(String realmId, AttackDetector detector, RealmAttackStatus from, RealmAttackStatus to) {
        containment.stateChanged(realmId, detector, from, to, () -> alerts.stateChanged(realmId, detector, from, to));
    }

    @Override
    public void sprayFlagged(String realmId, AttackDetector detector, PasswordSprays.Flag flag) {
        containment.sprayFlagged(realmId, detector, flag, () -> alerts.sprayFlagged(realmId, detector, flag));
    }

    @Override
    public void tick(AttackDetector detector) {
        try {
            containment.tick(detector);
        } finally {
            alerts.tick(detector); // the admin alerts' updates, whatever containment did
        }
    }

    @Override
    public void close() {
        containment.close();
        alerts.close();
    }
}
