package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.IncidentLedger;
import io.keycloaksentinel.core.detect.PasswordSprays;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import io.keycloaksentinel.core.detect.RealmSignals;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * {@code /attack}: the realm's attack state and signals, the risk of a login from a source for a
 * username, the offending and throttled sources over the whole cluster, and lifting a throttle.
 */
public class AttackResource {

    static final int MAX_USERNAME = 1024;
    private static final int MAX_IP = 64;

    private final AdminRequest request;

    AttackResource(AdminRequest request) {
        this.request = request;
    }

    /** What {@code GET /attack} answers; {@code source} and {@code risk} only when asked about one. */
    public record Status(String realm, String state, String since, String reason, Signals signals,
                         Map<String, Counts> activity, AttackDetector.SourceCounts source, Risk risk, Sprays sprays) {
    }

    /**
     * Password spraying ({@code sprayAccountsPerHour}): how many passwords were flagged as sprayed in
     * the last hour (each refused from networks new to an account for an hour), when the last was, and
     * on how many accounts it had been tried. Never a password or its fingerprint.
     */
    public record Sprays(long flaggedLastHour, String lastFlagged, Long lastAccountsTried) {

        static Sprays of(List<IncidentLedger.Spray> sprays) {
            IncidentLedger.Spray last = sprays.stream().max(java.util.Comparator.comparingLong(IncidentLedger.Spray::atMillis))
                    .orElse(null);
            return new Sprays(sprays.size(), last == null ? null : Instant.ofEpochMilli(last.atMillis()).toString(),
                    last == null ? null : last.accounts());
        }
    }

    /** The realm-wide signals, the same on every node. */
    public record Signals(long failuresLastMinute, long unknownUserFailuresLastMinute, double unknownUserShare,
                          long failuresLastDay, double baselinePerMinute, long successesLastMinute, Burst lastTenSeconds,
                          LastHour lastHour) {

        static Signals of(RealmSignals s) {
            RealmSignals.Burst b = s.burst();
            return new Signals(s.failuresLastMinute(), s.unknownUserFailuresLastMinute(), s.unknownUserShare(),
                    s.failuresLastDay(), s.baselinePerMinute(), s.successesLastMinute(),
                    new Burst(b.failures(), b.signatureShare(), b.distinctUsernames(), b.successes()),
                    new LastHour(s.newNetworkAccountsLastHour(), Math.round(s.newNetworkBaselinePerHour() * 10) / 10.0));
        }
    }

    /**
     * The low-and-slow rule's signal: distinct existing accounts that failed to sign in from a
     * network new to them in the last hour, and the realm's hourly baseline of the same.
     */
    public record LastHour(long newNetworkAccounts, double baselinePerHour) {
    }

    /**
     * The burst rule's signals over the realm's last ten seconds: failures, the share with the
     * botnet's signature (unknown username, or refused before the password), distinct typed names, successes.
     */
    public record Burst(long failures, double signatureShare, long distinctUsernames, long successes) {
    }

    /** One kind of account activity. */
    public record Counts(long lastMinute, long lastDay) {
    }

    /**
     * The risk a login from the asked source for the asked username would get; the username's
     * fields only when one was asked, the account's only for an admin who may see users.
     */
    public record Risk(String level, List<String> reasons, Boolean knownSource, Long unknownSourceFailures15m,
                       Long accountUnknownSourceFailures15m) {
    }

    /** What lifting answers: the lifted source as it was matched, or {@code "username"}. */
    public record Lifted(String lifted) {
    }

