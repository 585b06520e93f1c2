package io.keycloaksentinel.admin;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.keycloaksentinel.core.secrets.RealmSecrets;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.RealmModel;

/**
 * One capability's realm settings, stored as realm attributes by its {@link SettingsTable}: read with
 * view-realm, changed with manage-realm by a partial update (keys left out keep their value, a null
 * restores the default), validated as a whole first (a 400 naming the field, nothing saved), and
 * recorded as an admin event with the new settings. The settings table of core says which keys,
 * defaults, checks and attributes; this class only serves them.
 */
public class SettingsResource implements SettingsEndpoint {

    private final AdminRequest request;
    private final SettingsTable<?> table;
    private final Function<Map<String, Object>, Map<String, String>> validate;
    private final Supplier<Map<String, Object>> body;

    /**
     * @param validate the update to the values to store (null: remove), or an
     *                 {@link IllegalArgumentException} that says what is wrong
     * @param body     the settings as answered
     */
    SettingsResource(AdminRequest request, SettingsTable<?> table, Function<Map<String, Object>, Map<String, String>> validate,
                     Supplier<Map<String, Object>> body) {
        this.request = request;
        this.table = table;
        this.validate = validate;
        this.body = body;
    }

    /** The settings (defaults where none were set; secrets masked). */
    @Override
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        request.requireViewRealm();
        return body.get();
    }

    /** Changes some settings (a partial update); answers them as they are now. */
    @Override
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response update(Map<String, Object> update) {
        request.requireManageRealm();
        Map<String, Object> settingsOnly = withoutShownOnly(update);
        return Answers.validated(() -> validate.apply(settingsOnly), values -> {
            RealmModel realm = request.realm();
            // the secrets go to the realm's secrets component, the rest to realm attributes
            table.write(values, RealmSecrets.set(realm), RealmSecrets.remove(realm));
            ConsoleTabs.refreshAfterCommit(request.session(), realm);
            Map<String, Object> after = body.get();
            request.realmEvent(OperationType.UPDATE, after);
            return Answers.ok(after);
        });
    }

    /**
     * The update without what the read adds beside the settings (installed providers, counts,
     * problems), which cannot be set: ignored, as Keycloak's own representations ignore read-only
     * fields, so that {@code kcadm.sh update -s key=value} (which reads, changes one key and sends
     * the whole body back) works. A key the read does not show is still refused as unknown.
     */
    private Map<String, Object> withoutShownOnly(Map<String, Object> update) {
        if (update == null || update.keySet().stream().allMatch(table.keys()::contains)) {
            return update;
        }
        Map<String, Object> shown = body.get();
        Map<String, Object> out = new java.util.LinkedHashMap<>(update);
        out.keySet().removeIf(key -> !table.keys().contains(key) && shown.containsKey(key));
        return out;
    }
}
