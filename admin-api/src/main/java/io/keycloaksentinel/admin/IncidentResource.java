package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.Emergency;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mfa.flow.MfaStepConfig;
import io.keycloaksentinel.core.risk.AttackState;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;

/**
 * {@code /incident}: the accounts entered from flagged sources, containing accounts, signing out
 * the realm, and the realm's emergency mode. {@link IncidentAdmin} does the work.
 */
public class IncidentResource {

    private final AdminRequest request;
    private final IncidentAdmin incidents;

    IncidentResource(AdminRequest request) {
        this.request = request;
        this.incidents = new IncidentAdmin(request.session(), request.realm());
    }

    /** What containing answers: per account what was done (or would be, in a dry run), and the unknown ids. */
    public record Contained(boolean dryRun, List<Account> handled, List<String> notFound) {
    }

    /** One contained account; {@code done} or, in a dry run, {@code wouldDo}; {@code failed} only when something failed. */
    public record Account(String id, String username, List<String> done, List<String> wouldDo, List<String> failed) {
    }

    /** What signing out a realm answers: from when tokens are refused. */
    public record RealmSignOut(boolean dryRun, String notBefore) {
    }

    /** The realm's emergency mode: whether on, until when, what it does. */
    public record EmergencyMode(boolean active, String until, String captcha, int throttleDivisor) {
    }

    /** What {@code GET /incident/compromised} answers: the window, the accounts and their ids, ready to contain. */
    public record Compromised(String from, String to, int flaggedSources, List<CompromisedAccount> accounts,
                              List<String> userIds) {
    }

    /**
     * An account that signed in from a flagged source or as a likely break-in of an attack
     * ({@code username} absent for a deleted user); {@code contained}: its next sign-in needs a second proof.
     */
    public record CompromisedAccount(String userId, String username, boolean contained, List<FlaggedLogin> logins) {
    }

    /**
     * One suspect sign-in: when, from where, and why: {@code flagged} "ip" or "network" (its source
     * was flagged), "new-sign-in" (a likely break-in of an attack) or "password-spraying" (a sign-in
     * with a sprayed password from a network new to the account), {@code reasons} saying which signs.
     */
    public record FlaggedLogin(String at, String ip, String network, String flagged, List<String> reasons) {
    }

    /**
     * Contains accounts in one call: body {@code {"userIds": [...], "signOut": true,
     * "requirePasswordReset": true, "disablePassword": false, "dryRun": false}}. Needs manage-users.
     * Answers per account what was done (or would be, in a dry run) and which ids are unknown; an
     * admin event records the call (not for a dry run).
     */
    @POST
    @Path("contain")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response contain(Map<String, Object> body) {
        request.requireManageUsers();
        return Answers.validated(() -> Containment.parse(body), containment -> {
            Contained answer = incidents.contain(containment);
            if (!containment.dryRun()) {
                request.event(OperationType.ACTION, ResourceType.USER, answer);
            }
            return Answers.ok(answer);
        });
    }

    /**
     * The accounts that signed in successfully from an address or network Sentinel flagged, or as a
     * likely break-in of an attack (a new device, a new network and a source with no history, during
     * the attack or the realm's look-back before it), between
     * {@code from} and {@code to} (ISO instants; default the last 24 hours; {@code ?attack=current}
     * from the start of the realm's current attack state), with when and from where, and their ids
     * ready for {@code POST incident/contain}. Needs view-users.
     */
    @GET
    @Path("compromised")
    @Produces(MediaType.APPLICATION_JSON)
    public Response compromised(@QueryParam("from") String from, @QueryParam("to") String to,
                                @QueryParam("attack") String attack) {
        request.requireViewUsers();
        AttackDetector detector = request.detector();
        if (detector == null) {
            return Answers.detectorNotDeployed();
        }
        Supplier<OptionalLong> attackSince = () -> {
            RealmAttackStatus status = detector.states().status(request.realm().getId());
            return status.state() == AttackState.NORMAL ? OptionalLong.empty() : OptionalLong.of(status.sinceMillis());
        };
        return Answers.validated(() -> IncidentWindow.parse(from, to, attack, attackSince, System.currentTimeMillis()),
                window -> Answers.ok(incidents.compromised(detector.incidents(), window)));
    }

    /**
     * The realm's containment policy ({@code {"containment": "off|notify|contain", "lookBackMinutes": 2}}):
     * what happens on its own to the likely break-ins of an attack. Read with view-realm, changed with
     * manage-realm (an admin event).
     */
    @Path("containment")
    public SettingsResource containment() {
        return new SettingsResource(request, ContainmentSettings.TABLE, update -> {
            Map<String, String> values = ContainmentSettings.TABLE.validateUpdate(update);
            if (ContainmentSettings.CONTAIN.equals(values.get(ContainmentSettings.POLICY))
                    && !MfaStepConfig.browserFlowHasStep(request.realm())) {
                // without the step nothing asks a contained account's second proof: the browser form would let it in
                throw new IllegalArgumentException("containment 'contain' needs Sentinel's MFA step in the realm's browser flow "
                        + "(POST mfa/flows?bind=true binds the ready one); 'notify' works without it");
            }
            return values;
        }, () -> ContainmentSettings.read(request.realm()::getAttribute).toMap());
    }

    /** Ends every session of the realm ({@code ?dryRun=true}: says so, does nothing). Needs manage-realm; an admin event. */
    @POST
    @Path("sign-out-realm")
    @Produces(MediaType.APPLICATION_JSON)
    public RealmSignOut signOutRealm(@QueryParam("dryRun") boolean dryRun) {
        request.requireManageRealm();
        RealmSignOut answer = incidents.signOutRealm(dryRun);
        if (!dryRun) {
            request.realmEvent(OperationType.ACTION, answer);
        }
        return answer;
    }

    /** The realm's emergency mode: whether on, until when. */
    @GET
    @Path("emergency")
    @Produces(MediaType.APPLICATION_JSON)
    public EmergencyMode emergency() {
        request.requireViewRealm();
        return incidents.emergency();
    }

    /**
     * Starts the emergency mode for {@code {"minutes": N}} (1..1440): every Sentinel CAPTCHA step
     * asks always and the throttle thresholds are divided by 5; it ends by itself. Needs
     * manage-realm; an admin event.
     */
    @PUT
    @Path("emergency")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response startEmergency(Map<String, Object> body) {
        request.requireManageRealm();
        return Answers.validated(() -> emergencyMinutes(body), minutes -> {
            EmergencyMode answer = incidents.startEmergency(minutes);
            request.realmEvent(OperationType.UPDATE, answer);
            return Answers.ok(answer);
        });
    }

    /** Ends the emergency mode now. Needs manage-realm; an admin event. */
    @DELETE
    @Path("emergency")
    @Produces(MediaType.APPLICATION_JSON)
    public EmergencyMode endEmergency() {
        request.requireManageRealm();
        EmergencyMode answer = incidents.endEmergency();
        request.realmEvent(OperationType.DELETE, answer);
        return answer;
    }

    /**
     * The minutes of {@code {"minutes": N}}, 1 to {@link Emergency#MAX}.
     *
     * @throws IllegalArgumentException with the message the 400 answers
     */
    static long emergencyMinutes(Map<String, Object> body) {
        SettingsValues.checkKeys(body, List.of("minutes"));
        return SettingsValues.integer("minutes", body.get("minutes"), 1, Emergency.MAX.toMinutes());
    }
}
