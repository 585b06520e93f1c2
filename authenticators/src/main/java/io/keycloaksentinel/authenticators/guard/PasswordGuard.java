package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.HashBulkhead;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceCookie;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.device.KnownDevices;
import io.keycloaksentinel.core.detect.LoginOutcome;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.risk.Risk;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * The rule every password check of a login obeys, wherever it runs (Sentinel's form, Keycloak's
 * own forms, the password grant of any client, identity-first, re-authentication): the request's
 * one risk decision ({@link RequestRisk}) says whether the password may be hashed at all.
 *
 * <ul>
 *   <li>a throttled source, or an account locked against unknown networks (smart lockout, whatever
 *       name the account was typed as): never hashed, on any path;</li>
 *   <li>on the password grant (the token endpoint: no page, so no CAPTCHA and no second proof can
 *       be asked), also HIGH risk (the realm under attack) from a network the account never signed
 *       in from;</li>
 *   <li>a sprayed password (tried on many accounts from networks new to them,
 *       {@code detect.PasswordSprays}) from a network the account never signed in from: never hashed,
 *       on any path. The owner's known networks keep signing in with it, and are asked to change it.</li>
 * </ul>
 * A refused check answers exactly as a wrong password does on that path, so the answer says
 * nothing about the password. Monitoring-only realms log and count instead. On browser pages a
 * HIGH-risk check goes on: Sentinel's login form answers it with its CAPTCHA and the step-up
 * (Keycloak's own form cannot ask either: bind Sentinel's).
 */
public final class PasswordGuard {

    private static final Logger LOG = Logger.getLogger(PasswordGuard.class);
    private static final String TOKEN_PATH_END = "/protocol/openid-connect/token";

    private PasswordGuard() {
    }

    /**
     * What the guard decided for one password check: check it; refuse it without a hash; or refuse
     * it after the same hash a wrong password costs (a sprayed password: its refusal must not be
     * faster than a wrong password's, or an unknown name's dummy hash, lest time tell which
     * usernames exist).
     */
    public enum Verdict { CHECK, REFUSE, REFUSE_AFTER_HASH }

