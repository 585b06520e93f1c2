package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.secrets.SecretStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * The realms' random keys in Keycloak's database: one {@code sentinel-realm-keys} component per
 * realm, read and written in a transaction of its own (never the request's, which may roll back),
 * once per realm and node. Deleted with its realm.
 */
public final class RealmKeyStore implements PersistedKeys {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Set while this store writes: the component type accepts a key only then. */
    private static final ThreadLocal<Boolean> WRITING = new ThreadLocal<>();
    private final KeycloakSessionFactory factory;

    static boolean writing() {
        return Boolean.TRUE.equals(WRITING.get());
    }

    private static <T> T own(java.util.function.Supplier<T> write) {
        WRITING.set(Boolean.TRUE);
        try {
            return write.get();
        } finally {
            WRITING.remove();
        }
    }

    public RealmKeyStore(KeycloakSessionFactory factory) {
        this.factory = factory;
    }

    @Override
    public String loadOrCreate(String realmId) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                return null;
            }
            List<ComponentModel> stored = components(realm);
            if (!stored.isEmpty()) {
                return stored.get(0).get(RealmKeysFactory.KEY);
            }
            byte[] fresh = new byte[32];
            RANDOM.nextBytes(fresh);
            String key = Base64.getEncoder().encodeToString(fresh);
            own(() -> realm.addComponentModel(model(realm, key)));
            return key;
        });
    }

    @Override
    public boolean settle(String realmId, String key) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                return false;
            }
            List<ComponentModel> stored = components(realm);
            ComponentModel keep = stored.stream().filter(c -> key.equals(c.get(RealmKeysFactory.KEY))).findFirst()
                    .orElse(null);
            if (keep == null && !stored.isEmpty()) {
                keep = new ComponentModel(stored.get(0));
                keep.getConfig().putSingle(RealmKeysFactory.KEY, key);
                ComponentModel updated = keep;
                own(() -> {
                    realm.updateComponent(updated);
                    return null;
                });
            } else if (keep == null) {
                keep = own(() -> realm.addComponentModel(model(realm, key)));
            }
            String kept = keep.getId();
            // a duplicate (two first uses at once) may hold the latest rotation: it moves to the one kept
            String latest = latestSigning(stored);
            RealmKeys.Signing keptSigning = RealmKeys.Signing.parse(keep.get(RealmKeysFactory.SIGNING));
            RealmKeys.Signing latestSigning = RealmKeys.Signing.parse(latest);
            if (latestSigning != null && (keptSigning == null || keptSigning.generation() < latestSigning.generation())) {
                ComponentModel withSigning = new ComponentModel(keep);
                withSigning.getConfig().putSingle(RealmKeysFactory.SIGNING, latest);
                own(() -> {
                    realm.updateComponent(withSigning);
                    return null;
                });
            }
            stored.stream().filter(c -> !c.getId().equals(kept)).forEach(realm::removeComponent);
            return true;
        });
    }

    @Override
    public String loadSigning(String realmId) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            List<ComponentModel> stored = realm == null ? List.of() : components(realm);
            return latestSigning(stored);
        });
    }

    /** The latest rotation any of the realm's key components holds (one, unless two first uses made two). */
    private static String latestSigning(List<ComponentModel> stored) {
        String latest = null;
        long generation = -1;
        for (ComponentModel c : stored) {
            String encoded = c.get(RealmKeysFactory.SIGNING);
            RealmKeys.Signing parsed = RealmKeys.Signing.parse(encoded);
            if (parsed != null && parsed.generation() > generation) {
                latest = encoded;
                generation = parsed.generation();
            }
        }
        return latest;
    }

    @Override
    public boolean settleSigning(String realmId, String encoded) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            List<ComponentModel> stored = realm == null ? List.of() : components(realm);
            if (stored.isEmpty()) {
                return false; // the root key is stored first (on the realm's first use)
            }
            RealmKeys.Signing had = RealmKeys.Signing.parse(latestSigning(stored));
            RealmKeys.Signing next = RealmKeys.Signing.parse(encoded);
            if (next == null || (had != null && had.generation() >= next.generation())) {
                return true; // the same or a later rotation is stored already: never replaced by an older one
            }
            ComponentModel updated = new ComponentModel(stored.get(0));
            updated.getConfig().putSingle(RealmKeysFactory.SIGNING, encoded);
            own(() -> {
                realm.updateComponent(updated);
                return null;
            });
            return true;
        });
    }

    private static ComponentModel model(RealmModel realm, String key) {
        ComponentModel c = new ComponentModel();
        c.setName("Keycloak Sentinel realm key");
        c.setParentId(realm.getId());
        c.setProviderType(SecretStore.class.getName());
        c.setProviderId(RealmKeysFactory.ID);
        c.getConfig().putSingle(RealmKeysFactory.KEY, key);
        return c;
    }

    /** The realm's key components, the oldest id first (ids are random: any fixed order does). */
    private static List<ComponentModel> components(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), SecretStore.class.getName())
                .filter(c -> RealmKeysFactory.ID.equals(c.getProviderId()))
                .sorted(Comparator.comparing(ComponentModel::getId)).toList();
    }
}
