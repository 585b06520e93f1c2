package io.keycloaksentinel.core.detect;

import java.util.ServiceLoader;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * Makes the server's {@link AttackAlerts}. Found with {@link ServiceLoader}: the event listeners'
 * {@code META-INF/services/io.keycloaksentinel.core.detect.AttackAlertsFactory} lists the admin
 * alerts' factory ({@code events.alerts.AdminAlerterFactory}); in the drop-in JAR every module is
 * one JAR, so this interface's class loader sees it. Not a Keycloak SPI: it is part of the
 * detection provider, started and closed by its factory.
 */
public interface AttackAlertsFactory {

    AttackAlerts create(KeycloakSessionFactory factory);

    /** The alerts listed in this JAR's service file, or null when none is. */
    static AttackAlerts load(KeycloakSessionFactory factory) {
        return ServiceLoader.load(AttackAlertsFactory.class, AttackAlertsFactory.class.getClassLoader()).findFirst()
                .map(f -> f.create(factory)).orElse(null);
    }
}
