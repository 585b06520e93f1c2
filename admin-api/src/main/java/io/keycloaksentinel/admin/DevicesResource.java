package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.UserModel;

/** {@code /users/{userId}/devices}: a user's known devices (never the cookie), and forgetting one. */
public class DevicesResource {

    private final AdminRequest request;
    private final String userId;

    DevicesResource(AdminRequest request, String userId) {
        this.request = request;
        this.userId = userId;
    }

    /** What {@code GET} answers. */
    public record Devices(List<Device> devices) {
    }

    /**
     * A known device: browser and OS family, coarse network, first and last seen, trusted, and
     * whether it is an unproven look-alike (recognised by its signals only: it lowers no risk).
     */
    public record Device(String id, String browser, String os, String network, String firstSeen, String lastSeen,
                         boolean trusted, boolean lookAlike) {

        static Device of(KnownDevices.Device d) {
            return new Device(d.id(), d.browser(), d.os(), d.network(), Instant.ofEpochMilli(d.firstSeen()).toString(),
                    Instant.ofEpochMilli(d.lastSeen()).toString(), d.trusted(), d.lookAlike());
        }
    }

    /** A user's known devices. Needs view-users. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response list() {
        request.requireViewUsers();
        return request.withUser(userId,
                user -> Answers.ok(new Devices(known(user).devices().stream().map(Device::of).toList())));
    }

    /** Forgets one of a user's devices (its next sign-in counts as new); needs manage-users; an admin event. */
    @DELETE
    @Path("{deviceId}")
    public Response forget(@PathParam("deviceId") String deviceId) {
        request.requireManageUsers();
        UserModel user = request.user(userId);
        KnownDevices known = user == null ? null : known(user);
        if (known == null || deviceId == null || known.byId(deviceId).isEmpty()) {
            return Answers.notFound("no such user or device");
        }
        // a forgotten device alerts again when it next signs in
        DeviceRecognition.forget(user, known, deviceId);
        request.event(OperationType.DELETE, ResourceType.USER, null);
        return Response.noContent().build();
    }

    private KnownDevices known(UserModel user) {
        return DeviceRecognition.devices(user, AlertSettings.read(request.realm()::getAttribute));
    }
}
