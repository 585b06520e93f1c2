package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackAlertsFactory;
import org.keycloak.models.KeycloakSessionFactory;

/** The detection provider's {@link AttackAlerts}: the {@link AdminAlerter}. */
public final class AdminAlerterFactory implements AttackAlertsFactory {

    @Override
    public AttackAlerts create(KeycloakSessionFactory factory) {
        return new AdminAlerter(factory);
    }
}
