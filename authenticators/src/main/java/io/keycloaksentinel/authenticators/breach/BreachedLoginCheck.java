package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.authenticators.breach.source.BreachVerdict;
import io.keycloaksentinel.authenticators.guard.GrantAnswers;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.breach.BreachSettings.LoginAction;
import io.keycloaksentinel.core.mail.MailOutbox;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.actiontoken.execactions.ExecuteActionsActionToken;
import org.keycloak.common.util.Time;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.services.resources.LoginActionsService;

/**
 * The breached-password check at login, run by Sentinel's login form right after Keycloak verified
 * the password (so the password is at hand, and only for a correct one), and by the password
 * grant's {@link DirectGrantBreachCheck}. Whoever typed a correct but breached password may be the
 * attacker who bought it, so the default action asks for a second proof ({@link BreachProof})
 * before the forced password change. No token and no session is issued before the proof; the new
 * password comes after it (Keycloak's update-password action). What each action leads to is
 * {@link BreachDecision}'s; a clean verdict is remembered ({@link BreachMemo}), so the check runs
 * at most once per password.
 */
public final class BreachedLoginCheck {

    public static final String EVENT_DETAIL = "sentinel_breached_password";
    public static final String EVENT_ERROR = "sentinel_breached_password";
    /** A user flagged by the login check (searchable: always "true"). */
    public static final String ATTR_FLAGGED = "sentinel.breach.flagged";
    public static final String ATTR_FLAGGED_AT = "sentinel.breach.flaggedAt";
    public static final String ATTR_ACTION = "sentinel.breach.action";
    public static final String ATTR_SOURCE = "sentinel.breach.source";
    static final String ATTR_MAILED_AT = "sentinel.breach.mailedAt";
    private static final Logger LOG = Logger.getLogger(BreachedLoginCheck.class);

    private BreachedLoginCheck() {
    }

