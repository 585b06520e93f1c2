package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.KnownNames;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.RiskDecider;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.keycloaksentinel.core.risk.ThrottleDecision;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * The risk decision of one request, made once per subject and kept for the rest of the request:
 * every step that needs risk (the login form's throttle, the CAPTCHA gate, the password guard,
 * the step-up) asks here and gets the same answer without reading the counters again. Obtain it
 * with {@code session.getProvider(AttackDetectionProvider.class).risk()}: one instance per
 * Keycloak session (that is, per request).
 *
 * <p>The realm's settings (thresholds, allowlist, monitoring-only, fail-closed) are read from its
 * attributes once and handed to the decision as inputs. The client address is Keycloak's
 * connection address (proxy headers only as the server trusts them), never a header parsed here.
 */
public final class RequestRisk {

    private static final Logger LOG = Logger.getLogger(RequestRisk.class);
    private static final String NO_SUBJECT = "";

    private final KeycloakSession session;
    private final AttackDetector detector;
    private final Map<String, Risk> decided = new HashMap<>();
    /** What was read about this request's source, per realm: a later subject costs one read of its own counter. */
    private final Map<String, RiskDecider.Inputs> sources = new HashMap<>();
    private boolean noPage;
    private boolean busyAnswerable;
    /** The last password checked in this request: its account, fingerprint, whether sprayed, whether from a known network. */
    private Checked checked;

    private record Checked(String realmId, String userId, String fingerprint, boolean sprayed, boolean known,
                           boolean triedElsewhere, boolean monitorOnly) {
    }

    /** Whether an account knew this request's network before the request, per realm and account ({@link #accountKnowsNetwork}). */
    private final Map<String, Boolean> knewNetwork = new HashMap<>();
    /** Most accounts kept per request (a request signs in one; an admin call may look at a few). */
    private static final int MAX_KEPT = 16;

    /** The account risks before a password escalated them, so a second check in the same request starts from them. */
    private final Map<String, Risk> unescalated = new HashMap<>();

    public RequestRisk(KeycloakSession session, AttackDetector detector) {
        this.session = session;
        this.detector = detector;
    }

    /** The client address this request is decided for. */
    public String ip() {
        return session.getContext().getConnection() == null ? null : session.getContext().getConnection().getRemoteAddr();
    }

    /** The risk of this request for a typed username (null: none typed yet), before any lookup. */
    public Risk forTypedName(RealmModel realm, String typed) {
        return decide(realm, "t|" + typed, () -> typed == null ? List.of()
                : Collections.singletonList(detector.keys().typedSubject(realm.getId(), typed)));
    }

    /**
     * The risk of this request for an account, whatever name it was typed as; its network is known
     * when the account, its username or its email ({@link KnownNames}) signed in from it.
     */
    public Risk forAccount(RealmModel realm, UserModel user) {
        return decide(realm, "a|" + (user == null ? null : user.getId()), () -> user == null ? List.of()
                : accountNames(realm, user));
    }

    /**
     * Whether the account signed in from this request's network recently (under the account, its
     * username or its email, as {@link #forAccount}), as it was before this request: the first
     * answer read in a request is kept for the rest of it, so this request's own sign-in, which
     * makes its network known (smart lockout) whenever the node's buffer reaches the cluster, never
     * changes it. False when it cannot be read (not kept).
     */
    public boolean accountKnowsNetwork(RealmModel realm, UserModel user) {
        try {
            String key = realm.getId() + "|" + user.getId();
            Boolean kept = knewNetwork.get(key);
            if (kept != null) {
                return kept;
            }
            List<String> names = accountNames(realm, user);
            boolean known = detector.knownNetwork(realm.getId(), ip(), names.get(0), names.subList(1, names.size()));
            if (knewNetwork.size() < MAX_KEPT) {
                knewNetwork.put(key, known);
            }
            return known;
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: the known networks of an account could not be read: %s", e.toString());
            return false;
        }
    }

    private List<String> accountNames(RealmModel realm, UserModel user) {
        return java.util.Arrays.asList(detector.keys().accountSubject(realm.getId(), user.getId()),
                detector.keys().typedSubject(realm.getId(), user.getUsername()),
                KnownNames.emailIsAName(realm) ? detector.keys().typedSubject(realm.getId(), user.getEmail()) : null);
    }

