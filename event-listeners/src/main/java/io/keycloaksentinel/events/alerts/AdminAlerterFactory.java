package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackAlertsFactory;
import io.keycloaksentinel.events.incident.IncidentResponse;
import org.keycloak.models.KeycloakSessionFactory;

/** The detection provider's {@link AttackAlerts}: the realm's containment policy, then the {@link AdminAlerter}. */
public final class AdminAlerterFactory implements AttackAlertsFactory {

    @Override
    public AttackAlerts create(KeycloakSessionFactory factory) {
        return new IncidentResponse(factory, new AdminAlerter(factory));
    }
}
