package io.keycloaksentinel.core.detect;

/**
 * Where a realm's random key outlives the cluster: the cluster store holds the key while any node
 * runs, this holds it across a full restart (an upgrade), so device cookies, known devices and
 * CAPTCHA challenges stay valid. Implemented on Keycloak's database (a realm component) by
 * {@link RealmKeyStore}; {@link #NONE} keeps nothing (unit tests).
 */
public interface PersistedKeys {

    /** The realm's stored key (base64 of 32 bytes), created and stored if it has none; null when nothing is stored. */
    String loadOrCreate(String realmId);

    /**
     * Makes {@code key} the realm's one stored key (the cluster's choice, should two nodes have
     * created one at once); false when the realm cannot be seen yet (created in a transaction not
     * yet committed), to be tried again.
     */
    boolean settle(String realmId, String key);

    /** The realm's stored signing state ({@code sign1:...}); null when none is stored (never rotated). */
    default String loadSigning(String realmId) {
        return null;
    }

    /**
     * Stores the realm's signing state, unless a later one (a higher generation) is stored already;
     * false when the realm cannot be seen yet.
     */
    default boolean settleSigning(String realmId, String encoded) {
        return true;
    }

    PersistedKeys NONE = new PersistedKeys() {
        @Override
        public String loadOrCreate(String realmId) {
            return null;
        }

        @Override
        public boolean settle(String realmId, String key) {
            return true;
        }
    };
}