    /**
     * The risk of this request for an account once its typed password is known (the password check,
     * before any hash): the account's risk, HIGH when the password is sprayed across the realm's
     * accounts ({@link PasswordSprays}). Counts the attempt for the spray signature when the account
     * never signed in from this network. The rest of the request (the step-up) sees this risk.
     * Reads: the account's known networks and one counter; nothing for an allowlisted source or when
     * the realm's spray rule is off.
     */
    public Risk forPassword(RealmModel realm, UserModel user, String password) {
        checked = null;
        String accountKey = realm.getId() + "|a|" + (user == null ? null : user.getId());
        Risk before = unescalated.get(accountKey);
        Risk account = before != null ? before : forAccount(realm, user);
        if (user == null || password == null || password.isEmpty() || account.allowlisted()) {
            return account;
        }
        PasswordSprays sprays = detector.sprays();
        String fingerprint;
        long accounts;
        boolean sprayed;
        Risk risk;
        try {
            DetectionThresholds t = RealmDetectionConfig.effective(realm::getAttribute);
            if (!t.sprayRule()) {
                return account;
            }
            fingerprint = sprays.fingerprint(realm.getId(), password);
            boolean known = accountKnowsNetwork(realm, user);
            accounts = sprays.accounts(realm.getId(), fingerprint);
            // flagged on this node within the hour: refused for the hour, however the sliding count decays
            sprayed = accounts >= t.sprayAccountsPerHour() || detector.sprayedHere(realm.getId(), fingerprint);
            if (!known) {
                sprays.tried(realm.getId(), fingerprint, detector.keys().accountSubject(realm.getId(), user.getId()));
            }
            checked = new Checked(realm.getId(), user.getId(), fingerprint, sprayed, known, accounts > 0,
                    account.monitorOnly());
            risk = account.withPassword(sprayed, known);
            unescalated.putIfAbsent(accountKey, account);
            decided.put(accountKey, risk);
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: the spray signature could not be read: %s", e.toString());
            return account;
        }
        if (sprayed) {
            try {
                detector.sprayed(realm.getId(), realm.getName(), fingerprint, accounts);
            } catch (RuntimeException e) {
                // the decision stands; the flag (ledger, alert, containment) comes with a later attempt
                LOG.debugf("Sentinel: a sprayed password could not be flagged: %s", e.toString());
            }
        }
        return risk;
    }

