package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.secrets.StorageComponentFactory;
import java.util.List;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * The component that holds a realm's random key ({@link RealmKeyStore}), one per realm, created on
 * the key's first use. Its one property is secret: Keycloak masks it in every read and partial
 * export (a full export by {@code kc.sh export} carries it, like Keycloak's own keys).
 */
public final class RealmKeysFactory extends StorageComponentFactory {

    public static final String ID = "sentinel-realm-keys";
    static final String KEY = "key";
    /** The signing state after a rotation ({@code sign1:...}); none before the first. */
    static final String SIGNING = "signing";

    /**
     * A key only Sentinel's own store may set: any other write of this type (a component switched to
     * it by an admin, a realm import) has its key replaced by the mask, which is never used as a key,
     * so a new one is made (an admin cannot plant a key that would forge device cookies or CAPTCHA
     * answers; an imported realm starts with a key of its own).
     */
    @Override
    public void validateConfiguration(KeycloakSession session, org.keycloak.models.RealmModel realm, ComponentModel model) {
        if (!RealmKeyStore.writing()) {
            model.getConfig().putSingle(KEY, org.keycloak.representations.idm.ComponentRepresentation.SECRET_VALUE);
            model.getConfig().remove(SIGNING);
        }
    }

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public String getHelpText() {
        return "Keycloak Sentinel: the realm's random key (device cookies, CAPTCHA challenges, keyed hashes)."
                + " Created by Sentinel; never shown. Deleting it forgets every known device.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of(new ProviderConfigProperty(KEY, "Key", "The realm's random key (write-only)",
                ProviderConfigProperty.PASSWORD, null, true),
                new ProviderConfigProperty(SIGNING, "Signing key", "The realm's signing key after a rotation (write-only)",
                        ProviderConfigProperty.PASSWORD, null, true));
    }
}
