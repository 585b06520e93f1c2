package io.keycloaksentinel.admin;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;

/** {@code /sign-up}: the enumeration-safe sign-up's ready-made registration flow ({@link SignupAdmin}). */
public class SignupResource {

    private final AdminRequest request;

    SignupResource(AdminRequest request) {
        this.request = request;
    }

    /** What {@code POST /sign-up/flows} answers: whether the flow was created, bound, and what the bound flows do. */
    public record Flows(boolean registrationFlowCreated, String registrationFlow, boolean bound,
                        boolean boundRegistrationFlowHasSignupStep, boolean boundResetFlowHasQueuedEmail,
                        boolean registrationAllowed) {
    }

    /**
     * Creates the enumeration-safe registration flow ({@code sentinel email-first registration}:
     * email first, then Keycloak's form with the address locked) when missing; {@code ?bind=true}
     * binds it. Says whether the bound registration and reset flows are enumeration-safe. Needs
     * manage-realm; an admin event.
     */
    @POST
    @Path("flows")
    @Produces(MediaType.APPLICATION_JSON)
    public Flows flows(@QueryParam("bind") boolean bind) {
        request.requireManageRealm();
        Flows body = new SignupAdmin(request.realm()).flows(bind);
        request.event(OperationType.CREATE, ResourceType.AUTH_FLOW, body);
        return body;
    }
}
