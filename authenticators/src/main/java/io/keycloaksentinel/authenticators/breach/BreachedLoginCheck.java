package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.breach.BreachSettings.LoginAction;
import io.keycloaksentinel.core.breach.BreachVerdict;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.MessageFormat;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.actiontoken.execactions.ExecuteActionsActionToken;
import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserCredentialModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.models.credential.PasswordCredentialModel;
import org.keycloak.services.resources.LoginActionsService;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.theme.Theme;

/**
 * The breached-password check at login, run by Sentinel's login form right after Keycloak verified
 * the password (so the password is at hand, and only for a correct one). Whoever typed a correct
 * but breached password may be the attacker who bought it, so the default action asks for a
 * second proof before the forced password change: the user's authenticator app (OTP) if they have
 * one (asked by this step itself, even if the flow has an OTP step of its own later), else a
 * one-time code mailed to the account's verified address. No token and no session is
 * issued before the proof; the new password comes after it (Keycloak's update-password action).
 *
 * <p>The check runs at most once per password: a clean verdict is remembered as a user attribute
 * holding a keyed hash (HMAC with a cluster-held realm key) of the password credential's id,
 * creation time and salt, never the password or its hash; a new password, a new key or
 * {@code recheckDays} make it run again. The proof state lives in the authentication session
 * (server side): the code only as an HMAC, with an expiry, at most {@value EmailCode#MAX_ATTEMPTS} tries and
 * {@value EmailCode#MAX_SENDS} mails.
 */
public final class BreachedLoginCheck {

    public static final String EVENT_DETAIL = "sentinel_breached_password";
    public static final String EVENT_ERROR = "sentinel_breached_password";
    /** A user flagged by the login check (searchable: always "true"). */
    public static final String ATTR_FLAGGED = "sentinel.breach.flagged";
    public static final String ATTR_FLAGGED_AT = "sentinel.breach.flaggedAt";
    public static final String ATTR_ACTION = "sentinel.breach.action";
    public static final String ATTR_SOURCE = "sentinel.breach.source";
    static final String ATTR_VERDICT = "sentinel.breach.verdict";
    static final String ATTR_MAILED_AT = "sentinel.breach.mailedAt";

    static final String STAGE = "sentinel.breach.stage";
    private static final EmailCode CODE = new EmailCode("sentinel.breach.");
    static final String STAGE_OTP = "otp";
    static final String STAGE_EMAIL = "email";
    /** An email-reset mail at most this often per user, so a stranger with the password cannot mail-bomb the owner. */
    static final Duration RESET_MAIL_INTERVAL = Duration.ofMinutes(15);
    private static final Logger LOG = Logger.getLogger(BreachedLoginCheck.class);

    private BreachedLoginCheck() {
    }

    /** Whether this login is waiting for the second proof. */
    public static boolean inProof(AuthenticationFlowContext context) {
        return context.getUser() != null && context.getAuthenticationSession().getAuthNote(STAGE) != null;
    }

