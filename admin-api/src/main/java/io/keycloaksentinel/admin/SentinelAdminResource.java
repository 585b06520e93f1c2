package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.SentinelVersion;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.captcha.CaptchaProvider;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.IncidentLedger;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import io.keycloaksentinel.core.detect.RealmSignals;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.keycloak.common.Version;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.policy.PasswordPolicyProvider;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * The JAX-RS resource behind {@code /admin/realms/{realm}/sentinel-admin}. Public: Keycloak's
 * RESTEasy Reactive indexes sub-resource classes at {@code kc.sh build} and answers 405 for
 * methods of a class it cannot invoke.
 */
public class SentinelAdminResource {

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;
    private static final int MAX_LIST = 1000;
    /** The id of Sentinel's password policy (authenticators module). */
    private static final String BREACH_POLICY = "sentinel-breached-password";
    private static final int MAX_USERNAME = 1024;

    public SentinelAdminResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                                 AdminEventBuilder adminEvent) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent.resource(ResourceType.REALM);
    }

    /**
     * What this server runs: Sentinel's version, the Keycloak version, and every Sentinel provider
     * that is deployed, by SPI. Needs the realm's view-realm permission.
     */
    @GET
    @Path("")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> info() {
        auth.realm().requireViewRealm();
        SentinelVersion version = SentinelVersion.current();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("realm", realm.getName());
        body.put("sentinelVersion", version.version());
        body.put("builtForKeycloak", version.keycloakVersion());
        body.put("keycloakVersion", Version.VERSION);
        body.put("providers", deployedSentinelProviders());
        return body;
    }

    /**
     * The realm's attack state, why, and the realm-wide signals behind it, the same on every node.
     * With {@code ?ip=}, also the failed-login counts of that source address and its network.
     */
    @GET
    @Path("attack")
    @Produces(MediaType.APPLICATION_JSON)
    public Response attack(@QueryParam("ip") String ip, @QueryParam("username") String username) {
        auth.realm().requireViewRealm();
        AttackDetector detector = detector();
        if (detector == null) {
            return notDeployed();
        }
        RealmAttackStatus status = detector.states().status(realm.getId());
        RealmSignals signals = detector.states().signals(realm.getId());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("realm", realm.getName());
        body.put("state", status.state().name());
        body.put("since", status.sinceMillis() == 0 ? null : Instant.ofEpochMilli(status.sinceMillis()).toString());
        body.put("reason", status.reason());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("failuresLastMinute", signals.failuresLastMinute());
        s.put("unknownUserFailuresLastMinute", signals.unknownUserFailuresLastMinute());
        s.put("unknownUserShare", signals.unknownUserShare());
        s.put("failuresLastDay", signals.failuresLastDay());
        s.put("baselinePerMinute", signals.baselinePerMinute());
        s.put("successesLastMinute", signals.successesLastMinute());
        body.put("signals", s);
        Map<String, Object> activity = new LinkedHashMap<>();
        detector.activity(realm.getId()).forEach((a, counts) ->
                activity.put(a.key(), Map.of("lastMinute", counts[0], "lastDay", counts[1])));
        body.put("activity", activity);
        if (ip != null) {
            if (ip.length() > 64) {
                return badRequest("ip: too long");
            }
            var counts = detector.source(realm.getId(), ip);
            if (counts.isEmpty()) {
                return badRequest("ip: not an IPv4 or IPv6 address");
            }
            body.put("source", counts.get());
        }
        if (username != null && username.length() > MAX_USERNAME) {
            return badRequest("username: too long");
        }
        if (ip != null || username != null) {
            AttackDetector.RiskAssessment risk = detector.assess(realm.getId(), ip, username);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("level", risk.level().name());
            r.put("reasons", risk.reasons());
            if (username != null) {
                r.put("knownSource", risk.knownSource());
                r.put("unknownSourceFailures15m", detector.unknownSourceFailures15m(realm.getId(), username));
                // the account behind the name (username or email), for admins who may see users: its own count,
                // whatever name it was typed as (smart lockout at the password check)
                if (auth.users().canView()) {
                    org.keycloak.models.UserModel user = org.keycloak.models.utils.KeycloakModelUtils
                            .findUserByNameOrEmail(session, realm, username);
                    if (user != null) {
                        r.put("accountUnknownSourceFailures15m", detector.accountUnknownSourceFailures15m(realm.getId(),
                                user.getId()));
                    }
                }
            }
            body.put("risk", r);
        }
        return Response.ok(body).build();
    }

    /**
     * The realm's top offending addresses (failed logins in 24 h) and networks (15 min), with the
     * distinct usernames each tried in 15 min and whether its login posts are refused now, over
     * the whole cluster. {@code limit} 1..1000 (default 20).
     */
    @GET
    @Path("attack/offenders")
    @Produces(MediaType.APPLICATION_JSON)
    public Response offenders(@QueryParam("limit") Integer limit) {
        auth.realm().requireViewRealm();
        int n = limit == null ? 20 : limit;
        if (n < 1 || n > MAX_LIST) {
            return badRequest("limit must be between 1 and " + MAX_LIST);
        }
        AttackDetector detector = detector();
        return detector == null ? notDeployed() : Response.ok(detector.admin().offenders(realm.getId(), n, false)).build();
    }

    /** Every address and network whose login posts are refused now (at most 1000 of each). */
    @GET
    @Path("attack/throttled")
    @Produces(MediaType.APPLICATION_JSON)
    public Response throttled() {
        auth.realm().requireViewRealm();
        AttackDetector detector = detector();
        return detector == null ? notDeployed() : Response.ok(detector.admin().offenders(realm.getId(), MAX_LIST, true)).build();
    }

    /**
     * Lifts a throttle: body {@code {"source": "192.0.2.7"}} (an address), {@code {"source":
     * "192.0.2.0/24"}} (a network) or {@code {"username": "alice"}} (a smart lockout). Forgets that
     * subject's failure counts on the whole cluster; realm-wide signals are untouched. Needs
     * manage-realm; recorded as an admin event. In the body, not the URL, so usernames stay out of
     * access logs.
     */
    @POST
    @Path("attack/lift")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response lift(Map<String, Object> request) {
        auth.realm().requireManageRealm();
        AttackDetector detector = detector();
        if (detector == null) {
            return notDeployed();
        }
        if (request == null || request.size() != 1
                || !(request.get("source") instanceof String || request.get("username") instanceof String)) {
            return badRequest("expected {\"source\": \"<address or network>\"} or {\"username\": \"<username>\"}");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            if (request.get("source") instanceof String source) {
                body.put("lifted", detector.admin().lift(realm.getId(), source.strip()));
            } else {
                String username = (String) request.get("username");
                if (username.length() > MAX_USERNAME) {
                    return badRequest("username: too long");
                }
                detector.admin().liftUsername(realm.getId(), username);
                // and the account behind the name, whatever name its failures were typed as
                org.keycloak.models.UserModel user = org.keycloak.models.utils.KeycloakModelUtils
                        .findUserByNameOrEmail(session, realm, username.strip());
                if (user != null) {
                    detector.admin().liftAccount(realm.getId(), user.getId());
                }
                body.put("lifted", "username");
            }
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        adminEvent.operation(OperationType.ACTION).resourcePath(session.getContext().getUri())
                .representation(body).success();
        return Response.ok(body).build();
    }

    private AttackDetector detector() {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        return detection == null ? null : detection.detector();
    }

    private static Response notDeployed() {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                .entity(Map.of("error", "the attack detector is not deployed")).build();
    }

    /** The realm's detection thresholds (defaults where none were set). */
    @GET
    @Path("config")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> config() {
        auth.realm().requireViewRealm();
        return configBody(RealmDetectionConfig.fromAttributes(realm::getAttribute));
    }

    private Map<String, Object> configBody(DetectionThresholds thresholds) {
        Map<String, Object> body = new LinkedHashMap<>(RealmDetectionConfig.toMap(thresholds));
        body.put(RealmDetectionConfig.ALLOWLIST,
                RealmDetectionConfig.allowlist(realm::getAttribute).stream().map(Object::toString).toList());
        body.put(RealmDetectionConfig.MODE, RealmDetectionConfig.monitorOnly(realm::getAttribute)
                ? RealmDetectionConfig.MODE_MONITOR : RealmDetectionConfig.MODE_ENFORCE);
        body.put(RealmDetectionConfig.FAIL_CLOSED, RealmDetectionConfig.failClosed(realm::getAttribute));
        return body;
    }

    /**
     * Replaces the realm's detection thresholds. Needs manage-realm. Keys left out take their
     * defaults; an unknown key or a bad value is a 400 that says which and why; nothing is saved then.
     */
    @PUT
    @Path("config")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateConfig(Map<String, Object> update) {
        auth.realm().requireManageRealm();
        DetectionThresholds thresholds;
        java.util.Optional<String> allowlist;
        String mode;
        boolean failClosed;
        try {
            thresholds = RealmDetectionConfig.fromUpdate(update);
            allowlist = RealmDetectionConfig.allowlistFromUpdate(update);
            mode = RealmDetectionConfig.modeFromUpdate(update);
            failClosed = RealmDetectionConfig.failClosedFromUpdate(update);
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        RealmDetectionConfig.toAttributes(thresholds).forEach(realm::setAttribute);
        String allowlistAttribute = RealmDetectionConfig.PREFIX + RealmDetectionConfig.ALLOWLIST;
        if (allowlist.isPresent() && !allowlist.get().isEmpty()) {
            realm.setAttribute(allowlistAttribute, allowlist.get());
        } else {
            realm.removeAttribute(allowlistAttribute);
        }
        realm.setAttribute(RealmDetectionConfig.PREFIX + RealmDetectionConfig.MODE, mode);
        realm.setAttribute(RealmDetectionConfig.PREFIX + RealmDetectionConfig.FAIL_CLOSED, String.valueOf(failClosed));
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            detection.detector().states().configure(realm.getId(), realm.getName(), thresholds);
        }
        Map<String, Object> body = configBody(thresholds);
        adminEvent.operation(OperationType.UPDATE).resourcePath(session.getContext().getUri())
                .representation(body).success();
        return Response.ok(body).build();
    }

    /**
     * The realm's CAPTCHA settings (realm-wide; an execution's authenticator config, set in the
     * admin console, overrides them for its form). The secret is never shown: a set secret reads
     * as {@value CaptchaSettings#MASK}.
     */
    @GET
    @Path("captcha")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> captcha() {
        auth.realm().requireViewRealm();
        return captchaBody();
    }

    private Map<String, Object> captchaBody() {
        Map<String, Object> body = new LinkedHashMap<>(
                CaptchaSettings.read(CaptchaSettings.realmAttributes(realm::getAttribute)).toMap());
        body.put("providers", captchaProviders());
        return body;
    }

    private java.util.Set<String> captchaProviders() {
        return session.getKeycloakSessionFactory().getProviderFactoriesStream(CaptchaProvider.class)
                .map(ProviderFactory::getId).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * Changes some CAPTCHA settings (a partial update: keys left out keep their value; a null
     * restores the default). A bad value is a 400 naming the field, and nothing is saved.
     */
    @PUT
    @Path("captcha")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateCaptcha(Map<String, Object> update) {
        return updateSettings(update, u -> CaptchaSettings.validateUpdate(u, captchaProviders()), CaptchaSettings.PREFIX,
                this::captchaBody);
    }

    /**
     * The realm's breached-password settings, whether the realm's password policy includes
     * Sentinel's check (and its minimum count), and what the server holds (bundled list size,
     * offline index). The settings apply to the policy and to the login check.
     */
    @GET
    @Path("breached-passwords")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> breachedPasswords() {
        auth.realm().requireViewRealm();
        return breachBody();
    }

    private Map<String, Object> breachBody() {
        Map<String, Object> body = new LinkedHashMap<>(
                BreachSettings.read(BreachSettings.realmAttributes(realm::getAttribute)).toMap());
        Object min = realm.getPasswordPolicy() == null ? null : realm.getPasswordPolicy().getPolicyConfig(BREACH_POLICY);
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("inUse", min != null);
        policy.put("minCount", min);
        body.put("policy", policy);
        // users the login check found with a breached password (GET .../users lists them)
        body.put("flaggedUsers", session.users().getUsersCount(realm, Map.of("sentinel.breach.flagged", "true")));
        if (session.getKeycloakSessionFactory().getProviderFactory(PasswordPolicyProvider.class, BREACH_POLICY)
                instanceof ServerInfoAwareProviderFactory info) {
            body.put("server", info.getOperationalInfo());
        }
        return body;
    }

    /**
     * The users the login check found signing in with a breached password: when, what it led to,
     * which source listed the password, and whether a new password is still pending. No password,
     * no hash. At most {@code max} (1..1000) from {@code first}.
     */
    @GET
    @Path("breached-passwords/users")
    @Produces(MediaType.APPLICATION_JSON)
    public Response breachedPasswordUsers(@QueryParam("first") Integer first, @QueryParam("max") Integer max) {
        auth.users().requireView();
        int from = first == null ? 0 : first;
        int count = max == null ? 100 : max;
        if (from < 0 || count < 1 || count > MAX_LIST) {
            return badRequest("first must be 0 or more and max from 1 to " + MAX_LIST);
        }
        // paged by the user store, not in memory
        List<Map<String, Object>> users = session.users()
                .searchForUserStream(realm, Map.of("sentinel.breach.flagged", "true"), from, count)
                .map(u -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", u.getId());
                    m.put("username", u.getUsername());
                    String at = u.getFirstAttribute("sentinel.breach.flaggedAt");
                    m.put("flaggedAt", instant(at));
                    m.put("action", u.getFirstAttribute("sentinel.breach.action"));
                    m.put("source", u.getFirstAttribute("sentinel.breach.source"));
                    m.put("newPasswordPending", u.getRequiredActionsStream()
                            .anyMatch(a -> a.equals(org.keycloak.models.UserModel.RequiredAction.UPDATE_PASSWORD.name())));
                    return m;
                })
                .collect(Collectors.toList());
        return Response.ok(Map.of("users", users)).build();
    }

    /**
     * Changes some breached-password settings (a partial update; a null restores the default). A
     * bad value is a 400 naming the field, and nothing is saved.
     */
    @PUT
    @Path("breached-passwords")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateBreachedPasswords(Map<String, Object> update) {
        return updateSettings(update, BreachSettings::validateUpdate, BreachSettings.PREFIX, this::breachBody);
    }

    /**
     * A partial settings update: validated as a whole first (a 400 naming the field, nothing
     * saved), then stored as realm attributes {@code prefix + key} (null removes one), recorded as
     * an admin event with the new settings.
     */
    private Response updateSettings(Map<String, Object> update,
                                    java.util.function.Function<Map<String, Object>, Map<String, String>> validate,
                                    String prefix, java.util.function.Supplier<Map<String, Object>> body) {
        auth.realm().requireManageRealm();
        Map<String, String> values;
        try {
            values = validate.apply(update);
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        values.forEach((key, value) -> {
            if (value == null) {
                realm.removeAttribute(prefix + key);
            } else {
                realm.setAttribute(prefix + key, value);
            }
        });
        Map<String, Object> after = body.get();
        adminEvent.operation(OperationType.UPDATE).resourcePath(session.getContext().getUri())
                .representation(after).success();
        return Response.ok(after).build();
    }

    /** The realm's new-device alert and security-notification settings. */
    @GET
    @Path("alerts")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> alerts() {
        auth.realm().requireViewRealm();
        return AlertSettings.read(realm::getAttribute).toMap();
    }

    /** Changes some alert settings (a partial update; a null restores the default). */
    @PUT
    @Path("alerts")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateAlerts(Map<String, Object> update) {
        return updateSettings(update, AlertSettings::validateUpdate, AlertSettings.PREFIX,
                () -> AlertSettings.read(realm::getAttribute).toMap());
    }

    /**
     * The realm's enforced-MFA policy and step-up settings (realm-wide; the config of a flow's
     * {@code sentinel-mfa} step overrides them for that flow), with {@code problems}: names that
     * match nothing in the realm, stored values that do not parse.
     */
    @GET
    @Path("mfa")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> mfa() {
        auth.realm().requireViewRealm();
        return new MfaAdmin(session, realm).body();
    }

    /**
     * Changes some MFA settings (a partial update; a null restores the default). A scope or
     * exemption naming an organization, group, role or user that does not exist, an empty factor
     * list, a bad grace: 400 naming it, nothing saved.
     */
    @PUT
    @Path("mfa")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateMfa(Map<String, Object> update) {
        MfaAdmin mfa = new MfaAdmin(session, realm);
        Response response = updateSettings(update, u -> {
            Map<String, String> values = MfaSettings.validateUpdate(u);
            mfa.checkNames(u, values);
            return values;
        }, MfaSettings.PREFIX, mfa::body);
        if (response.getStatus() == 200) {
            mfa.afterUpdate();
            return Response.ok(mfa.body()).build();
        }
        return response;
    }

    /**
     * How many users the policy covers, and of them how many have a factor, are in their grace, or
     * are overdue (also exempt and not covered); {@code ?list=overdue} (or in_grace, enrolled,
     * exempt, not_covered) lists up to {@code listMax} of them. Scans at most {@code max} users.
     */
    @GET
    @Path("mfa/compliance")
    @Produces(MediaType.APPLICATION_JSON)
    public Response mfaCompliance(@QueryParam("max") Integer max, @QueryParam("list") String list,
                                  @QueryParam("listMax") Integer listMax) {
        auth.users().requireView();
        int scan = max == null ? 100_000 : max;
        int show = listMax == null ? 100 : listMax;
        if (scan < 1 || scan > 200_000 || show < 1 || show > MAX_LIST) {
            return badRequest("max must be 1 to 200000 and listMax 1 to " + MAX_LIST);
        }
        if (list != null && !List.of("enrolled", "in_grace", "overdue", "exempt", "not_covered").contains(list)) {
            return badRequest("list must be one of enrolled, in_grace, overdue, exempt, not_covered");
        }
        return Response.ok(new MfaAdmin(session, realm).compliance(scan, list, show)).build();
    }

    /** One user's standing with the MFA policy: state, scopes, factors, grace. */
    @GET
    @Path("mfa/users/{userId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response mfaUser(@PathParam("userId") String userId) {
        auth.users().requireView();
        org.keycloak.models.UserModel user = userOrNull(userId);
        if (user == null) {
            return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error", "no such user")).build();
        }
        return Response.ok(new MfaAdmin(session, realm).user(user)).build();
    }

    /** Gives one user a new grace from now (a lost phone after the grace ended); an admin event. */
    @POST
    @Path("mfa/users/{userId}/grace")
    @Produces(MediaType.APPLICATION_JSON)
    public Response mfaNewGrace(@PathParam("userId") String userId) {
        auth.users().requireManage();
        org.keycloak.models.UserModel user = userOrNull(userId);
        if (user == null) {
            return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error", "no such user")).build();
        }
        MfaAdmin mfa = new MfaAdmin(session, realm);
        mfa.newGrace(user);
        Map<String, Object> body = mfa.user(user);
        adminEvent.operation(OperationType.UPDATE).resource(ResourceType.USER).resourcePath(session.getContext().getUri())
                .representation(body).success();
        return Response.ok(body).build();
    }

    /**
     * Creates the ready flows "sentinel mfa browser" and "sentinel mfa reset credentials" (Sentinel's login
     * form, Keycloak's second-factor forms in a conditional sub-flow, the MFA step; the reset asks
     * for the second factor after the email link) when missing; {@code ?bind=true} binds both.
     */
    @POST
    @Path("mfa/flows")
    @Produces(MediaType.APPLICATION_JSON)
    public Response mfaFlows(@QueryParam("bind") boolean bind) {
        auth.realm().requireManageRealm();
        Map<String, Object> body = new MfaAdmin(session, realm).flows(bind);
        adminEvent.operation(OperationType.CREATE).resource(ResourceType.AUTH_FLOW).resourcePath(session.getContext().getUri())
                .representation(body).success();
        return Response.ok(body).build();
    }

    /**
     * Creates the enumeration-safe registration flow ({@code sentinel registration}: email first,
     * then Keycloak's form with the address locked) when missing; {@code ?bind=true} binds it.
     * Says whether the bound registration and reset flows are enumeration-safe.
     */
    @POST
    @Path("sign-up/flows")
    @Produces(MediaType.APPLICATION_JSON)
    public Response signupFlows(@QueryParam("bind") boolean bind) {
        auth.realm().requireManageRealm();
        Map<String, Object> body = new SignupAdmin(realm).flows(bind);
        adminEvent.operation(OperationType.CREATE).resource(ResourceType.AUTH_FLOW).resourcePath(session.getContext().getUri())
                .representation(body).success();
        return Response.ok(body).build();
    }

    /**
     * Contains accounts in one call: body {@code {"userIds": [...], "signOut": true,
     * "requirePasswordReset": true, "disablePassword": false, "dryRun": false}}. Needs manage-users.
     * Answers per account what was done (or would be, in a dry run) and which ids are unknown; an
     * admin event records the call (not for a dry run).
     */
    @POST
    @Path("incident/contain")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response containAccounts(Map<String, Object> body) {
        auth.users().requireManage();
        IncidentAdmin.Containment request;
        try {
            request = IncidentAdmin.Containment.parse(body);
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        Map<String, Object> answer = new IncidentAdmin(session, realm).contain(request);
        if (!request.dryRun()) {
            adminEvent.operation(OperationType.ACTION).resource(ResourceType.USER).resourcePath(session.getContext().getUri())
                    .representation(answer).success();
        }
        return Response.ok(answer).build();
    }

    /**
     * The accounts that signed in successfully from an address or network Sentinel flagged, between
     * {@code from} and {@code to} (ISO instants; default the last 24 hours; {@code ?attack=current}
     * from the start of the realm's current attack state), with when and from where, and their ids
     * ready for {@code POST incident/contain}. Needs view-users.
     */
    @GET
    @Path("incident/compromised")
    @Produces(MediaType.APPLICATION_JSON)
    public Response compromised(@QueryParam("from") String from, @QueryParam("to") String to,
                                @QueryParam("attack") String attack) {
        auth.users().requireView();
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection == null) {
            return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                    .entity(Map.of("error", "the attack detector is not deployed")).build();
        }
        long now = System.currentTimeMillis();
        long fromMillis;
        long toMillis;
        try {
            toMillis = to == null ? now : Instant.parse(to).toEpochMilli();
            if ("current".equals(attack)) {
                RealmAttackStatus status = detection.detector().states().status(realm.getId());
                if (status.state() == io.keycloaksentinel.core.risk.AttackState.NORMAL) {
                    return badRequest("the realm is not under attack now; give from and to");
                }
                fromMillis = status.sinceMillis();
            } else if (attack != null) {
                return badRequest("attack must be 'current'");
            } else {
                fromMillis = from == null ? toMillis - 24L * 3600 * 1000 : Instant.parse(from).toEpochMilli();
            }
        } catch (java.time.format.DateTimeParseException e) {
            return badRequest("from and to must be ISO instants such as 2026-11-23T08:00:00Z");
        }
        if (toMillis > now + 60_000) {
            return badRequest("to is in the future");
        }
        if (fromMillis >= toMillis) {
            return badRequest("from must be before to");
        }
        if (toMillis - fromMillis > IncidentLedger.INCIDENT_RETENTION.toMillis()) {
            return badRequest("the window may be at most " + IncidentLedger.INCIDENT_RETENTION.toDays()
                    + " days (what Sentinel keeps)");
        }
        Map<String, List<Map<String, Object>>> byUser = new LinkedHashMap<>();
        IncidentLedger incidents = detection.detector().incidents();
        for (IncidentLedger.FlaggedLogin l : incidents.flaggedLogins(realm.getId(), fromMillis, toMillis)) {
            Map<String, Object> login = new LinkedHashMap<>();
            login.put("at", Instant.ofEpochMilli(l.atMillis()).toString());
            login.put("ip", l.ip());
            login.put("network", l.network());
            login.put("flagged", l.flaggedAs());
            byUser.computeIfAbsent(l.userId(), k -> new java.util.ArrayList<>()).add(login);
        }
        List<Map<String, Object>> accounts = new java.util.ArrayList<>();
        byUser.forEach((id, logins) -> {
            org.keycloak.models.UserModel user = session.users().getUserById(realm, id);
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("userId", id);
            a.put("username", user == null ? null : user.getUsername());
            a.put("logins", logins);
            accounts.add(a);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", Instant.ofEpochMilli(fromMillis).toString());
        body.put("to", Instant.ofEpochMilli(toMillis).toString());
        body.put("flaggedSources", incidents.flaggedSources(realm.getId()));
        body.put("accounts", accounts);
        body.put("userIds", List.copyOf(byUser.keySet()));
        return Response.ok(body).build();
    }

    /** Ends every session of the realm ({@code ?dryRun=true}: says so, does nothing). Needs manage-realm; an admin event. */
    @POST
    @Path("incident/sign-out-realm")
    @Produces(MediaType.APPLICATION_JSON)
    public Response signOutRealm(@QueryParam("dryRun") boolean dryRun) {
        auth.realm().requireManageRealm();
        Map<String, Object> answer = new IncidentAdmin(session, realm).signOutRealm(dryRun);
        if (!dryRun) {
            adminEvent.operation(OperationType.ACTION).resourcePath(session.getContext().getUri()).representation(answer)
                    .success();
        }
        return Response.ok(answer).build();
    }

    /** The realm's emergency mode: whether on, until when. */
    @GET
    @Path("incident/emergency")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> emergency() {
        auth.realm().requireViewRealm();
        return new IncidentAdmin(session, realm).emergency();
    }

    /**
     * Starts the emergency mode for {@code {"minutes": N}} (1..1440): every Sentinel CAPTCHA step
     * asks always and the throttle thresholds are divided by 5; it ends by itself. Needs
     * manage-realm; an admin event.
     */
    @PUT
    @Path("incident/emergency")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response startEmergency(Map<String, Object> body) {
        auth.realm().requireManageRealm();
        long minutes;
        try {
            io.keycloaksentinel.core.SettingsValues.checkKeys(body, List.of("minutes"));
            minutes = io.keycloaksentinel.core.SettingsValues.integer("minutes", body.get("minutes"), 1,
                    io.keycloaksentinel.core.detect.Emergency.MAX.toMinutes());
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        Map<String, Object> answer = new IncidentAdmin(session, realm).startEmergency(minutes);
        adminEvent.operation(OperationType.UPDATE).resourcePath(session.getContext().getUri()).representation(answer).success();
        return Response.ok(answer).build();
    }

    /** Ends the emergency mode now. Needs manage-realm; an admin event. */
    @DELETE
    @Path("incident/emergency")
    @Produces(MediaType.APPLICATION_JSON)
    public Response endEmergency() {
        auth.realm().requireManageRealm();
        Map<String, Object> answer = new IncidentAdmin(session, realm).endEmergency();
        adminEvent.operation(OperationType.DELETE).resourcePath(session.getContext().getUri()).representation(answer).success();
        return Response.ok(answer).build();
    }

    /** Where the realm's attack alerts go (email addresses, webhook; the secret masked). */
    @GET
    @Path("admin-alerts")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> adminAlerts() {
        auth.realm().requireViewRealm();
        return io.keycloaksentinel.core.alerts.AdminAlertSettings.read(realm::getAttribute).toMap();
    }

    /**
     * Changes some alert settings (a partial update; null removes one): a webhook URL that is not
     * http(s) or points at this server, a secret shorter than 16 characters, a bad address: 400.
     */
    @PUT
    @Path("admin-alerts")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateAdminAlerts(Map<String, Object> update) {
        java.net.URI base = session.getContext().getUri().getBaseUri();
        int port = base.getPort() != -1 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
        String self = base.getHost() + ":" + port;
        return updateSettings(update, u -> io.keycloaksentinel.core.alerts.AdminAlertSettings.validateUpdate(u, self),
                io.keycloaksentinel.core.alerts.AdminAlertSettings.PREFIX,
                () -> io.keycloaksentinel.core.alerts.AdminAlertSettings.read(realm::getAttribute).toMap());
    }

    /** A user's known devices (browser and OS family, coarse network, first and last seen, trusted). */
    @GET
    @Path("users/{userId}/devices")
    @Produces(MediaType.APPLICATION_JSON)
    public Response devices(@PathParam("userId") String userId) {
        auth.users().requireView();
        org.keycloak.models.UserModel user = userOrNull(userId);
        if (user == null) {
            return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error", "no such user")).build();
        }
        List<Map<String, Object>> out = knownDevices(user).devices().stream().map(d -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("browser", d.browser());
            m.put("os", d.os());
            m.put("network", d.network());
            m.put("firstSeen", java.time.Instant.ofEpochMilli(d.firstSeen()).toString());
            m.put("lastSeen", java.time.Instant.ofEpochMilli(d.lastSeen()).toString());
            m.put("trusted", d.trusted());
            return m;
        }).collect(Collectors.toList());
        return Response.ok(Map.of("devices", out)).build();
    }

    /** Forgets one of a user's devices (its next sign-in counts as new); an admin event. */
    @DELETE
    @Path("users/{userId}/devices/{deviceId}")
    public Response forgetDevice(@PathParam("userId") String userId, @PathParam("deviceId") String deviceId) {
        auth.users().requireManage();
        org.keycloak.models.UserModel user = userOrNull(userId);
        KnownDevices known = user == null ? null : knownDevices(user);
        if (known == null || deviceId == null || known.byId(deviceId).isEmpty()) {
            return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error", "no such user or device")).build();
        }
        // a forgotten device alerts again when it next signs in
        io.keycloaksentinel.core.device.DeviceRecognition.forget(user, known, deviceId);
        adminEvent.operation(OperationType.DELETE).resource(ResourceType.USER)
                .resourcePath(session.getContext().getUri()).success();
        return Response.noContent().build();
    }

    private org.keycloak.models.UserModel userOrNull(String userId) {
        if (userId == null || userId.length() > 64) {
            return null;
        }
        return session.users().getUserById(realm, userId);
    }

    private KnownDevices knownDevices(org.keycloak.models.UserModel user) {
        return io.keycloaksentinel.core.device.DeviceRecognition.devices(user, AlertSettings.read(realm::getAttribute));
    }

    /** Epoch milliseconds as an ISO instant; null for a missing or hand-edited value. */
    private static String instant(String millis) {
        try {
            return millis == null ? null : java.time.Instant.ofEpochMilli(Long.parseLong(millis)).toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Response badRequest(String message) {
        return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", message)).build();
    }

    private Map<String, List<String>> deployedSentinelProviders() {
        Map<String, List<String>> bySpi = new TreeMap<>();
        for (Spi spi : session.getKeycloakSessionFactory().getSpis()) {
            List<String> ids = session.getKeycloakSessionFactory()
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
