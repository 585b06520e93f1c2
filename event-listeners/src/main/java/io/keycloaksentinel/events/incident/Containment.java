package io.keycloaksentinel.events.incident;

import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.IncidentLedger;
import io.keycloaksentinel.core.detect.IncidentLedger.AttackPeriod;
import io.keycloaksentinel.core.detect.IncidentLedger.BreakIn;
import io.keycloaksentinel.core.detect.PasswordSprays;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import io.keycloaksentinel.core.device.AlertSettings;
import io.keycloaksentinel.core.device.DeviceRecognition;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mail.MailOutbox;
import io.keycloaksentinel.core.risk.AttackState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.credential.CredentialModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.managers.UserSessionManager;

/**
 * The realm's containment policy ({@link ContainmentSettings}) at work: while a realm is under
 * attack, every likely break-in of the attack (a sign-in from a new device, a new network and a
 * source with no history, from the look-back before the attack began to now) is acted on once,
 * cluster-wide: with {@code contain} its account's sessions (online and offline) end, its tokens
 * stop working, its next sign-in needs a second proof ({@link ContainmentSettings#MARK}, asked by
 * Sentinel's MFA step; the password grant refuses it) and its owner is told; with {@code notify} the
 * owner is only told. The owner's way out needs no admin: signing in again with the emailed code
 * (or a second factor), or a new password through "Forgot password?".
 *
 * <p>Off the login path: on this class's own thread, in a fresh Keycloak session, right when the
 * attack is declared and then at each evaluation while it lasts (about every second), so a break-in
 * recorded on another node is contained within seconds of its flush. At most one sweep per realm
 * waits; at most {@value #MAX_PER_SWEEP} accounts per sweep (the rest at the next).
 */
public final class Containment {

    static final int MAX_PER_SWEEP = 500;
    /** Recorded for an account whose sessions ended but which could not be marked (no way to prove itself, not writable). */
    static final String SIGNED_OUT = "signed-out";
    private static final Duration STALE = Duration.ofHours(6);
    private static final Logger LOG = Logger.getLogger(Containment.class);

    private final KeycloakSessionFactory factory;
    private final ThreadPoolExecutor pool;
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();