    /**
     * Runs after Keycloak verified {@code password} for {@code context.getUser()}.
     *
     * @return true when the login goes on (the caller calls {@code success()}); false when this
     *         sent a challenge (the second proof, or the refusal)
     */
    public static boolean afterPassword(AuthenticationFlowContext context, String password) {
        BreachSettings settings = BreachedPasswordPolicyFactory.settings(context.getRealm());
        Optional<LoginAction> action = actOn(context, password, settings, "signed in with a breached password");
        if (action.isEmpty()) {
            return true;
        }
        UserModel user = context.getUser();
        boolean hasOtp = user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE).findAny().isPresent();
        BreachDecision.Answer answer = BreachDecision.browser(action.get(), hasOtp, EmailCode.possible(user));
        switch (answer) {
            case GO_ON -> {
                return true;
            }
            case NEW_PASSWORD -> {
                user.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
                return true;
            }
            case REFUSE_AND_MAIL -> {
                emailReset(context, settings);
                // indistinguishable from a wrong password for whoever typed it; the owner learns the
                // rest from the email. Not a brute-force failure: the password was right.
                context.getEvent().error(EVENT_ERROR);
                Response page = context.form().setError("invalidUserMessage").createLoginUsernamePassword();
                context.clearUser();
                context.challenge(page);
                return false;
            }
            default -> {
                BreachProof.start(context, answer);
                return false;
            }
        }
    }

    /**
     * The same check for the OAuth password grant (direct access grants), which has no pages:
     * a breached password is refused like a wrong one ({@code invalid_grant}) unless the realm's
     * action is {@code monitor}; with {@code email-reset} the owner is mailed the link as at the
     * browser login. The user is flagged either way. A second proof needs the browser.
     *
     * @return true when the grant goes on
     */
    public static boolean directGrant(AuthenticationFlowContext context, String password) {
        BreachSettings settings = BreachedPasswordPolicyFactory.settings(context.getRealm());
        Optional<LoginAction> action = actOn(context, password, settings, "used a breached password in a password grant");
        BreachDecision.Answer answer = action.map(BreachDecision::directGrant).orElse(BreachDecision.Answer.GO_ON);
        if (answer == BreachDecision.Answer.GO_ON) {
            return true;
        }
        if (answer == BreachDecision.Answer.REFUSE_AND_MAIL) {
            emailReset(context, settings);
        }
        // exactly Keycloak's wrong-password answer and consequences; the owner is told through the event
        GrantAnswers.refuseVerifiedPassword(context, context.getUser(), EVENT_ERROR);
        return false;
    }

    /**
     * The realm's action when {@code password} is breached: the event says so, the user is flagged,
     * the log says what follows ({@code what} the user did). Empty: the login goes on.
     */
    private static Optional<LoginAction> actOn(AuthenticationFlowContext context, String password, BreachSettings settings,
                                               String what) {
        Optional<BreachVerdict> breached = breached(context, password, settings);
        if (breached.isEmpty()) {
            return Optional.empty();
        }
        BreachVerdict verdict = breached.get();
        LoginAction action = settings.loginAction();
        context.getEvent().detail(EVENT_DETAIL, verdict.source().value());
        flag(context.getUser(), action, verdict);
        LOG.infof("Sentinel: user %s of realm '%s' %s (source %s); action %s", context.getUser().getId(),
                context.getRealm().getName(), what, verdict.source().value(), action.value());
        return Optional.of(action);
    }

    /**
     * The verdict for a password Keycloak has just verified, when it is breached (empty: go on:
     * the check is off, remembered clean, clean, or could not be made). Counts it and remembers a
     * clean verdict.
     */
    static Optional<BreachVerdict> breached(AuthenticationFlowContext context, String password, BreachSettings settings) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        if (!BreachDecision.checks(settings.loginAction(), user != null, password)) {
            return Optional.empty();
        }
        Optional<String> memo = BreachMemo.of(session, realm, user);
        if (memo.isPresent() && BreachMemo.clean(user, memo.get(), settings.recheckDays())) {
            return Optional.empty();
        }
        BreachVerdict verdict;
        try {
            verdict = BreachedPasswordPolicyFactory.of(session).check(password, settings, BreachedPasswordPolicyFactory.minCount(realm));
        } catch (RuntimeException e) {
            // the check never fails a login by itself
            LOG.warnf("Sentinel: the breached-password check failed at login in realm '%s': %s", realm.getName(), e.toString());
            return Optional.empty();
        }
        BreachedPasswordPolicy.count(realm, "login", verdict);
        if (verdict.outcome() == BreachVerdict.Outcome.CLEAN) {
            memo.ifPresent(m -> BreachMemo.rememberClean(user, m));
        } else if (verdict.outcome() == BreachVerdict.Outcome.UNKNOWN) {
            LOG.warnf("Sentinel: a login's password in realm '%s' could not be checked against breaches (%s); the login goes on",
                    realm.getName(), verdict.detail());
        }
        return BreachDecision.actsOn(verdict.outcome()) ? Optional.of(verdict) : Optional.empty();
    }

    /**
     * Action {@code email-reset}: mail the owner a link to choose a new password (rate-limited), and
     * the admin if set, both through Sentinel's mail queue, rendered and sent 1-2 s after the answer
     * on the mail thread: a right breached password answers as fast as a wrong one (the refusal
     * looks like a wrong password, so its time must too).
     */
    private static void emailReset(AuthenticationFlowContext context, BreachSettings settings) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        long now = Time.currentTimeMillis();
        if (!BreachDecision.mayMailReset(BreachDecision.number(user.getFirstAttribute(ATTR_MAILED_AT)), now)) {
            return;
        }
        Optional<MailOutbox> outbox = MailOutbox.of(session);
        if (outbox.isEmpty()) {
            LOG.warnf("Sentinel: no mail queue on this server; no new-password link mailed to user %s of realm '%s'",
                    user.getId(), realm.getName());
            return;
        }
        user.setSingleAttribute(ATTR_MAILED_AT, Long.toString(now));
        if (user.getEmail() != null && user.isEmailVerified()) { // never a link to an address nobody verified
            int lifespan = realm.getActionTokenGeneratedByAdminLifespan();
            ExecuteActionsActionToken token = new ExecuteActionsActionToken(user.getId(), user.getEmail(),
                    Time.currentTime() + lifespan, List.of(UserModel.RequiredAction.UPDATE_PASSWORD.name()), null,
                    context.getAuthenticationSession().getClient().getClientId());
            String link = LoginActionsService.actionTokenProcessor(session.getContext().getUri())
                    .queryParam("key", token.serialize(session, realm, session.getContext().getUri()))
                    .build(realm.getName()).toString();
            outbox.get().afterCommit(session, new ResetLinkMail(realm.getId(), user.getId(), link,
                    TimeUnit.SECONDS.toMinutes(lifespan)));
        }
        if (settings.adminEmail() != null) {
            String realmName = realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName();
            outbox.get().afterCommit(session, new AdminMail(realm.getId(), settings.adminEmail(), realmName,
                    user.getUsername()));
        }
    }

    /** Keycloak's own "update your account" mail (theme template executeActions.ftl) with the new-password link. */
    record ResetLinkMail(String realmId, String userId, String link, long minutes) implements MailOutbox.Delivery {

        @Override
        public String kind() {
            return "breach_reset";
        }

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws EmailException {
            UserModel user = session.users().getUserById(realm, userId);
            if (user == null || user.getEmail() == null || user.getEmail().isBlank()) {
                return null;
            }
            session.getProvider(EmailTemplateProvider.class)
                    .setAttribute(Constants.TEMPLATE_ATTR_REQUIRED_ACTIONS, List.of(UserModel.RequiredAction.UPDATE_PASSWORD.name()))
                    .setRealm(realm).setUser(user).sendExecuteActions(link, minutes);
            return null;
        }

        @Override
        public Duration delay() {
            return MailOutbox.afterTheAnswer();
        }
    }

    /** The realm admin's notice, rendered in the mail thread from the login theme's messages. */
    record AdminMail(String realmId, String address, String realmName, String username) implements MailOutbox.Delivery {

        @Override
        public String kind() {
            return "breach_admin";
        }

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws EmailException {
            Properties messages = EmailCode.messages(session, realm, null);
            String subject = EmailCode.format(messages, "sentinelBreachAdminSubject", "Breached password used", realmName);
            String text = EmailCode.format(messages, "sentinelBreachAdminBody", "{1}", realmName, username);
            session.getProvider(EmailSenderProvider.class).send(realm.getSmtpConfig(), address, subject, text,
                    EmailCode.html(text));
            return null;
        }

        @Override
        public Duration delay() {
            return MailOutbox.afterTheAnswer();
        }
    }

    private static void flag(UserModel user, LoginAction action, BreachVerdict verdict) {
        try {
            user.setSingleAttribute(ATTR_FLAGGED, "true");
            user.setSingleAttribute(ATTR_FLAGGED_AT, Long.toString(Time.currentTimeMillis()));
            user.setSingleAttribute(ATTR_ACTION, action.value());
            user.setSingleAttribute(ATTR_SOURCE, verdict.source().value());
            user.removeAttribute(BreachMemo.ATTR_VERDICT);
        } catch (RuntimeException e) {
            // a read-only user store (LDAP): the action still applies, the flag is not kept
            LOG.debugf("Sentinel: could not flag user %s: %s", user.getId(), e.toString());
        }
    }
}