    /**
     * Whether the password of {@code user} may be checked on this request. Outside an HTTP request
     * (no connection: a background task) there is nothing to decide and the check goes on.
     */
    public static Verdict beforePasswordCheck(KeycloakSession session, RealmModel realm, UserModel user, String password) {
        if (realm == null || user == null) {
            return Verdict.CHECK;
        }
        try {
            if (session.getContext().getConnection() == null) {
                return Verdict.CHECK;
            }
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null) {
                return Verdict.CHECK;
            }
            Risk risk = detection.risk().forPassword(realm, user, password);
            boolean noPage = detection.risk().hasNoPage() || tokenEndpoint(session);
            // a contained account's next sign-in needs a second proof, which a path without pages cannot ask
            boolean contained = noPage && ContainmentSettings.contained(user, org.keycloak.common.util.Time.currentTimeMillis());
            boolean refuse = noPage ? risk.refusesUnprovenPassword() || contained : risk.throttled();
            if (!refuse && risk.refusesSprayedPassword()) {
                count(realm, "refused_sprayed");
                LOG.debugf("Sentinel: refused a sprayed password in realm '%s' from a network new to the account", realm.getName());
                return Verdict.REFUSE_AFTER_HASH;
            }
            if (!refuse) {
                if ((noPage ? risk.wouldRefuseUnprovenPassword() : risk.wouldThrottle()) || risk.wouldRefuseSprayedPassword()) {
                    count(realm, "monitored");
                    LOG.infof("Sentinel (monitoring only): would refuse a password check in realm '%s' without hashing: %s",
                            realm.getName(), String.join("; ", risk.reasons()));
                }
                return Verdict.CHECK;
            }
            count(realm, "refused");
            LOG.debugf("Sentinel: refused a password check in realm '%s' without hashing: %s", realm.getName(),
                    String.join("; ", risk.reasons()));
            return Verdict.REFUSE;
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: password guard failed in realm '%s', checking the password: %s", realm.getName(), e.toString());
            return Verdict.CHECK;
        }
    }

    /**
     * After a right password: a sign-in from a network new to the account is kept for the spray
     * signature, and an owner whose password is sprayed is asked to change it (Keycloak's
     * UPDATE_PASSWORD, after the flow's second proof). Never throws.
     */
    public static void afterRightPassword(KeycloakSession session, RealmModel realm, UserModel user) {
        try {
            if (realm == null || user == null || session.getContext().getConnection() == null) {
                return;
            }
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection != null && detection.risk().passwordAccepted(realm, user)) {
                // this login's own required action (after the flow's second proof), never the account's: an owner who
                // stops here leaves nothing for the next person who types the password
                var authSession = session.getContext().getAuthenticationSession();
                if (authSession == null || detection.risk().hasNoPage() || tokenEndpoint(session)) {
                    return; // no page to ask it on (the password grant): the owner's apps keep working
                }
                authSession.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
                count(realm, "sprayed_change_asked");
                LOG.infof("Sentinel: user %s of realm '%s' signed in with a sprayed password from a known network;"
                        + " asked to change it", user.getId(), realm.getName());
            }
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: after a right password: %s", e.toString());
        }
    }

    /**
     * Thrown from a password check the node's hash bulkhead has no room for, to a step that said it
     * can answer it as a throttled request ({@link io.keycloaksentinel.core.detect.RequestRisk#busyAnswerable}):
     * nothing was checked, so the answer is the same for right and wrong passwords. No stack trace.
     */
    public static final class BulkheadFull extends RuntimeException {
        public BulkheadFull() {
            super("the hash bulkhead is full", null, false, false);
        }
    }

    /** How long a client refused by a full bulkhead is asked to wait (s). */
    public static final int BUSY_RETRY_AFTER_SECONDS = 5;

    /**
     * A turn for this request's password hash: at once for a check known to be safe (a returning
     * user), otherwise from the node's hash bulkhead (waiting at most its wait); null when the
     * bulkhead is full (the check must not hash). Outside a request, or without the detector: at once.
     */
    public static HashBulkhead.Turn turnForHash(KeycloakSession session, RealmModel realm, UserModel user) {
        try {
            if (realm == null || session.getContext().getConnection() == null) {
                return HashBulkhead.FREE;
            }
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            HashBulkhead bulkhead = detection == null ? HashBulkhead.OFF : detection.detector().bulkhead();
            if (!bulkhead.on() || detection.risk().safeForHash(realm, user,
                    () -> user != null && knownDevice(session, realm, user, detection))) {
                return HashBulkhead.FREE;
            }
            HashBulkhead.Turn turn = bulkhead.enter();
            if (turn == null) {
                count(realm, "bulkhead_refused");
                LOG.debugf("Sentinel: the hash bulkhead is full; refused a password check in realm '%s' without hashing",
                        realm.getName());
            }
            return turn;
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: hash bulkhead failed, checking the password: %s", e.toString());
            return HashBulkhead.FREE;
        }
    }

    /**
     * Keycloak's dummy hash for a name that matches no account, under the node's hash bulkhead like
     * any risky check (an unknown name is never known to be safe, unless the source is allowlisted):
     * {@code dummyHash} runs with a turn; when there is none it does not run and {@link BulkheadFull}
     * is thrown, so the answer is the busy one, exactly as for an existing account.
     */
    public static void dummyHashUnderBulkhead(KeycloakSession session, RealmModel realm, Runnable dummyHash) {
        HashBulkhead.Turn turn = turnForHash(session, realm, null);
        if (turn == null) {
            throw new BulkheadFull();
        }
        try (turn) {
            dummyHash.run();
        }
    }

    /** Whether the request carries Sentinel's device cookie of a device the account signed in from. */
    private static boolean knownDevice(KeycloakSession session, RealmModel realm, UserModel user,
                                       AttackDetectionProvider detection) {
        try {
            var cookie = session.getContext().getRequestHeaders().getCookies().get(DeviceCookie.NAME);
            if (cookie == null || cookie.getValue() == null || cookie.getValue().isEmpty()) {
                return false;
            }
            DeviceRecognition seen = DeviceRecognition.observe(session, realm, detection.detector(), cookie.getValue(),
                    detection.risk().ip());
            return seen.match(DeviceRecognition.devices(user, AlertSettings.read(realm::getAttribute)))
                    == KnownDevices.Match.COOKIE;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether the step checking this request's password can answer a full bulkhead as a throttle. */
    static boolean busyAnswerable(KeycloakSession session) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        return detection != null && detection.risk().canAnswerBusy();
    }

    /** Whether a new password must be refused: it is sprayed across the realm's accounts now. Never throws. */
    public static boolean sprayed(KeycloakSession session, RealmModel realm, String password) {
        try {
            AttackDetectionProvider detection = realm == null ? null : session.getProvider(AttackDetectionProvider.class);
            return detection != null && detection.risk().sprayedPassword(realm, password);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether this request is the token endpoint (the password grant: no page to ask anything on). */
    static boolean tokenEndpoint(KeycloakSession session) {
        try {
            return isTokenPath(session.getContext().getUri().getPath());
        } catch (RuntimeException e) {
            return false; // no request URI: not the token endpoint
        }
    }

    /** Whether {@code path} is a realm's token endpoint, with or without trailing slashes or matrix parameters. */
    static boolean isTokenPath(String path) {
        if (path == null) {
            return false;
        }
        int matrix = path.indexOf(';');
        int end = matrix >= 0 ? matrix : path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--; // a trailing slash reaches the same endpoint
        }
        return path.startsWith(TOKEN_PATH_END, end - TOKEN_PATH_END.length());
    }

    /** Counts a refusal made before the user was looked up (the password grant's first step). */
    static void countRefusedBeforeLookup(KeycloakSession session, RealmModel realm, String typedUsername) {
        count(realm, "refused_before_lookup");
        recordRefused(session, realm, typedUsername);
    }

    /** Records a post refused without a password check (the detector counts it for the realm and the address). */
    static void recordRefused(KeycloakSession session, RealmModel realm, String typedUsername) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection != null) {
            try {
                detection.detector().record(realm.getId(), realm.getName(), LoginOutcome.REFUSED, detection.risk().ip(),
                        typedUsername);
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not count a refused password post: %s", e.toString());
            }
        }
    }

    static void count(RealmModel realm, String outcome) {
        Counter.builder("sentinel_password_guard_total")
                .description("Password checks the risk decision refused before any hash (or would have, monitoring only)")
                .tag("realm", realm.getName()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }
}
