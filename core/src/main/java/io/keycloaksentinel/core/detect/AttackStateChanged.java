package io.keycloaksentinel.core.detect;

import org.keycloak.provider.ProviderEvent;

/**
 * Published to the server's provider-event listeners after a realm's attack state changed (on the
 * one node that recorded the change, on Sentinel's scheduler thread, outside any transaction):
 * for what shows the state elsewhere, such as the admin console's attack-state tab.
 *
 * @param realmId the realm whose state changed
 */
public record AttackStateChanged(String realmId) implements ProviderEvent {
}
