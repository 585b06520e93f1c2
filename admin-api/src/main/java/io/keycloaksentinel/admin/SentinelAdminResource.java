package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.SentinelVersion;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.keycloak.common.Version;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * The JAX-RS resource behind {@code /admin/realms/{realm}/sentinel-admin}. Public: Keycloak's
 * RESTEasy Reactive indexes sub-resource classes at {@code kc.sh build} and answers 405 for
 * methods of a class it cannot invoke.
 */
public class SentinelAdminResource {

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;

    public SentinelAdminResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
    }

    /**
     * What this server runs: Sentinel's version, the Keycloak version, and every Sentinel provider
     * that is deployed, by SPI. Needs the realm's view-realm permission.
     */
    @GET
    @Path("")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> info() {
        auth.realm().requireViewRealm();
        SentinelVersion version = SentinelVersion.current();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("realm", realm.getName());
        body.put("sentinelVersion", version.version());
        body.put("builtForKeycloak", version.keycloakVersion());
        body.put("keycloakVersion", Version.VERSION);
        body.put("providers", deployedSentinelProviders());
        return body;
    }

    private Map<String, List<String>> deployedSentinelProviders() {
        Map<String, List<String>> bySpi = new TreeMap<>();
        for (Spi spi : session.getKeycloakSessionFactory().getSpis()) {
            List<String> ids = session.getKeycloakSessionFactory()
                    .getProviderFactoriesStream(spi.getProviderClass())
                    .map(ProviderFactory::getId)
                    .filter(Objects::nonNull)
                    .filter(id -> id.startsWith(SentinelVersion.PROVIDER_ID_PREFIX))
                    .sorted()
                    .collect(Collectors.toList());
            if (!ids.isEmpty()) {
                bySpi.put(spi.getName(), ids);
            }
        }
        return bySpi;
    }
}