    /**
     * Runs after Keycloak verified {@code password} for {@code context.getUser()}.
     *
     * @return true when the login goes on (the caller calls {@code success()}); false when this
     *         sent a challenge (the second proof, or the refusal)
     */
    public static boolean afterPassword(AuthenticationFlowContext context, String password) {
        BreachSettings settings = BreachedPasswordPolicyFactory.settings(context.getRealm());
        Optional<BreachVerdict> breached = breached(context, password, settings);
        if (breached.isEmpty()) {
            return true;
        }
        BreachVerdict verdict = breached.get();
        UserModel user = context.getUser();
        RealmModel realm = context.getRealm();
        LoginAction action = settings.loginAction();
        context.getEvent().detail(EVENT_DETAIL, verdict.source().value());
        flag(user, action, verdict);
        LOG.infof("Sentinel: user %s of realm '%s' signed in with a breached password (source %s); action %s",
                user.getId(), realm.getName(), verdict.source().value(), action.value());
        switch (action) {
            case MONITOR -> {
                return true;
            }
            case FORCE_CHANGE -> {
                user.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
                return true;
            }
            case EMAIL_RESET -> {
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
                return startProof(context);
            }
        }
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
        if (settings.loginAction() == LoginAction.OFF || user == null || password == null || password.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> memo = memo(session, realm, user);
        if (memo.isPresent() && rememberedClean(user, memo.get(), settings.recheckDays())) {
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
        switch (verdict.outcome()) {
            case CLEAN -> {
                try {
                    memo.ifPresent(m -> user.setSingleAttribute(ATTR_VERDICT, m + ":" + today()));
                } catch (RuntimeException e) {
                    LOG.debugf("Sentinel: could not remember a clean verdict for user %s: %s", user.getId(), e.toString());
                }
                return Optional.empty();
            }
            case UNKNOWN -> {
                LOG.warnf("Sentinel: a login's password in realm '%s' could not be checked against breaches (%s); the login goes on",
                        realm.getName(), verdict.detail());
                return Optional.empty();
            }
            default -> {
                return Optional.of(verdict);
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
        Optional<BreachVerdict> breached = breached(context, password, settings);
        if (breached.isEmpty()) {
            return true;
        }
        BreachVerdict verdict = breached.get();
        LoginAction action = settings.loginAction();
        context.getEvent().detail(EVENT_DETAIL, verdict.source().value());
        flag(context.getUser(), action, verdict);
        LOG.infof("Sentinel: user %s of realm '%s' used a breached password in a password grant (source %s); action %s",
                context.getUser().getId(), context.getRealm().getName(), verdict.source().value(), action.value());
        if (action == LoginAction.MONITOR) {
            return true;
        }
        if (action == LoginAction.EMAIL_RESET) {
            emailReset(context, settings);
        }
        // exactly Keycloak's wrong-password answer and consequences; the owner is told through the event
        io.keycloaksentinel.authenticators.guard.GrantAnswers.refuseVerifiedPassword(context, context.getUser(), EVENT_ERROR);
        return false;
    }

    /** Shows the proof step again (a reload of the page). */
    public static void showProof(AuthenticationFlowContext context) {
        context.challenge(proofPage(context, null, null));
    }

    /** Handles a post of the proof step (a code, or "send a new code"). */
    public static void proofAction(AuthenticationFlowContext context) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        UserModel user = context.getUser();
        boolean otp = STAGE_OTP.equals(auth.getAuthNote(STAGE));
        if (!otp && form.containsKey("resend")) {
            if (!CODE.mayResend(auth)) {
                context.challenge(proofPage(context, "sentinelBreachCodeInvalid", null));
                return;
            }
            if (!sendCode(context)) {
                context.challenge(proofPage(context, "sentinelBreachCodeNotSent", null));
                return;
            }
            context.challenge(proofPage(context, null, "sentinelBreachCodeSent"));
            return;
        }
        boolean valid;
        if (otp) {
            String code = trimmed(form.getFirst("otp"), 16);
            String credentialId = trimmed(form.getFirst("selectedCredentialId"), 64);
            if (credentialId == null) {
                credentialId = user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE)
                        .map(CredentialModel::getId).findFirst().orElse(null);
            }
            valid = code != null && credentialId != null
                    && user.credentialManager().isValid(new UserCredentialModel(credentialId, OTPCredentialModel.TYPE, code));
        } else {
            valid = CODE.matches(context, form.getFirst("code"));
        }
        if (valid) {
            clearProof(auth);
            user.addRequiredAction(UserModel.RequiredAction.UPDATE_PASSWORD);
            context.getEvent().detail(EVENT_DETAIL, "proved:" + (otp ? STAGE_OTP : STAGE_EMAIL));
            context.success(PasswordCredentialModel.TYPE);
            return;
        }
        context.getEvent().detail(EVENT_DETAIL, "proof_failed");
        if (CODE.failedAttempt(auth)) {
            clearProof(auth);
            // counted like a wrong second factor (Keycloak's brute-force protection sees it)
            context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                    context.form().setError("sentinelBreachProofFailed").createLoginUsernamePassword());
            return;
        }
        // every wrong guess is a failure for Keycloak's brute-force protection, whatever the tab or session
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                proofPage(context, otp ? "invalidTotpMessage" : "sentinelBreachCodeInvalid", null));
    }

