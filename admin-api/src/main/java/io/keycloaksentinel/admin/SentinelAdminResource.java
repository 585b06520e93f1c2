package io.keycloaksentinel.admin;

import io.keycloaksentinel.authenticators.captcha.CaptchaProvider;
import io.keycloaksentinel.core.SentinelVersion;
import io.keycloaksentinel.core.alerts.AdminAlertSettings;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.device.AlertSettings;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.keycloak.common.Version;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * The JAX-RS resource behind {@code /admin/realms/{realm}/sentinel-admin}: what this server runs,
 * and a sub-resource per capability, reached through the locators below (a {@code @Path} without
 * an HTTP method, as Keycloak's own admin resources do). Each sub-resource checks the permission
 * each of its calls needs through {@link AdminRequest}. Public, as are the sub-resources and their
 * methods: Keycloak's RESTEasy Reactive indexes sub-resource classes at {@code kc.sh build} and
 * answers 405 for methods of a class it cannot invoke.
 */
public class SentinelAdminResource {

    private final AdminRequest request;

    public SentinelAdminResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                                 AdminEventBuilder adminEvent) {
        this(new AdminRequest(session, realm, auth, adminEvent));
    }

    SentinelAdminResource(AdminRequest request) {
        this.request = request;
    }

    /** What {@code GET /} answers. */
    public record Info(String realm, String sentinelVersion, String builtForKeycloak, String keycloakVersion,
                       Map<String, List<String>> providers) {
    }

    /**
     * What this server runs: Sentinel's version, the Keycloak version, and every Sentinel provider
     * that is deployed, by SPI. Needs the realm's view-realm permission.
     */
    @GET
    @Path("")
    @Produces(MediaType.APPLICATION_JSON)
    public Info info() {
        request.requireViewRealm();
        SentinelVersion version = SentinelVersion.current();
        return new Info(request.realm().getName(), version.version(), version.keycloakVersion(), Version.VERSION,
                deployedSentinelProviders());
    }

    /** The attack state, the offenders, lifting a throttle. */
    @Path("attack")
    public AttackResource attack() {
        return new AttackResource(request);
    }

    /** The realm's detection thresholds. */
    @Path("config")
    public DetectionConfigResource config() {
        return new DetectionConfigResource(request);
    }

    /**
     * The realm's CAPTCHA settings (realm-wide; an execution's authenticator config, set in the
     * admin console, overrides them for its form) and the installed providers. The secret is never
     * shown: a set secret reads as {@value CaptchaSettings#MASK}. A partial update.
     */
    @Path("captcha")
    public SettingsResource captcha() {
        RealmModel realm = request.realm();
        return new SettingsResource(request, CaptchaSettings.TABLE,
                update -> CaptchaSettings.validateUpdate(update, captchaProviders()), () -> {
                    Map<String, Object> body = new LinkedHashMap<>(
                            CaptchaSettings.read(io.keycloaksentinel.core.secrets.RealmSecrets.reader(realm)).toMap());
                    body.put("providers", captchaProviders());
                    return body;
                });
    }

    /** The breached-password settings and the users the login check flagged. */
    @Path("breached-passwords")
    public BreachedPasswordsResource breachedPasswords() {
        return new BreachedPasswordsResource(request);
    }

    /** The realm's new-device alert and security-notification settings; a partial update. */
    @Path("alerts")
    public SettingsResource alerts() {
        RealmModel realm = request.realm();
        return new SettingsResource(request, AlertSettings.TABLE, AlertSettings::validateUpdate,
                () -> AlertSettings.read(realm::getAttribute).toMap());
    }

    /**
     * Where the realm's attack alerts go (email addresses, webhook; the secret masked). A partial
     * update; a webhook URL that is not http(s) or points at this server, a secret shorter than 16
     * characters, a bad address: 400.
     */
    @Path("admin-alerts")
    public SettingsResource adminAlerts() {
        RealmModel realm = request.realm();
        return new SettingsResource(request, AdminAlertSettings.TABLE,
                update -> AdminAlertSettings.validateUpdate(update, self()),
                () -> AdminAlertSettings.read(io.keycloaksentinel.core.secrets.RealmSecrets.reader(realm)).toMap());
    }

    /** The enforced-MFA policy, compliance, one user's standing, the ready flows. */
    @Path("mfa")
    public MfaResource mfa() {
        return new MfaResource(request);
    }

    /** The enumeration-safe sign-up's ready flow. */
    @Path("sign-up")
    public SignupResource signUp() {
        return new SignupResource(request);
    }

    /** Incident response: compromised accounts, containment, realm sign-out, emergency mode. */
    @Path("incident")
    public IncidentResource incident() {
        return new IncidentResource(request);
    }

    /** The realm's signing key: when it was rotated, rotating it. */
    @Path("keys")
    public KeysResource keys() {
        return new KeysResource(request);
    }

    /** A user's known devices. */
    @Path("users/{userId}/devices")
    public DevicesResource devices(@PathParam("userId") String userId) {
        return new DevicesResource(request, userId);
    }

    private Set<String> captchaProviders() {
        return request.session().getKeycloakSessionFactory().getProviderFactoriesStream(CaptchaProvider.class)
                .map(ProviderFactory::getId).collect(Collectors.toCollection(TreeSet::new));
    }

    /** This server as {@code host:port}, which an alert webhook may not point at. */
    private String self() {
        URI base = request.session().getContext().getUri().getBaseUri();
        int port = base.getPort() != -1 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
        return base.getHost() + ":" + port;
    }

    private Map<String, List<String>> deployedSentinelProviders() {
        Map<String, List<String>> bySpi = new TreeMap<>();
        for (Spi spi : request.session().getKeycloakSessionFactory().getSpis()) {
            List<String> ids = request.session().getKeycloakSessionFactory()
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
