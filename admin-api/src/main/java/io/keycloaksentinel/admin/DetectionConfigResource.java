package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.RealmModel;

/**
 * {@code /config}: the realm's detection thresholds, allowlist and modes. Unlike the other
 * settings, a {@code PUT} replaces them all: keys left out take their defaults.
 */
public class DetectionConfigResource implements SettingsEndpoint {

    private final AdminRequest request;

    DetectionConfigResource(AdminRequest request) {
        this.request = request;
    }

    /** The realm's detection thresholds (defaults where none were set). */
    @Override
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        request.requireViewRealm();
        return body(RealmDetectionConfig.fromAttributes(request.realm()::getAttribute));
    }

    /**
     * Replaces the realm's detection thresholds. Needs manage-realm. Keys left out take their
     * defaults; an unknown key or a bad value is a 400 that says which and why; nothing is saved then.
     */
    @Override
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response update(Map<String, Object> update) {
        request.requireManageRealm();
        return Answers.validated(() -> Update.parse(update), this::save);
    }

    /** A whole update, validated: the thresholds, the allowlist (empty: none), the mode, fail-closed. */
    record Update(DetectionThresholds thresholds, Optional<String> allowlist, String mode, boolean failClosed) {

        /** @throws IllegalArgumentException naming an unknown key or a bad value */
        static Update parse(Map<String, Object> update) {
            return new Update(RealmDetectionConfig.fromUpdate(update), RealmDetectionConfig.allowlistFromUpdate(update),
                    RealmDetectionConfig.modeFromUpdate(update), RealmDetectionConfig.failClosedFromUpdate(update));
        }
    }

    private Response save(Update update) {
        RealmModel realm = request.realm();
        RealmDetectionConfig.toAttributes(update.thresholds()).forEach(realm::setAttribute);
        String allowlistAttribute = RealmDetectionConfig.PREFIX + RealmDetectionConfig.ALLOWLIST;
        if (update.allowlist().isPresent() && !update.allowlist().get().isEmpty()) {
            realm.setAttribute(allowlistAttribute, update.allowlist().get());
        } else {
            realm.removeAttribute(allowlistAttribute);
        }
        realm.setAttribute(RealmDetectionConfig.PREFIX + RealmDetectionConfig.MODE, update.mode());
        realm.setAttribute(RealmDetectionConfig.PREFIX + RealmDetectionConfig.FAIL_CLOSED,
                String.valueOf(update.failClosed()));
        AttackDetector detector = request.detector();
        if (detector != null) {
            detector.states().configure(realm.getId(), realm.getName(), update.thresholds());
        }
        ConsoleTabs.refreshAfterCommit(request.session(), realm);
        Map<String, Object> body = body(update.thresholds());
        request.realmEvent(OperationType.UPDATE, body);
        return Answers.ok(body);
    }

    private Map<String, Object> body(DetectionThresholds thresholds) {
        RealmModel realm = request.realm();
        Map<String, Object> body = new LinkedHashMap<>(RealmDetectionConfig.toMap(thresholds));
        body.put(RealmDetectionConfig.ALLOWLIST,
                RealmDetectionConfig.allowlist(realm::getAttribute).stream().map(Object::toString).toList());
        body.put(RealmDetectionConfig.MODE, RealmDetectionConfig.monitorOnly(realm::getAttribute)
                ? RealmDetectionConfig.MODE_MONITOR : RealmDetectionConfig.MODE_ENFORCE);
        body.put(RealmDetectionConfig.FAIL_CLOSED, RealmDetectionConfig.failClosed(realm::getAttribute));
        return body;
    }
}