    Containment(KeycloakSessionFactory factory) {
        this.factory = factory;
        this.pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(200), r -> {
            Thread t = new Thread(r, "sentinel-containment");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A state change recorded by this node: when the realm enters UNDER_ATTACK, its break-ins are
     * contained first, then {@code then} runs (the admin alert, which says what was contained).
     */
    void stateChanged(String realmId, AttackDetector detector, RealmAttackStatus from, RealmAttackStatus to, Runnable then) {
        Runnable job = then;
        if (from.state() != AttackState.UNDER_ATTACK && to.state() == AttackState.UNDER_ATTACK) {
            long start = IncidentLedger.attackStart(from, to);
            job = () -> {
                sweepQuietly(realmId, detector, new AttackPeriod(start, Long.MAX_VALUE));
                then.run();
            };
        }
        submit(job, then);
    }

    /** Each evaluation: a sweep for every realm this node serves that is under attack (one waiting per realm). */
    void tick(AttackDetector detector) {
        for (String realmId : detector.states().activeRealmIds()) {
            RealmAttackStatus status = detector.states().status(realmId);
            if (status.state() != AttackState.UNDER_ATTACK || !waiting.add(realmId)) {
                continue;
            }
            submit(() -> {
                try {
                    sweepQuietly(realmId, detector, new AttackPeriod(status.sinceMillis(), Long.MAX_VALUE));
                } finally {
                    waiting.remove(realmId);
                }
            }, () -> waiting.remove(realmId));
        }
    }

    /** How long after a spray's flag its sign-ins are looked at once more (those other nodes flush late). */
    static final long SPRAY_SECOND_LOOK_MILLIS = 5_000;

    /**
     * A sprayed password flagged by this node: each sign-in it made from a network new to its
     * account (within the spray's window) is acted on by the realm's policy, then {@code then} runs
     * (the admin alert, which says what was contained); the sign-ins are looked at once more a few
     * seconds later.
     */
    void sprayFlagged(String realmId, AttackDetector detector, PasswordSprays.Flag flag, Runnable then) {
        submit(() -> {
            sweepSprayQuietly(realmId, detector, flag);
            then.run();
        }, then);
        java.util.concurrent.CompletableFuture.delayedExecutor(SPRAY_SECOND_LOOK_MILLIS, TimeUnit.MILLISECONDS)
                .execute(() -> submit(() -> sweepSprayQuietly(realmId, detector, flag), () -> { }));
    }

    private void sweepSprayQuietly(String realmId, AttackDetector detector, PasswordSprays.Flag flag) {
        try {
            // the sign-ins this node made with the password and has not flushed yet (the flag was read from the cluster)
            detector.flush();
            int acted = 0;
            for (PasswordSprays.Entered e : detector.sprays().entered(realmId, flag)) {
                detector.incidents().rememberSprayedSignIn(realmId, e); // for the finder, whatever the policy
                String key = "contain|" + e.userId() + "|" + e.atMillis();
                if (acted >= MAX_PER_SWEEP || done.contains(key)) {
                    continue;
                }
                IncidentLedger.NewSignIn in = new IncidentLedger.NewSignIn(e.userId(), e.ip(), e.network(), e.atMillis());
                try {
                    if (KeycloakModelUtils.runJobInTransactionWithResult(factory,
                            session -> actOnSprayed(session, realmId, detector, in, key))) {
                        acted++;
                    }
                } catch (RuntimeException ex) {
                    LOG.warnf("Sentinel: containment of user %s of realm %s failed: %s", e.userId(), realmId, ex.toString());
                }
                remember(key);
            }
            if (acted > 0) {
                LOG.infof("Sentinel: realm %s: %d sign-ins with a sprayed password acted on", realmId, acted);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: containment of a password spray in realm %s failed: %s", realmId, e.toString());
        }
    }

    /**
     * Claims a sign-in made with a sprayed password and acts on it by the realm's policy; with
     * {@code contain} the owner also chooses a new password after the second proof, and only the new
     * password releases the account (the password is the attackers'). False when claimed already, the
     * policy is off or the account is gone.
     */
    private static boolean actOnSprayed(KeycloakSession session, String realmId, AttackDetector detector,
                                        IncidentLedger.NewSignIn in, String key) {
        RealmModel realm = session.realms().getRealm(realmId);
        if (realm == null || Config.getAdminRealm().equals(realm.getName())) {
            return false;
        }
        ContainmentSettings settings = ContainmentSettings.read(realm::getAttribute);
        if (!settings.on() || !detector.keys().claimOnce(realmId, key, IncidentLedger.INCIDENT_RETENTION)) {
            return false;
        }
        session.getContext().setRealm(realm);
        UserModel user = session.users().getUserById(realm, in.userId());
        if (user == null) {
            return false;
        }
        String how = act(session, realm, user, in, settings, true, detector);
        if (ContainmentSettings.CONTAIN.equals(how)) {
            // the password is the attackers': the proof leads to a new one, and only that releases the account
            user.setSingleAttribute(ContainmentSettings.UNTIL_NEW_PASSWORD, "sprayed-password");
        }
        detector.incidents().rememberContained(realmId, user.getId(), in.atMillis(), how);
        return true;
    }

    private void submit(Runnable job, Runnable ifDropped) {
        try {
            pool.execute(job);
        } catch (RejectedExecutionException e) {
            ifDropped.run();
        }
    }

    private void sweepQuietly(String realmId, AttackDetector detector, AttackPeriod declared) {
        try {
            List<BreakIn> found = KeycloakModelUtils.runJobInTransactionWithResult(factory,
                    session -> breakIns(session, realmId, detector, declared));
            int acted = 0;
            for (BreakIn b : found) {
                if (acted >= MAX_PER_SWEEP) {
                    break;
                }
                String key = "contain|" + b.signIn().userId() + "|" + b.signIn().atMillis();
                if (done.contains(key)) {
                    continue;
                }
                // one transaction per account: one account that cannot be written does not undo the others
                try {
                    if (KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> actOn(session, realmId, detector, b, key))) {
                        acted++;
                    }
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: containment of user %s of realm %s failed: %s", b.signIn().userId(), realmId, e.toString());
                }
                remember(key);
            }
            if (acted > 0) {
                LOG.infof("Sentinel: realm %s under attack: %d likely break-ins acted on", realmId, acted);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: containment of realm %s failed: %s", realmId, e.toString());
        }
    }

    /** Sign-ins this node acted on or saw claimed (no cluster round trip for them at the next tick); bounded. */
    private final Set<String> done = ConcurrentHashMap.newKeySet();

    private void remember(String key) {
        if (done.size() >= 20_000) {
            done.clear();
        }
        done.add(key);
    }

    /**
     * The break-ins of the realm's current attack, when its policy is on (none otherwise).
     * {@code declared}: the attack as this node knows it, for when the ledger has not seen its
     * start yet (flushed within a second).
     */
    private static List<BreakIn> breakIns(KeycloakSession session, String realmId, AttackDetector detector,
                                          AttackPeriod declared) {
        RealmModel realm = session.realms().getRealm(realmId);
        if (realm == null || Config.getAdminRealm().equals(realm.getName())) {
            return List.of(); // the admin realm: containing its admins would lock the server's own administration
        }
        ContainmentSettings settings = ContainmentSettings.read(realm::getAttribute);
        if (!settings.on()) {
            return List.of();
        }
        IncidentLedger ledger = detector.incidents();
        AttackPeriod current = ledger.attacks(realmId).stream().filter(AttackPeriod::ongoing).findFirst()
                .filter(a -> a.startMillis() <= declared.startMillis() && a.startMillis() >= declared.startMillis() - STALE.toMillis())
                .orElse(declared); // an "ongoing" attack far older than this one lost its end: not this attack
        Duration lookBack = Duration.ofMinutes(settings.lookBackMinutes());
        return ledger.likelyBreakIns(realmId, current.startMillis() - lookBack.toMillis(), Time.currentTimeMillis(), lookBack,
                List.of(current));
    }

    /** Claims one break-in in the cluster and acts on it; false when it was claimed already or is not acted on. */
    private static boolean actOn(KeycloakSession session, String realmId, AttackDetector detector, BreakIn b, String key) {
        RealmModel realm = session.realms().getRealm(realmId);
        if (realm == null) {
            return false;
        }
        ContainmentSettings settings = ContainmentSettings.read(realm::getAttribute);
        IncidentLedger.NewSignIn in = b.signIn();
        if (!settings.on() || !detector.keys().claimOnce(realmId, key, IncidentLedger.INCIDENT_RETENTION)) {
            return false; // acted on already, by this node or another, during the whole time it is kept
        }
        session.getContext().setRealm(realm);
        UserModel user = session.users().getUserById(realm, in.userId());
        Long created = user == null ? null : user.getCreatedTimestamp();
        long windowStart = b.attack().startMillis() - settings.lookBackMinutes() * 60_000L;
        if (user == null || (created != null && created >= windowStart)) {
            return false; // gone, or an account created within the window: its first sign-in is new in every way
        }
        detector.incidents().rememberContained(realmId, user.getId(), in.atMillis(), act(session, realm, user, in, settings, false, detector));
        return true;
    }

    /** What was done: {@code contain}, {@code signed-out} (no second proof possible: not marked), or {@code notify}. */
    private static String act(KeycloakSession session, RealmModel realm, UserModel user, IncidentLedger.NewSignIn in,
                            ContainmentSettings settings, boolean sprayed, AttackDetector detector) {
        if (settings.contains()) {
            // what the intruder may have added since the sign-in: a second factor of its own would prove "the owner"
            List<CredentialModel> added = user.credentialManager().getStoredCredentialsStream()
                    .filter(c -> !PasswordCredentialModel.TYPE.equals(c.getType()))
                    .filter(c -> c.getCreatedDate() != null && c.getCreatedDate() >= in.atMillis() - 1_000).toList();
            added.forEach(c -> user.credentialManager().removeStoredCredentialById(c.getId()));
            List<UserSessionModel> online = session.sessions().getUserSessionsStream(realm, user).toList();
            online.forEach(us -> session.sessions().removeUserSession(realm, us));
            UserSessionManager offline = new UserSessionManager(session);
            offline.findOfflineSessionsStream(realm, user).toList().forEach(offline::revokeOfflineUserSession);
            // tokens issued before now stop working, whatever session they came from
            session.users().setNotBeforeForUser(realm, user, Time.currentTime());
            forgetWhatItLeft(realm, user, in, detector);
            boolean canProve = user.getEmail() != null && !user.getEmail().isBlank() && user.isEmailVerified()
                    || user.credentialManager().getStoredCredentialsStream()
                            .anyMatch(c -> !PasswordCredentialModel.TYPE.equals(c.getType()));
            if (!canProve) {
                // no verified address and no second factor: a mark would lock the owner out for good
                LOG.infof("Sentinel: user %s of realm '%s' signed out after a likely break-in; no second proof possible "
                        + "(no verified email, no second factor): not marked", user.getId(), realm.getName());
                count(realm, "signed_out_only");
                return SIGNED_OUT;
            }
            try {
                user.setSingleAttribute(ContainmentSettings.MARK,
                        Long.toString(Time.currentTimeMillis() + ContainmentSettings.MARK_LIFETIME.toMillis()));
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: user %s of realm '%s' was signed out but cannot be marked (%s): the next sign-in "
                        + "will not ask a second proof", user.getId(), realm.getName(), e.toString());
                count(realm, "signed_out_only");
                tell(session, realm, user, in, true, sprayed);
                return SIGNED_OUT;
            }
            count(realm, "contained");
        } else {
            count(realm, "notified");
        }
        tell(session, realm, user, in, settings.contains(), sprayed);
        return settings.containment();
    }

    /**
     * What the sign-in left that would make the same browser or network look like the owner's at the
     * next sign-in, once the owner's proof has removed the mark: the devices first seen since it (its
     * browser's), and its network among the account's known ones (which exempt from smart lockout,
     * the hash bulkhead and the spray refusal).
     */
    private static void forgetWhatItLeft(RealmModel realm, UserModel user, IncidentLedger.NewSignIn in,
                                         AttackDetector detector) {
        int devices = 0;
        try {
            devices = DeviceRecognition.forgetSince(user, AlertSettings.read(realm::getAttribute), in.atMillis() - 1_000);
        } catch (RuntimeException e) {
            // a user that cannot be written (a read-only federation): the sign-out must not be undone for it
            LOG.warnf("Sentinel: user %s of realm '%s': the devices of a likely break-in could not be forgotten: %s",
                    user.getId(), realm.getName(), e.toString());
        }
        List<String> names = new java.util.ArrayList<>();
        names.add(user.getUsername());
        if (user.getEmail() != null) {
            names.add(user.getEmail()); // whether or not the email is a name now: it may have been one
        }
        String realmId = realm.getId();
        String userId = user.getId();
        Runnable forgetNetwork = () -> {
            try {
                detector.known().forgetNetwork(realmId, names, userId, in.network());
            } catch (RuntimeException e) {
                LOG.warnf("Sentinel: user %s of realm %s: the network of a likely break-in could not be forgotten: %s",
                        userId, realmId, e.toString());
            }
        };
        forgetNetwork.run();
        // once more later: another node's flush in flight (or this node's) may write the network back just after
        java.util.concurrent.CompletableFuture.delayedExecutor(FORGET_AGAIN_MILLIS, TimeUnit.MILLISECONDS).execute(forgetNetwork);
        LOG.debugf("Sentinel: user %s of realm '%s': %d devices and the network of a likely break-in forgotten", userId,
                realm.getName(), devices);
    }

    /** When the network of a contained break-in is forgotten once more (past any flush in flight). */
    static final long FORGET_AGAIN_MILLIS = 5_000;

    /** The owner's mail, through the queue after this job commits; none without an address. */
    private static void tell(KeycloakSession session, RealmModel realm, UserModel user, IncidentLedger.NewSignIn in,
                             boolean contained, boolean sprayed) {
        Optional<MailOutbox> outbox = MailOutbox.of(session);
        if (user.getEmail() == null || user.getEmail().isBlank() || !user.isEmailVerified() || outbox.isEmpty()) {
            return;
        }
        String subject = contained ? "sentinelNoticeAutoContainedSubject" : "sentinelNoticeAutoNotifySubject";
        String what = sprayed ? (contained ? "sentinelNoticeSprayContained" : "sentinelNoticeSprayNotify")
                : contained ? "sentinelNoticeAutoContained" : "sentinelNoticeAutoNotify";
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelWhen", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochMilli(in.atMillis())) + " UTC");
        attributes.put("sentinelWhat", what);
        attributes.put("sentinelIp", in.ip());
        outbox.get().afterCommit(session, new MailOutbox.Mail(contained ? "auto_contained" : "auto_notified", realm.getId(),
                user.getId(), null, subject,
                List.of(realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName()),
                "sentinel-security-notice.ftl", attributes));
    }

    /** The owner proved the account (a new password): the mark goes. Never throws. */
    public static void released(RealmModel realm, UserModel user) {
        if (ContainmentSettings.release(user)) {
            count(realm, "released");
        }
    }

    private static void count(RealmModel realm, String outcome) {
        Counter.builder("sentinel_containment_total")
                .description("Accounts Sentinel's containment policy acted on (contained, notified) or released")
                .tag("realm", realm.getName()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    void close() {
        pool.shutdownNow();
    }
}