    private static boolean startProof(AuthenticationFlowContext context) {
        UserModel user = context.getUser();
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        clearProof(auth);
        boolean hasOtp = user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE).findAny().isPresent();
        // always Sentinel's own OTP step: whether a later OTP step of the flow runs for this login
        // (conditions on roles, client scopes, the requested level of authentication) cannot be
        // known here, and trusting it would let a client that asks for less skip the proof
        if (hasOtp) {
            auth.setAuthNote(STAGE, STAGE_OTP);
            context.challenge(proofPage(context, null, null));
            return false;
        }
        if (!EmailCode.possible(user)) {
            context.getEvent().detail(EVENT_DETAIL, "no_second_proof").error(EVENT_ERROR);
            Response page = context.form().setError("sentinelBreachNoProof").createLoginUsernamePassword();
            context.clearUser();
            context.challenge(page);
            return false;
        }
        auth.setAuthNote(STAGE, STAGE_EMAIL);
        if (!sendCode(context)) {
            clearProof(auth);
            Response page = context.form().setError("sentinelBreachCodeNotSent").createLoginUsernamePassword();
            context.clearUser();
            context.challenge(page);
            return false;
        }
        context.challenge(proofPage(context, null, null));
        return false;
    }

    private static Response proofPage(AuthenticationFlowContext context, String error, String info) {
        boolean otp = STAGE_OTP.equals(context.getAuthenticationSession().getAuthNote(STAGE));
        var form = context.form();
        if (error != null) {
            form.setError(error);
        } else if (info != null) {
            form.setInfo(info);
        } else if (otp) {
            form.setInfo("sentinelBreachOtpInfo");
        }
        return otp ? form.createLoginTotp() : form.setAttribute("sentinelCodeTitle", "sentinelBreachCodeTitle")
                .setAttribute("sentinelCodeInfo", "sentinelBreachCodeInfo").createForm(EmailCode.TEMPLATE);
    }

    /** Mails a new code to the user's verified address; false when the mail could not be sent. */
    private static boolean sendCode(AuthenticationFlowContext context) {
        return CODE.send(context, "sentinelBreachCodeSubject", "sentinelBreachCodeBody");
    }

    /** Action {@code email-reset}: mail the owner a link to choose a new password (rate-limited), and the admin if set. */
    private static void emailReset(AuthenticationFlowContext context, BreachSettings settings) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        long now = Time.currentTimeMillis();
        long last = parseLong(user.getFirstAttribute(ATTR_MAILED_AT));
        if (now - last < RESET_MAIL_INTERVAL.toMillis()) {
            return;
        }
        user.setSingleAttribute(ATTR_MAILED_AT, Long.toString(now));
        if (user.getEmail() != null) {
            try {
                int lifespan = realm.getActionTokenGeneratedByAdminLifespan();
                ExecuteActionsActionToken token = new ExecuteActionsActionToken(user.getId(), user.getEmail(),
                        Time.currentTime() + lifespan, List.of(UserModel.RequiredAction.UPDATE_PASSWORD.name()), null,
                        context.getAuthenticationSession().getClient().getClientId());
                String link = LoginActionsService.actionTokenProcessor(session.getContext().getUri())
                        .queryParam("key", token.serialize(session, realm, session.getContext().getUri()))
                        .build(realm.getName()).toString();
                session.getProvider(EmailTemplateProvider.class)
                        .setAttribute(Constants.TEMPLATE_ATTR_REQUIRED_ACTIONS, token.getRequiredActions())
                        .setRealm(realm).setUser(user).sendExecuteActions(link, TimeUnit.SECONDS.toMinutes(lifespan));
            } catch (EmailException | RuntimeException e) {
                LOG.warnf("Sentinel: could not mail a new-password link to user %s of realm '%s': %s", user.getId(),
                        realm.getName(), e.toString());
            }
        }
        if (settings.adminEmail() != null) {
            Properties messages = EmailCode.messages(session, realm, null);
            String realmName = realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName();
            String subject = EmailCode.format(messages, "sentinelBreachAdminSubject", "Breached password used", realmName);
            String text = EmailCode.format(messages, "sentinelBreachAdminBody", "{1}", realmName, user.getUsername());
            try {
                session.getProvider(EmailSenderProvider.class).send(realm.getSmtpConfig(), settings.adminEmail(), subject,
                        text, EmailCode.html(text));
            } catch (EmailException | RuntimeException e) {
                LOG.warnf("Sentinel: could not tell the admin of realm '%s' about a breached password: %s", realm.getName(),
                        e.toString());
            }
        }
    }

    private static void flag(UserModel user, LoginAction action, BreachVerdict verdict) {
        try {
            user.setSingleAttribute(ATTR_FLAGGED, "true");
            user.setSingleAttribute(ATTR_FLAGGED_AT, Long.toString(Time.currentTimeMillis()));
            user.setSingleAttribute(ATTR_ACTION, action.value());
            user.setSingleAttribute(ATTR_SOURCE, verdict.source().value());
            user.removeAttribute(ATTR_VERDICT);
        } catch (RuntimeException e) {
            // a read-only user store (LDAP): the action still applies, the flag is not kept
            LOG.debugf("Sentinel: could not flag user %s: %s", user.getId(), e.toString());
        }
    }

    private static void clearProof(AuthenticationSessionModel auth) {
        auth.removeAuthNote(STAGE);
        CODE.clear(auth);
    }

    /**
     * The memo of the user's current password credential: an HMAC (realm key of the detector) of
     * its id, creation time and salt. Empty when there is no key or no stored password.
     */
    static Optional<String> memo(KeycloakSession session, RealmModel realm, UserModel user) {
        try {
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null) {
                return Optional.empty();
            }
            Optional<CredentialModel> stored = user.credentialManager()
                    .getStoredCredentialsByTypeStream(PasswordCredentialModel.TYPE).findFirst();
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            CredentialModel c = stored.get();
            byte[] salt = PasswordCredentialModel.createFromCredentialModel(c).getPasswordSecretData().getSalt();
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(detection.detector().keys().derivedKey(realm.getId(), "breach-verdict"),
                    "HmacSHA256"));
            mac.update((c.getId() + ":" + c.getCreatedDate() + ":").getBytes(StandardCharsets.UTF_8));
            mac.update(salt == null ? new byte[0] : salt);
            return Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(mac.doFinal(), 16)));
        } catch (GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean rememberedClean(UserModel user, String memo, int recheckDays) {
        String stored = user.getFirstAttribute(ATTR_VERDICT);
        if (stored == null) {
            return false;
        }
        int colon = stored.lastIndexOf(':');
        if (colon < 0 || !MessageDigest.isEqual(stored.substring(0, colon).getBytes(StandardCharsets.US_ASCII),
                memo.getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        long day = parseLong(stored.substring(colon + 1));
        return today() - day < recheckDays;
    }

    private static long today() {
        return LocalDate.now(ZoneOffset.UTC).toEpochDay();
    }

    private static String trimmed(String v, int max) {
        if (v == null) {
            return null;
        }
        String s = v.strip();
        return s.isEmpty() || s.length() > max ? null : s;
    }

    private static int parse(String v) {
        return (int) Math.min(Integer.MAX_VALUE, parseLong(v));
    }

    private static long parseLong(String v) {
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
