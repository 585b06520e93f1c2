package io.keycloaksentinel.admin;

import io.keycloaksentinel.admin.IncidentResource.Account;
import io.keycloaksentinel.admin.IncidentResource.Compromised;
import io.keycloaksentinel.admin.IncidentResource.CompromisedAccount;
import io.keycloaksentinel.admin.IncidentResource.Contained;
import io.keycloaksentinel.admin.IncidentResource.EmergencyMode;
import io.keycloaksentinel.admin.IncidentResource.FlaggedLogin;
import io.keycloaksentinel.admin.IncidentResource.RealmSignOut;
import io.keycloaksentinel.core.detect.Emergency;
import io.keycloaksentinel.core.detect.IncidentLedger;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.mail.MailOutbox;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    private static final Logger LOG = Logger.getLogger(IncidentAdmin.class);

    private final KeycloakSession session;
    private final RealmModel realm;

    IncidentAdmin(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /**
     * Contains each listed account that exists; says per account what was (or, in a dry run, would
     * be) done, and which ids matched no user of this realm. An action that fails for one account
     * (a read-only federated password) is reported for it; the others go on.
     */
    Contained contain(Containment c) {
        List<Account> handled = new ArrayList<>();
        List<String> notFound = new ArrayList<>();
        for (String id : c.userIds()) {
            UserModel user = session.users().getUserById(realm, id);
            if (user == null) {
                notFound.add(id);
                continue;
            }
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
            handled.add(new Account(user.getId(), user.getUsername(), c.dryRun() ? null : done, c.dryRun() ? done : null,
                    failed.isEmpty() ? null : failed));
        }
        if (!c.dryRun()) {
            LOG.infof("Sentinel: incident containment in realm '%s': %d accounts contained, %d ids unknown", realm.getName(),
                    handled.size(), notFound.size());
        }
        return new Contained(c.dryRun(), handled, notFound);
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

    /**
     * The accounts that signed in successfully from a source Sentinel flagged, as a likely break-in
     * of an attack (with the realm's look-back before it), or with a sprayed password from a network
     * new to them, within {@code window}.
     */
    Compromised compromised(IncidentLedger incidents, IncidentWindow window) {
        Map<String, List<FlaggedLogin>> byUser = new LinkedHashMap<>();
        for (IncidentLedger.FlaggedLogin l
                : incidents.flaggedLogins(realm.getId(), window.fromMillis(), window.toMillis())) {
            byUser.computeIfAbsent(l.userId(), k -> new ArrayList<>()).add(new FlaggedLogin(
                    Instant.ofEpochMilli(l.atMillis()).toString(), l.ip(), l.network(), l.flaggedAs(), null));
        }
        java.time.Duration lookBack = java.time.Duration.ofMinutes(
                ContainmentSettings.read(realm::getAttribute).lookBackMinutes());
        for (IncidentLedger.BreakIn b : incidents.likelyBreakIns(realm.getId(), window.fromMillis(), window.toMillis(), lookBack)) {
            IncidentLedger.NewSignIn in = b.signIn();
            byUser.computeIfAbsent(in.userId(), k -> new ArrayList<>()).add(new FlaggedLogin(
                    Instant.ofEpochMilli(in.atMillis()).toString(), in.ip(), in.network(), "new-sign-in", in.reasons(b.attack())));
        }
        for (IncidentLedger.SprayedSignIn in : incidents.sprayedSignIns(realm.getId(), window.fromMillis(), window.toMillis())) {
            byUser.computeIfAbsent(in.userId(), k -> new ArrayList<>()).add(new FlaggedLogin(
                    Instant.ofEpochMilli(in.atMillis()).toString(), in.ip(), in.network(), "password-spraying", in.reasons()));
        }
        List<CompromisedAccount> accounts = new ArrayList<>();
        long now = Time.currentTimeMillis();
        byUser.forEach((id, logins) -> {
            UserModel user = session.users().getUserById(realm, id);
            accounts.add(new CompromisedAccount(id, user == null ? null : user.getUsername(),
                    user != null && ContainmentSettings.contained(user, now), logins));
        });
        return new Compromised(Instant.ofEpochMilli(window.fromMillis()).toString(),
                Instant.ofEpochMilli(window.toMillis()).toString(), incidents.flaggedSources(realm.getId()), accounts,
                List.copyOf(byUser.keySet()));
    }

    /** Ends every session of the realm: all tokens issued before now stop working. */
    RealmSignOut signOutRealm(boolean dryRun) {
        if (!dryRun) {
            realm.setNotBefore(Time.currentTime());
            session.sessions().removeUserSessions(realm);
            LOG.infof("Sentinel: every session of realm '%s' ended by an admin", realm.getName());
        }
        long notBefore = dryRun ? Time.currentTime() : realm.getNotBefore();
        return new RealmSignOut(dryRun, Instant.ofEpochSecond(notBefore).toString());
    }

    EmergencyMode emergency() {
        boolean active = Emergency.active(realm::getAttribute, Time.currentTimeMillis());
        if (!active) {
            return new EmergencyMode(false, null, "as configured", 1);
        }
        return new EmergencyMode(true, Instant.ofEpochMilli(Emergency.until(realm::getAttribute)).toString(), "always",
                Emergency.DIVISOR);
    }

    /** Starts (or extends, or shortens) the emergency for {@code minutes} from now. */
    EmergencyMode startEmergency(long minutes) {
        long now = Time.currentTimeMillis();
        realm.setAttribute(Emergency.UNTIL, Long.toString(now + minutes * 60_000L));
        realm.setAttribute(Emergency.SINCE, Long.toString(now));
        LOG.infof("Sentinel: emergency mode in realm '%s' for %d minutes (CAPTCHA always, throttle thresholds / %d)",
                realm.getName(), minutes, Emergency.DIVISOR);
        return emergency();
    }

    EmergencyMode endEmergency() {
        realm.removeAttribute(Emergency.UNTIL);
        realm.removeAttribute(Emergency.SINCE);
        return emergency();
    }
}
