package io.keycloaksentinel.core.secrets;

import java.util.List;
import org.keycloak.component.ComponentModel;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * The component that holds a realm's settings secrets ({@link RealmSecrets#KEYS}), one per realm,
 * created on the first secret stored. Internal, so Keycloak's components API neither lists nor
 * changes it; every property is secret, so the realm's partial export shows {@code **********}
 * for it (a {@code ${vault.key}} reference as it is).
 */
public final class RealmSecretsFactory extends StorageComponentFactory {

    public static final String ID = "sentinel-realm-secrets";
    private static final Logger LOG = Logger.getLogger(RealmSecretsFactory.class);

    @Override
    public String getId() {
        return ID;
    }

    /** After start-up (and Keycloak's own migration), moves every realm's secrets still in realm attributes, once. */
    @Override
    public void postInit(KeycloakSessionFactory factory) {
        factory.register(event -> {
            if (event instanceof org.keycloak.models.RealmModel.RealmAttributeUpdateEvent set
                    && RealmSecrets.isSecret(set.getAttributeName()) && set.getAttributeValue() != null) {
                // a secret set as a realm attribute where Keycloak publishes it: moved before the transaction commits
                // (a realm update through the admin API does not publish it; the next read or start-up moves it)
                migrateBeforeCommit(set.getKeycloakSession(), set.getRealm());
            } else if (event instanceof org.keycloak.models.RealmModel.RealmPostCreateEvent created) {
                // a realm created or imported with one (an old export)
                migrateBeforeCommit(created.getKeycloakSession(), created.getCreatedRealm());
            } else if (event instanceof PostMigrationEvent) {
                try {
                    KeycloakModelUtils.runJobInTransaction(factory,
                            session -> session.realms().getRealmsStream().forEach(RealmSecrets::migrate));
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: moving secret settings out of realm attributes failed (%s); retried on each read",
                            e.getClass().getSimpleName());
                }
            }
        });
    }

    private static void migrateBeforeCommit(KeycloakSession session, org.keycloak.models.RealmModel realm) {
        session.getTransactionManager().enlistPrepare(new org.keycloak.models.AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                RealmSecrets.migrate(realm);
            }

            @Override
            protected void rollbackImpl() {
            }
        });
    }

    @Override
    public String getHelpText() {
        return "Keycloak Sentinel: the realm's settings secrets (CAPTCHA vendor secret, alert webhook secret and URL)."
                + " Set them through Sentinel's admin API; they are never shown.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return RealmSecrets.KEYS.stream().map(key -> {
            ProviderConfigProperty p = new ProviderConfigProperty(key, key, "A Sentinel secret setting (write-only)",
                    ProviderConfigProperty.PASSWORD, null, true);
            return p;
        }).toList();
    }
}
