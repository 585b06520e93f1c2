package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.detect.Emergency;
import io.keycloaksentinel.core.mail.MailOutbox;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.managers.UserSessionManager;

/**
 * Incident response: contain a list of accounts in one call (end their sessions and tokens,
 * require a new password, optionally remove the password until a reset by email), sign out a
 * whole realm, and the realm's emergency mode (CAPTCHA always, strict throttling) for a set time.
 * Every call can be a dry run that changes nothing and says what it would do.
 */
final class IncidentAdmin {

    static final int MAX_USERS = 1000;
    static final List<String> CONTAIN_KEYS = List.of("userIds", "signOut", "requirePasswordReset", "disablePassword", "notify",
            "dryRun");
    private static final Logger LOG = Logger.getLogger(IncidentAdmin.class);

    private final KeycloakSession session;
    private final RealmModel realm;

    IncidentAdmin(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /** What a containment request asks, validated. */
    record Containment(List<String> userIds, boolean signOut, boolean requirePasswordReset, boolean disablePassword,
                       boolean notifyUsers, boolean dryRun) {

        static Containment parse(Map<String, Object> body) {
            if (body == null || body.isEmpty()) {
                throw new IllegalArgumentException("the body must be a JSON object with userIds and the actions to take");
            }
            for (String key : body.keySet()) {
                if (!CONTAIN_KEYS.contains(key)) {
                    String shown = key.length() > 40 ? key.substring(0, 40) + "..." : key;
                    throw new IllegalArgumentException("unknown field '" + shown + "'; known: " + CONTAIN_KEYS);
                }
            }
            if (!(body.get("userIds") instanceof List<?> ids) || ids.isEmpty()) {
                throw new IllegalArgumentException("userIds must be a non-empty list of user ids");
            }
            if (ids.size() > MAX_USERS) {
                throw new IllegalArgumentException("userIds may hold at most " + MAX_USERS + " ids; split the list");
            }
            Set<String> unique = new LinkedHashSet<>();
            for (Object id : ids) {
                if (!(id instanceof String s) || s.isBlank() || s.length() > 64) {
                    throw new IllegalArgumentException("userIds must hold user ids (strings of at most 64 characters)");
                }
                unique.add(s);
            }
            boolean signOut = flag(body, "signOut", true);
            boolean reset = flag(body, "requirePasswordReset", true);
            boolean disable = flag(body, "disablePassword", false);
            if (!signOut && !reset && !disable) {
                throw new IllegalArgumentException("no action: set signOut, requirePasswordReset or disablePassword");
            }
            return new Containment(List.copyOf(unique), signOut, reset, disable, flag(body, "notify", false),
                    flag(body, "dryRun", false));
        }

        private static boolean flag(Map<String, Object> body, String key, boolean fallback) {
            Object v = body.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Boolean b)) {
                throw new IllegalArgumentException(key + " must be true or false");
            }
            return b;
        }
    }

    /**
     * Contains each listed account that exists; says per account what was (or, in a dry run, would
     * be) done, and which ids matched no user of this realm. An action that fails for one account
     * (a read-only federated password) is reported for it; the others go on.
     */
    Map<String, Object> contain(Containment c) {
        List<Map<String, Object>> handled = new ArrayList<>();
        List<String> notFound = new ArrayList<>();
        for (String id : c.userIds()) {
            UserModel user = session.users().getUserById(realm, id);
            if (user == null) {
                notFound.add(id);
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", user.getId());
            row.put("username", user.getUsername());
            List<String> done = new ArrayList<>();
            List<String> failed = new ArrayList<>();
            if (c.signOut()) {
                List<UserSessionModel> online = session.sessions().getUserSessionsStream(realm, user).toList();
                UserSessionManager offline = new UserSessionManager(session);
                long offlineCount = offline.findOfflineSessionsStream(realm, user).count();
                if (!c.dryRun()) {
                    for (UserSessionModel us : online) {
                        AuthenticationManager.backchannelLogout(session, realm, us, session.getContext().getUri(),
                                session.getContext().getConnection(), session.getContext().getRequestHeaders(), true);
                    }
                    offline.findOfflineSessionsStream(realm, user).toList().forEach(offline::revokeOfflineUserSession);
                    // tokens issued before now stop working, whatever session they came from
                    session.users().setNotBeforeForUser(realm, user, Time.currentTime());
                }
                done.add("signOut:" + online.size() + " sessions, " + offlineCount + " offline");
            }
            if (c.requirePasswordReset()) {
                if (!c.dryRun()) {
                    user.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
                }
                done.add("requirePasswordReset");
            }
            if (c.disablePassword()) {
                List<CredentialModel> passwords = user.credentialManager().getStoredCredentialsByTypeStream(
                        PasswordCredentialModel.TYPE).toList();
                if (user.getFederationLink() != null) {
                    failed.add("disablePassword: the password lives in the user federation; disable the account there");
                } else if (!c.dryRun()) {
                    try {
                        passwords.forEach(p -> user.credentialManager().removeStoredCredentialById(p.getId()));
                        done.add("disablePassword");
                    } catch (RuntimeException e) {
                        failed.add("disablePassword: " + e.getClass().getSimpleName());
                    }
                } else {
                    done.add("disablePassword");
                }
            }
            if (c.notifyUsers()) {
                if (user.getEmail() == null || user.getEmail().isBlank()) {
                    failed.add("notify: the account has no email address");
                } else if (c.dryRun() || notice(user)) {
                    done.add("notify");
                } else {
                    failed.add("notify: the mail queue is not available");
                }
            }
            row.put(c.dryRun() ? "wouldDo" : "done", done);
            if (!failed.isEmpty()) {
                row.put("failed", failed);
            }
            handled.add(row);
        }
        if (!c.dryRun()) {
            LOG.infof("Sentinel: incident containment in realm '%s': %d accounts contained, %d ids unknown", realm.getName(),
                    handled.size(), notFound.size());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("dryRun", c.dryRun());
        body.put("handled", handled);
        body.put("notFound", notFound);
        return body;
    }

    /**
     * Queues the localized "your account was secured" notice (the security-notice template of the
     * new-device alerts, in the user's locale), sent after this request commits, retried, counted
     * as {@code sentinel_mail_total{kind="contained"}}.
     */
    private boolean notice(UserModel user) {
        java.util.Optional<MailOutbox> outbox = MailOutbox.of(session);
        if (outbox.isEmpty()) {
            return false;
        }
        java.util.Locale locale = session.getContext().resolveLocale(user);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelWhen", java.time.format.DateTimeFormatter.ofLocalizedDateTime(java.time.format.FormatStyle.MEDIUM)
                .withLocale(locale).withZone(java.time.ZoneOffset.UTC).format(Instant.now()) + " UTC");
        attributes.put("sentinelWhat", "sentinelNoticeContained");
        attributes.put("sentinelIp", "");
        outbox.get().afterCommit(session, new MailOutbox.Mail("contained", realm.getId(),
                user.getId(), null, "sentinelNoticeContainedSubject",
                List.of(realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName()),
                "sentinel-security-notice.ftl", attributes));
        return true;
    }

    /** Ends every session of the realm: all tokens issued before now stop working. */
    Map<String, Object> signOutRealm(boolean dryRun) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("dryRun", dryRun);
        if (!dryRun) {
            realm.setNotBefore(Time.currentTime());
            session.sessions().removeUserSessions(realm);
            LOG.infof("Sentinel: every session of realm '%s' ended by an admin", realm.getName());
        }
        body.put("notBefore", Instant.ofEpochSecond(dryRun ? Time.currentTime() : realm.getNotBefore()).toString());
        return body;
    }

    Map<String, Object> emergency() {
        long now = Time.currentTimeMillis();
        Map<String, Object> body = new LinkedHashMap<>();
        boolean active = Emergency.active(realm::getAttribute, now);
        body.put("active", active);
        body.put("until", active ? Instant.ofEpochMilli(Emergency.until(realm::getAttribute)).toString() : null);
        body.put("captcha", active ? "always" : "as configured");
        body.put("throttleDivisor", active ? Emergency.DIVISOR : 1);
        return body;
    }

    /** Starts (or extends, or shortens) the emergency for {@code minutes} from now. */
    Map<String, Object> startEmergency(long minutes) {
        long now = Time.currentTimeMillis();
        realm.setAttribute(Emergency.UNTIL, Long.toString(now + minutes * 60_000L));
        realm.setAttribute(Emergency.SINCE, Long.toString(now));
        LOG.infof("Sentinel: emergency mode in realm '%s' for %d minutes (CAPTCHA always, throttle thresholds / %d)",
                realm.getName(), minutes, Emergency.DIVISOR);
        return emergency();
    }

    Map<String, Object> endEmergency() {
        realm.removeAttribute(Emergency.UNTIL);
        realm.removeAttribute(Emergency.SINCE);
        return emergency();
    }
}