    /**
     * The realm's attack state, why, and the realm-wide signals behind it, the same on every node.
     * With {@code ?ip=}, also the failed-login counts of that source address and its network.
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response status(@QueryParam("ip") String ip, @QueryParam("username") String username) {
        request.requireViewRealm();
        AttackDetector detector = request.detector();
        if (detector == null) {
            return Answers.detectorNotDeployed();
        }
        String realmId = request.realm().getId();
        RealmAttackStatus status = detector.states().status(realmId);
        RealmSignals signals = detector.states().signals(realmId);
        Map<String, Counts> activity = new LinkedHashMap<>();
        detector.activity(realmId).forEach((a, counts) -> activity.put(a.key(), new Counts(counts[0], counts[1])));
        AttackDetector.SourceCounts source = null;
        if (ip != null) {
            if (ip.length() > MAX_IP) {
                return Answers.badRequest("ip: too long");
            }
            Optional<AttackDetector.SourceCounts> counts = detector.source(realmId, ip);
            if (counts.isEmpty()) {
                return Answers.badRequest("ip: not an IPv4 or IPv6 address");
            }
            source = counts.get();
        }
        if (username != null && username.length() > MAX_USERNAME) {
            return Answers.badRequest("username: too long");
        }
        return Answers.ok(new Status(request.realm().getName(), status.state().name(),
                status.sinceMillis() == 0 ? null : Instant.ofEpochMilli(status.sinceMillis()).toString(), status.reason(),
                Signals.of(signals), activity, source,
                ip != null || username != null ? risk(detector, ip, username) : null,
                Sprays.of(detector.incidents().sprays(realmId,
                        System.currentTimeMillis() - PasswordSprays.WINDOW.length().toMillis()))));
    }

    private Risk risk(AttackDetector detector, String ip, String username) {
        RealmModel realm = request.realm();
        AttackDetector.RiskAssessment risk = detector.assess(realm.getId(), ip, username);
        if (username == null) {
            return new Risk(risk.level().name(), risk.reasons(), null, null, null);
        }
        // the account behind the name (username or email), for admins who may see users: its own count,
        // whatever name it was typed as (smart lockout at the password check)
        Long account = null;
        if (request.canViewUsers()) {
            UserModel user = KeycloakModelUtils.findUserByNameOrEmail(request.session(), realm, username);
            if (user != null) {
                account = detector.accountUnknownSourceFailures15m(realm.getId(), user.getId());
            }
        }
        return new Risk(risk.level().name(), risk.reasons(), risk.knownSource(),
                detector.unknownSourceFailures15m(realm.getId(), username), account);
    }

    /**
     * The realm's top offending addresses (failed logins in 24 h) and networks (15 min), with the
     * distinct usernames each tried in 15 min and whether its login posts are refused now, over
     * the whole cluster. {@code limit} 1..1000 (default 20).
     */
    @GET
    @Path("offenders")
    @Produces(MediaType.APPLICATION_JSON)
    public Response offenders(@QueryParam("limit") Integer limit) {
        request.requireViewRealm();
        int n = limit == null ? 20 : limit;
        if (n < 1 || n > AdminRequest.MAX_LIST) {
            return Answers.badRequest("limit must be between 1 and " + AdminRequest.MAX_LIST);
        }
        return offenders(n, false);
    }

    /** Every address and network whose login posts are refused now (at most 1000 of each). */
    @GET
    @Path("throttled")
    @Produces(MediaType.APPLICATION_JSON)
    public Response throttled() {
        request.requireViewRealm();
        return offenders(AdminRequest.MAX_LIST, true);
    }

    private Response offenders(int limit, boolean onlyThrottled) {
        AttackDetector detector = request.detector();
        return detector == null ? Answers.detectorNotDeployed()
                : Answers.ok(detector.admin().offenders(request.realm().getId(), limit, onlyThrottled));
    }

    /**
     * Lifts a throttle: body {@code {"source": "192.0.2.7"}} (an address), {@code {"source":
     * "192.0.2.0/24"}} (a network) or {@code {"username": "alice"}} (a smart lockout). Forgets that
     * subject's failure counts on the whole cluster; realm-wide signals are untouched. Needs
     * manage-realm; recorded as an admin event. In the body, not the URL, so usernames stay out of
     * access logs.
     */
    @POST
    @Path("lift")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response lift(Map<String, Object> body) {
        request.requireManageRealm();
        AttackDetector detector = request.detector();
        if (detector == null) {
            return Answers.detectorNotDeployed();
        }
        // the detector refuses a source that is no address or network (or a network of another size): a 400 too
        return Answers.validated(() -> {
            LiftRequest lift = LiftRequest.parse(body);
            return new Lifted(lift.source() != null ? liftSource(detector, lift.source())
                    : liftUsername(detector, lift.username()));
        }, lifted -> {
            request.realmEvent(OperationType.ACTION, lifted);
            return Answers.ok(lifted);
        });
    }

    private String liftSource(AttackDetector detector, String source) {
        return detector.admin().lift(request.realm().getId(), source.strip());
    }

    private String liftUsername(AttackDetector detector, String username) {
        RealmModel realm = request.realm();
        detector.admin().liftUsername(realm.getId(), username);
        // and the account behind the name, whatever name its failures were typed as
        UserModel user = KeycloakModelUtils.findUserByNameOrEmail(request.session(), realm, username.strip());
        if (user != null) {
            detector.admin().liftAccount(realm.getId(), user.getId());
        }
        return "username";
    }

    /** A lift request's subject: a source (address or network) or a username, never both. */
    record LiftRequest(String source, String username) {

        /** @throws IllegalArgumentException with the message the 400 answers */
        static LiftRequest parse(Map<String, Object> body) {
            if (body == null || body.size() != 1
                    || !(body.get("source") instanceof String || body.get("username") instanceof String)) {
                throw new IllegalArgumentException(
                        "expected {\"source\": \"<address or network>\"} or {\"username\": \"<username>\"}");
            }
            if (body.get("source") instanceof String source) {
                return new LiftRequest(source, null);
            }
            String username = (String) body.get("username");
            if (username.length() > MAX_USERNAME) {
                throw new IllegalArgumentException("username: too long");
            }
            return new LiftRequest(null, username);
        }
    }
}
