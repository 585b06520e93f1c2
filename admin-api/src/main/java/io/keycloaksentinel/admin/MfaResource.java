package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.mfa.MfaSettings;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;

/**
 * {@code /mfa}: the enforced-MFA policy and step-up settings, how many users comply, one user's
 * standing and a new grace for them, and the ready-made flows. {@link MfaAdmin} does the work.
 */
public class MfaResource implements SettingsEndpoint {

    static final List<String> LISTS = List.of("enrolled", "in_grace", "overdue", "exempt", "not_covered");
    private static final int MAX_SCAN = 200_000;

    private final AdminRequest request;
    private final MfaAdmin mfa;
    private final SettingsResource settings;

    MfaResource(AdminRequest request) {
        this.request = request;
        this.mfa = new MfaAdmin(request.session(), request.realm());
        this.settings = new SettingsResource(request, MfaSettings.TABLE, update -> {
            Map<String, String> values = MfaSettings.validateUpdate(mfa.pinUsers(update));
            mfa.checkNames(update, values);
            return values;
        }, mfa::body);
    }

    /** What {@code GET /mfa/compliance} answers; {@code users} only when a list was asked. */
    public record Compliance(String policy, long covered, long enrolled, long inGrace, long overdue, long exempt,
                             long notCovered, int scanned, boolean truncated, List<String> problems,
                             List<UserStanding> users) {
    }

    /**
     * One user's standing with the policy; the grace fields only while in the grace or overdue,
     * {@code loginsLeft} only when the grace counts logins.
     */
    public record UserStanding(String id, String username, String state, List<String> scopes, List<String> factors,
                               String graceEndsAt, Long daysLeft, Integer loginsLeft) {
    }

    /** What {@code POST /mfa/flows} answers: which flows were created, their names, what the bound flows run. */
    public record Flows(boolean browserFlowCreated, boolean resetFlowCreated, boolean directGrantFlowCreated,
                        String browserFlow, String resetFlow, boolean boundBrowserFlowHasMfaStep,
                        boolean boundResetFlowHasMfaStep, boolean boundDirectGrantFlowHasMfaStep, String directGrantFlow,
                        boolean bound) {
    }

    /**
     * The realm's enforced-MFA policy and step-up settings (realm-wide; the config of a flow's
     * {@code sentinel-mfa} step overrides them for that flow), with {@code problems}: names that
     * match nothing in the realm, stored values that do not parse.
     */
    @Override
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        return settings.get();
    }

    /**
     * Changes some MFA settings (a partial update; a null restores the default). A scope or
     * exemption naming an organization, group, role or user that does not exist, an empty factor
     * list, a bad grace: 400 naming it, nothing saved. A policy turned on starts its grace now.
     */
    @Override
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response update(Map<String, Object> update) {
        Response response = settings.update(update);
        if (response.getStatus() != Response.Status.OK.getStatusCode()) {
            return response;
        }
        mfa.afterUpdate();
        return Answers.ok(mfa.body());
    }

    /**
     * How many users the policy covers, and of them how many have a factor, are in their grace, or
     * are overdue (also exempt and not covered); {@code ?list=overdue} (or in_grace, enrolled,
     * exempt, not_covered) lists up to {@code listMax} of them. Scans at most {@code max} users.
     */
    @GET
    @Path("compliance")
    @Produces(MediaType.APPLICATION_JSON)
    public Response compliance(@QueryParam("max") Integer max, @QueryParam("list") String list,
                               @QueryParam("listMax") Integer listMax) {
        request.requireViewUsers();
        int scan = max == null ? 100_000 : max;
        int show = listMax == null ? 100 : listMax;
        if (scan < 1 || scan > MAX_SCAN || show < 1 || show > AdminRequest.MAX_LIST) {
            return Answers.badRequest("max must be 1 to " + MAX_SCAN + " and listMax 1 to " + AdminRequest.MAX_LIST);
        }
        if (list != null && !LISTS.contains(list)) {
            return Answers.badRequest("list must be one of " + String.join(", ", LISTS));
        }
        return Answers.ok(mfa.compliance(scan, list, show));
    }

    /** One user's standing with the MFA policy: state, scopes, factors, grace. Needs view-users. */
    @GET
    @Path("users/{userId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response user(@PathParam("userId") String userId) {
        request.requireViewUsers();
        return request.withUser(userId, user -> Answers.ok(mfa.user(user)));
    }

    /** Gives one user a new grace from now (a lost phone after the grace ended); an admin event. */
    @POST
    @Path("users/{userId}/grace")
    @Produces(MediaType.APPLICATION_JSON)
    public Response newGrace(@PathParam("userId") String userId) {
        request.requireManageUsers();
        return request.withUser(userId, user -> {
            mfa.newGrace(user);
            UserStanding body = mfa.user(user);
            request.event(OperationType.UPDATE, ResourceType.USER, body);
            return Answers.ok(body);
        });
    }

    /**
     * Creates the ready flows "sentinel mfa browser", "sentinel mfa reset credentials" and "sentinel
     * mfa direct grant" (Sentinel's login form, Keycloak's second-factor forms in a conditional
     * sub-flow, the MFA step; the reset asks for the second factor after the email link) when
     * missing; {@code ?bind=true} binds them. Needs manage-realm; an admin event.
     */
    @POST
    @Path("flows")
    @Produces(MediaType.APPLICATION_JSON)
    public Response flows(@QueryParam("bind") boolean bind) {
        request.requireManageRealm();
        Flows body = mfa.flows(bind);
        request.event(OperationType.CREATE, ResourceType.AUTH_FLOW, body);
        return Answers.ok(body);
    }
}