    /**
     * The password just checked by {@link #forPassword} was right: a sign-in from a network new to the
     * account is kept with its fingerprint for the window (the spray that worked, once the password is
     * flagged) when the password was tried on another account from a network new to it already (a
     * lone sign-in with a password nobody else typed leaves nothing). True when the password is
     * sprayed and this is the owner's known network in an enforcing realm: the owner should change it.
     */
    public boolean passwordAccepted(RealmModel realm, UserModel user) {
        Checked c = checked;
        if (c == null || user == null || !c.realmId().equals(realm.getId()) || !c.userId().equals(user.getId())) {
            return false;
        }
        try {
            if (!c.known() && (c.triedElsewhere() || c.sprayed())) {
                PasswordSprays.Entered in = detector.sprays().entered(realm.getId(), c.fingerprint(), user.getId(), ip());
                if (c.sprayed() && in != null) {
                    // only where nothing was refused (monitoring only): the flag's copy has passed already
                    detector.incidents().rememberSprayedSignIn(realm.getId(), in);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: a sign-in could not be kept for the spray signature: %s", e.toString());
        }
        return c.sprayed() && c.known() && !c.monitorOnly();
    }

    /** Whether the realm refuses {@code password} when set now: it is sprayed across its accounts within the window. */
    public boolean sprayedPassword(RealmModel realm, String password) {
        if (password == null || password.isEmpty()) {
            return false;
        }
        try {
            DetectionThresholds t = RealmDetectionConfig.effective(realm::getAttribute);
            if (!t.sprayRule() || RealmDetectionConfig.monitorOnly(realm::getAttribute)) {
                return false;
            }
            String fingerprint = detector.sprays().fingerprint(realm.getId(), password);
            return detector.sprays().accounts(realm.getId(), fingerprint) >= t.sprayAccountsPerHour()
                    || detector.sprayedHere(realm.getId(), fingerprint);
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: the spray signature could not be read: %s", e.toString());
            return false;
        }
    }

    /**
     * Whether this request's password check for {@code user} is known to be safe, so it never waits
     * in the node's hash bulkhead ({@link HashBulkhead}): a returning user, on a network the account
     * signed in from or on a device it signed in from (Sentinel's device cookie), whatever the realm's
     * state; an allowlisted source. Not known to be safe: a device and a network both new to the
     * account (the botnet's shape, before and after any detection), a name that matches no account
     * ({@code user} null). When nothing can be read: not safe.
     *
     * @param knownDevice whether the request carries the device cookie of a device the account signed in
     *                    from; asked only when the network is new to the account
     */
    public boolean safeForHash(RealmModel realm, UserModel user, java.util.function.BooleanSupplier knownDevice) {
        try {
            if (RealmDetectionConfig.allowlisted(realm::getAttribute, ip())) {
                return true;
            }
            if (user == null) {
                return false; // a name that matches no account (Keycloak's dummy hash)
            }
            Checked c = checked;
            boolean knownNetwork = c != null && c.realmId().equals(realm.getId()) && c.userId().equals(user.getId())
                    ? c.known() : accountKnowsNetwork(realm, user);
            return knownNetwork || knownDevice.getAsBoolean();
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: whether a password check is safe could not be read: %s", e.toString());
            return false;
        }
    }

    /**
     * Whether the step now checking the password can answer "busy" as a throttle (Sentinel's forms, the
     * guarded grant): set for the step's own check, reset after it.
     */
    public void busyAnswerable(boolean can) {
        busyAnswerable = can;
    }

    public boolean canAnswerBusy() {
        return busyAnswerable;
    }

    /** The risk of this request without a subject (a page being rendered). */
    public Risk forSource(RealmModel realm) {
        return decide(realm, "", List::of);
    }

    /** This request has no page to ask a CAPTCHA or a second proof on (the password grant). */
    public void noPage() {
        noPage = true;
    }

    public boolean hasNoPage() {
        return noPage;
    }

    /** {@code subjects}: the subject (first; none when empty or null) and the names its network may be known under. */
    private Risk decide(RealmModel realm, String key, java.util.function.Supplier<List<String>> subject) {
        String cacheKey = realm.getId() + "|" + key;
        Risk known = decided.get(cacheKey);
        if (known != null) {
            return known;
        }
        Risk risk = compute(realm, subject);
        decided.put(cacheKey, risk);
        return risk;
    }

    private Risk compute(RealmModel realm, java.util.function.Supplier<List<String>> subjectsOf) {
        String ip = ip();
        if (RealmDetectionConfig.allowlisted(realm::getAttribute, ip)) {
            return Risk.allowlistedSource();
        }
        boolean monitor = RealmDetectionConfig.monitorOnly(realm::getAttribute);
        try {
            // inside: the subject's keyed hash needs the realm key from the cluster, which may fail too
            List<String> subjects = subjectsOf.get();
            String subject = subjects.isEmpty() ? null : subjects.get(0);
            List<String> aliases = subjects.size() > 1 ? subjects.subList(1, subjects.size()) : List.of();
            DetectionThresholds thresholds = RealmDetectionConfig.effective(realm::getAttribute);
            return detector.timedCheck(() -> {
                RiskDecider.Inputs source = sources.get(realm.getId());
                RiskDecider.Inputs inputs = source == null ? detector.readInputs(realm.getId(), ip, subject)
                        : detector.withSubject(realm.getId(), source, subject);
                sources.putIfAbsent(realm.getId(), inputs);
                return detector.decide(realm.getId(), ip, inputs, subject, aliases, thresholds, false).withPolicy(monitor);
            });
        } catch (RuntimeException e) {
            if (RealmDetectionConfig.failClosed(realm::getAttribute)) {
                LOG.warnf("Sentinel: cannot decide on a request in realm '%s' (%s); refusing it (fail-closed)",
                        realm.getName(), e.toString());
                return new Risk(RiskLevel.HIGH, ThrottleDecision.refuse(RefusalReason.UNAVAILABLE, Duration.ofSeconds(30),
                        "detector unavailable"), false, List.of("detector unavailable"), false, monitor);
            }
            LOG.warnf("Sentinel: cannot decide on a request in realm '%s' (%s); letting it through", realm.getName(),
                    e.toString());
            return Risk.unknown();
        }
    }
}
