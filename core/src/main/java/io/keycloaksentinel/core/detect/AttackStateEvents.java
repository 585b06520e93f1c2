package io.keycloaksentinel.core.detect;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventStoreProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.util.JsonSerialization;

/**
 * Records a realm's attack-state change as a Keycloak admin event (operation {@code ACTION},
 * resource type {@value #RESOURCE_TYPE}), stored when the realm saves admin events and passed to
 * the realm's event listeners, so it shows in the admin console's "Admin events" and reaches
 * whatever the admin wired to events. One event per change: the detector calls this on the one
 * node whose compare-and-set recorded the change. Runs on Sentinel's scheduler thread, in its own
 * transaction; a failure is logged, never thrown into a login.
 */
final class AttackStateEvents {

    static final String RESOURCE_TYPE = "SENTINEL_ATTACK_STATE";
    private static final Logger LOG = Logger.getLogger(AttackStateEvents.class);

    private final KeycloakSessionFactory factory;

    AttackStateEvents(KeycloakSessionFactory factory) {
        this.factory = factory;
    }

    void stateChanged(String realmId, RealmAttackStatus from, RealmAttackStatus to) {
        if (factory == null) {
            return;
        }
        KeycloakModelUtils.runJobInTransaction(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                return;
            }
            AdminEvent event = event(realm, from, to);
            if (realm.isAdminEventsEnabled()) {
                session.getProvider(EventStoreProvider.class).onEvent(event, realm.isAdminEventsDetailsEnabled());
            }
            realm.getEventsListenersStream().forEach(id -> {
                EventListenerProvider listener = session.getProvider(EventListenerProvider.class, id);
                if (listener != null) {
                    try {
                        listener.onEvent(event, realm.isAdminEventsDetailsEnabled());
                    } catch (RuntimeException e) {
                        LOG.warnf("Sentinel: event listener '%s' failed on an attack-state event: %s", id, e.toString());
                    }
                }
            });
        });
        try {
            factory.publish(new AttackStateChanged(realmId));
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: a listener failed on an attack-state change: %s", e.toString());
        }
    }

    static AdminEvent event(RealmModel realm, RealmAttackStatus from, RealmAttackStatus to) {
        AdminEvent event = new AdminEvent();
        event.setId(KeycloakModelUtils.generateId());
        event.setTime(to.sinceMillis() > 0 ? to.sinceMillis() : System.currentTimeMillis());
        event.setRealmId(realm.getId());
        event.setRealmName(realm.getName());
        AuthDetails auth = new AuthDetails();
        auth.setRealmId(realm.getId());
        auth.setRealmName(realm.getName());
        event.setAuthDetails(auth);
        event.setOperationType(OperationType.ACTION);
        event.setResourceTypeAsString(RESOURCE_TYPE);
        event.setResourcePath("sentinel-admin/attack");
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", from.state().name());
        details.put("to", to.state().name());
        details.put("since", Instant.ofEpochMilli(event.getTime()).toString());
        details.put("reason", to.reason());
        event.setDetails(details);
        try {
            event.setRepresentation(JsonSerialization.writeValueAsString(details));
        } catch (java.io.IOException e) {
            // the details carry the same content
        }
        return event;
    }
}
