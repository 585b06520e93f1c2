package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.RealmKeys;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.keycloak.events.admin.OperationType;

/**
 * {@code /keys}: the realm's signing key (device cookies, CAPTCHA challenges, breach memos), never
 * the key itself. {@code GET} says when it was last rotated and until when the one before it still
 * verifies; {@code POST /keys/rotate} rotates it on the whole cluster.
 */
public class KeysResource {

    /** The grace period when none is given: longer than any CAPTCHA challenge, long enough for a week's devices to return. */
    static final long DEFAULT_GRACE_DAYS = 7;

    private final AdminRequest request;

    KeysResource(AdminRequest request) {
        this.request = request;
    }

    /**
     * What {@code /keys} answers; null fields: never rotated. {@code stored}: the database holds the
     * current state (false: a full restart now would go back to the one before; tried again on later uses).
     */
    public record KeyState(String rotatedAt, String previousValidUntil, boolean previousStillValid, boolean stored) {

        static KeyState of(RealmKeys.Rotation r) {
            Long until = r.previousValidUntilMillis();
            return new KeyState(r.rotatedAtMillis() == null ? null : Instant.ofEpochMilli(r.rotatedAtMillis()).toString(),
                    until == null ? null : Instant.ofEpochMilli(until).toString(),
                    until != null && System.currentTimeMillis() < until, r.stored());
        }
    }

    /** When the signing key was last rotated, and until when its predecessor verifies. Needs view-realm. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response state() {
        request.requireViewRealm();
        AttackDetector detector = request.detector();
        return detector == null ? Answers.detectorNotDeployed()
                : Answers.ok(KeyState.of(detector.keys().rotation(request.realm().getId())));
    }

    /**
     * Rotates the signing key: body {@code {"graceDays": 7}} (0..365; the default 7), how long what
     * the current key signed still verifies. Device cookies signed with it are signed anew at their
     * next sign-in within that time; after it, such a device is a new device once. {@code 0} for a
     * key that leaked. While the last rotation's grace runs, only {@code 0} is accepted (409
     * otherwise: a second rotation would end the first one's grace early). Needs manage-realm; an
     * admin event.
     */
    @POST
    @Path("rotate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response rotate(Map<String, Object> body) {
        request.requireManageRealm();
        AttackDetector detector = request.detector();
        if (detector == null) {
            return Answers.detectorNotDeployed();
        }
        return Answers.validated(() -> graceDays(body), days -> {
            RealmKeys.Rotation rotation;
            try {
                rotation = detector.keys().rotate(request.realm().getId(), Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                // a rotation with a grace while the last one's grace runs would end that one early
                return Response.status(Response.Status.CONFLICT).entity(new Answers.ErrorBody(e.getMessage())).build();
            } catch (IllegalStateException e) {
                return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                        .entity(new Answers.ErrorBody("the key could not be rotated now: " + e.getMessage())).build();
            }
            KeyState state = KeyState.of(rotation);
            request.realmEvent(OperationType.ACTION, state);
            return Answers.ok(state);
        });
    }

    /** The body's {@code graceDays}; the default for an empty body. */
    static long graceDays(Map<String, Object> body) {
        if (body == null || body.isEmpty()) {
            return DEFAULT_GRACE_DAYS;
        }
        SettingsValues.checkKeys(body, java.util.List.of("graceDays"));
        Object days = body.get("graceDays");
        return days == null ? DEFAULT_GRACE_DAYS
                : SettingsValues.integer("graceDays", days, 0, RealmKeys.MAX_GRACE.toDays());
    }
}
