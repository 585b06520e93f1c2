package io.keycloaksentinel.core.secrets;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import java.util.List;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * The component that holds a realm's random key ({@link RealmKeyStore}), one per realm, created on
 * the key's first use. Its one property is secret: Keycloak masks it in every read and partial
 * export (a full export by {@code kc.sh export} carries it, like Keycloak's own keys).
 */
public final class RealmKeysFactory implements SecretStoreFactory, SentinelProviderFactory<SecretStore> {

    public static final String ID = "sentinel-realm-keys";
    static final String KEY = "key";
    private static final SecretStore NOTHING = new SecretStore() {
    };

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public SecretStore create(KeycloakSession session, ComponentModel model) {
        return NOTHING;
    }

    @Override
    public SecretStore create(KeycloakSession session) {
        return NOTHING;
    }

    @Override
    public String getHelpText() {
        return "Keycloak Sentinel: the realm's random key (device cookies, CAPTCHA challenges, keyed hashes)."
                + " Created by Sentinel; never shown. Deleting it forgets every known device.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of(new ProviderConfigProperty(KEY, "Key", "The realm's random key (write-only)",
                ProviderConfigProperty.PASSWORD, null, true));
    }
}
