package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.breach.BreachSettings;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.policy.PasswordPolicyProvider;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * {@code /breached-passwords}: the realm's breached-password settings (they apply to the password
 * policy and to the login check) with what the server holds, and the users the login check found
 * signing in with a breached password.
 */
public class BreachedPasswordsResource implements SettingsEndpoint {

    /** The id of Sentinel's password policy (authenticators module). */
    private static final String BREACH_POLICY = "sentinel-breached-password";
    /** The user attributes the login check sets on a user it flags. */
    private static final String FLAGGED = "sentinel.breach.flagged";
    private static final String FLAGGED_AT = "sentinel.breach.flaggedAt";
    private static final String ACTION = "sentinel.breach.action";
    private static final String SOURCE = "sentinel.breach.source";

    private final AdminRequest request;
    private final SettingsResource settings;

    BreachedPasswordsResource(AdminRequest request) {
        this.request = request;
        this.settings = new SettingsResource(request, BreachSettings.TABLE, BreachSettings::validateUpdate, this::body);
    }

    /** What {@code GET /breached-passwords/users} answers. */
    public record FlaggedUsers(List<FlaggedUser> users) {
    }

    /** A flagged user: when, what it led to, which source listed the password; no password, no hash. */
    public record FlaggedUser(String id, String username, String flaggedAt, String action, String source,
                              boolean newPasswordPending) {

        static FlaggedUser of(UserModel u) {
            return new FlaggedUser(u.getId(), u.getUsername(), instant(u.getFirstAttribute(FLAGGED_AT)),
                    u.getFirstAttribute(ACTION), u.getFirstAttribute(SOURCE), u.getRequiredActionsStream()
                    .anyMatch(a -> a.equals(UserModel.RequiredAction.UPDATE_PASSWORD.name())));
        }
    }

    /**
     * The realm's breached-password settings, whether the realm's password policy includes
     * Sentinel's check (and its minimum count), and what the server holds (bundled list size,
     * offline index).
     */
    @Override
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        return settings.get();
    }

    /**
     * Changes some breached-password settings (a partial update; a null restores the default). A
     * bad value is a 400 naming the field, and nothing is saved.
     */
    @Override
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response update(Map<String, Object> update) {
        return settings.update(update);
    }

    /**
     * The users the login check found signing in with a breached password. At most {@code max}
     * (1..1000) from {@code first}. Needs view-users.
     */
    @GET
    @Path("users")
    @Produces(MediaType.APPLICATION_JSON)
    public Response users(@QueryParam("first") Integer first, @QueryParam("max") Integer max) {
        request.requireViewUsers();
        int from = first == null ? 0 : first;
        int count = max == null ? 100 : max;
        if (from < 0 || count < 1 || count > AdminRequest.MAX_LIST) {
            return Answers.badRequest("first must be 0 or more and max from 1 to " + AdminRequest.MAX_LIST);
        }
        // paged by the user store, not in memory
        return Answers.ok(new FlaggedUsers(request.session().users()
                .searchForUserStream(request.realm(), Map.of(FLAGGED, "true"), from, count)
                .map(FlaggedUser::of).toList()));
    }

    private Map<String, Object> body() {
        RealmModel realm = request.realm();
        KeycloakSession session = request.session();
        Map<String, Object> body = new LinkedHashMap<>(
                BreachSettings.read(realm::getAttribute).toMap());
        Object min = realm.getPasswordPolicy() == null ? null : realm.getPasswordPolicy().getPolicyConfig(BREACH_POLICY);
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("inUse", min != null);
        policy.put("minCount", min);
        body.put("policy", policy);
        // users the login check found with a breached password (GET .../users lists them)
        body.put("flaggedUsers", session.users().getUsersCount(realm, Map.of(FLAGGED, "true")));
        if (session.getKeycloakSessionFactory().getProviderFactory(PasswordPolicyProvider.class, BREACH_POLICY)
                instanceof ServerInfoAwareProviderFactory info) {
            body.put("server", info.getOperationalInfo());
        }
        return body;
    }

    /** Epoch milliseconds as an ISO instant; null for a missing or hand-edited value. */
    static String instant(String millis) {
        try {
            return millis == null ? null : Instant.ofEpochMilli(Long.parseLong(millis)).toString();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
