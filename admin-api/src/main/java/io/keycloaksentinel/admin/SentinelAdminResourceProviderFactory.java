package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * Mounts Sentinel's admin REST API at {@code /admin/realms/{realm}/sentinel-admin}. Keycloak
 * authenticates the admin before the resource is reached; the resource checks permissions.
 */
public final class SentinelAdminResourceProviderFactory
        implements AdminRealmResourceProviderFactory, SentinelProviderFactory<AdminRealmResourceProvider> {

    public static final String PROVIDER_ID = "sentinel-admin";

    @Override
    public AdminRealmResourceProvider create(KeycloakSession session) {
        return new AdminRealmResourceProvider() {
            @Override
            public Object getResource(KeycloakSession s, RealmModel realm, AdminPermissionEvaluator auth,
                                      AdminEventBuilder adminEvent) {
                return new SentinelAdminResource(s, realm, auth, adminEvent);
            }

            @Override
            public void close() {
                // per-request, nothing held
            }
        };
    }

    /** Keeps the admin console's Sentinel tabs showing the stored settings (with the declarative-ui feature). */
    @Override
    public void postInit(org.keycloak.models.KeycloakSessionFactory factory) {
        ConsoleTabs.register(factory);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
