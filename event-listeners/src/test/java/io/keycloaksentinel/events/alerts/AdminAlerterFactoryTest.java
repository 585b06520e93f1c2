package io.keycloaksentinel.events.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackAlertsFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AdminAlerterFactoryTest {

    @Test
    @DisplayName("The detection provider's factory finds the incident response (containment, then the admin alerts) through the event listeners' service file")
    void detectionFindsTheAdminAlerts() {
        AttackAlerts alerts = AttackAlertsFactory.load(null);
        try {
            assertThat(alerts).isInstanceOf(io.keycloaksentinel.events.incident.IncidentResponse.class);
            assertThat(((io.keycloaksentinel.events.incident.IncidentResponse) alerts).alerts()).isInstanceOf(AdminAlerter.class);
        } finally {
            if (alerts != null) {
                alerts.close();
            }
        }
    }
}
