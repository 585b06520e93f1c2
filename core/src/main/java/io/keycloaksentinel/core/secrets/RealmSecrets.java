package io.keycloaksentinel.core.secrets;

import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.RealmModel;

/**
 * Where a realm's settings live: every setting in a realm attribute, except the secrets
 * ({@link #KEYS}), which live in the realm's {@code sentinel-realm-secrets} component, so that no
 * realm read, component read or partial export shows them (realm attributes are returned to anyone
 * who may view the realm). The settings tables read and write through {@link #reader} and
 * {@link #set}/{@link #remove} and never see the difference. A secret still in a realm attribute
 * (stored by an earlier version, or imported from an old export) is moved into the component the
 * first time it is read or written, once, without losing the value.
 */
public final class RealmSecrets {

    /** The settings stored as secrets, by their realm-attribute names. */
    public static final List<String> KEYS = List.of("sentinel.captcha.secret", "sentinel.adminAlerts.webhookSecret",
            "sentinel.adminAlerts.webhookUrl");
    static final String COMPONENT_NAME = "Keycloak Sentinel secrets";
    private static final String MASK = org.keycloak.representations.idm.ComponentRepresentation.SECRET_VALUE;
    private static final Logger LOG = Logger.getLogger(RealmSecrets.class);

    private RealmSecrets() {
    }

    /** Whether {@code attribute} is one of the secrets. */
    public static boolean isSecret(String attribute) {
        return KEYS.contains(attribute);
    }

    /** Reads a setting by its attribute name: the secrets from the component, the rest from the realm's attributes. */
    public static Function<String, String> reader(RealmModel realm) {
        return attribute -> isSecret(attribute) ? get(realm, attribute) : realm.getAttribute(attribute);
    }

    /** Stores a setting by its attribute name (see {@link #reader}). */
    public static BiConsumer<String, String> set(RealmModel realm) {
        return (attribute, value) -> {
            if (isSecret(attribute)) {
                put(realm, attribute, value);
            } else {
                realm.setAttribute(attribute, value);
            }
        };
    }

    /** Removes a setting by its attribute name (its default applies again). */
    public static Consumer<String> remove(RealmModel realm) {
        return attribute -> {
            if (isSecret(attribute)) {
                put(realm, attribute, null);
            } else {
                realm.removeAttribute(attribute);
            }
        };
    }

    /** A secret's value, moving it out of the realm's attributes first if it is still there. */
    static String get(RealmModel realm, String attribute) {
        String legacy = realm.getAttribute(attribute);
        if (legacy != null) {
            migrate(realm);
        }
        // the mask a partial export writes in place of a secret is no secret: unset
        return component(realm).map(c -> c.get(attribute)).filter(v -> !v.isEmpty() && !v.equals(MASK)).orElse(null);
    }

    /** Moves every secret still held in a realm attribute into the component (a no-op when none is). */
    public static void migrate(RealmModel realm) {
        for (String attribute : KEYS) {
            String legacy = realm.getAttribute(attribute);
            if (legacy != null) {
                // Sentinel never writes the attribute any more: one that exists was set later than the component's
                // value (an older node during a rolling upgrade, a realm update or import), so it wins
                put(realm, attribute, legacy);
                realm.removeAttribute(attribute);
                LOG.infof("Sentinel: moved the secret setting %s of realm %s out of the realm's attributes", attribute,
                        realm.getName());
            }
        }
    }

    private static void put(RealmModel realm, String attribute, String value) {
        Optional<ComponentModel> existing = component(realm);
        // a copy: the realm cache's model is never changed in place
        ComponentModel c = existing.map(ComponentModel::new).orElseGet(() -> {
            ComponentModel fresh = new ComponentModel();
            fresh.setName(COMPONENT_NAME);
            fresh.setParentId(realm.getId());
            fresh.setProviderType(SecretStore.class.getName());
            fresh.setProviderId(RealmSecretsFactory.ID);
            return fresh;
        });
        if (value == null) {
            c.getConfig().remove(attribute);
        } else {
            c.getConfig().putSingle(attribute, value);
        }
        if (existing.isPresent()) {
            realm.updateComponent(c);
            // a second one (two nodes migrating at once) would keep an old secret in the database: dropped
            String kept = c.getId();
            realm.getComponentsStream(realm.getId(), SecretStore.class.getName())
                    .filter(o -> RealmSecretsFactory.ID.equals(o.getProviderId()) && !o.getId().equals(kept)).toList()
                    .forEach(realm::removeComponent);
        } else {
            realm.addComponentModel(c);
        }
    }

    /** The realm's secrets component (the oldest, should two nodes have created one at once). */
    private static Optional<ComponentModel> component(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), SecretStore.class.getName())
                .filter(c -> RealmSecretsFactory.ID.equals(c.getProviderId()))
                .min(java.util.Comparator.comparing(ComponentModel::getId));
    }
}
