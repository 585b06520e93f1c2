package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.mail.MailOutbox;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.theme.Theme;

/**
 * A one-time code mailed to the account's verified address, to prove control of it in the middle
 * of a login (the breached-password proof, MFA step-up, a risky first enrollment). The code is
 * kept only as a SHA-256 bound to the authentication session, with an expiry, a number of tries and
 * of mails per login; mails are capped per user per hour on the whole cluster, whatever the
 * purpose, so that whoever knows the password cannot flood the owner's inbox.
 */
public final class EmailCode {

    public static final String TEMPLATE = "sentinel-email-code.ftl";
    /** The code mail, in the email theme (html/ and text/): themeable and in the user's language. */
    public static final String MAIL_TEMPLATE = "sentinel-code.ftl";
    public static final int MAX_ATTEMPTS = 5;
    public static final int MAX_SENDS = 3;
    public static final int MAX_CODE_MAILS_PER_HOUR = 5;
    public static final Duration LIFETIME = Duration.ofMinutes(10);
    private static final int DIGITS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = Logger.getLogger(EmailCode.class);

    private final String code;
    private final String expires;
    private final String attempts;
    private final String sends;

    /** @param notePrefix the auth-note namespace of this use (one login may carry two uses) */
    public EmailCode(String notePrefix) {
        this.code = notePrefix + "code";
        this.expires = notePrefix + "codeExpires";
        this.attempts = notePrefix + "attempts";
        this.sends = notePrefix + "sends";
    }

    /** Whether the user has an address the code may go to. */
    public static boolean possible(UserModel user) {
        return user.getEmail() != null && !user.getEmail().isBlank() && user.isEmailVerified();
    }

    public boolean mayResend(AuthenticationSessionModel auth) {
        return parse(auth.getAuthNote(sends)) < MAX_SENDS;
    }

    /**
     * Mails a new code to the user's verified address through Sentinel's mail queue: rendered from
     * the email theme's {@value #MAIL_TEMPLATE} (HTML and text, the user's language; subject
     * {@code subjectKey} with {0} the realm, body {@code bodyKey} with {0} realm, {1} code, {2} minutes
     * valid) and sent 1-2 s after the answer on the mail thread, never on the login's: the answer
     * takes the same time whether or not a mail goes out.
     *
     * @return false when no mail may go (the hourly cap, or no mail queue on this server)
     */
    public boolean send(AuthenticationFlowContext context, String subjectKey, String bodyKey) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        java.util.Optional<MailOutbox> outbox = MailOutbox.of(session);
        if (outbox.isEmpty()) {
            LOG.warnf("Sentinel: no mail queue on this server; no code mailed to user %s of realm '%s'", user.getId(),
                    realm.getName());
            return false;
        }
        if (!mailSlot(session, realm, user)) {
            LOG.debugf("Sentinel: code mail for user %s of realm '%s' refused: hourly limit", user.getId(), realm.getName());
            return false;
        }
        String value = newCode();
        String realmName = realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelBodyKey", bodyKey);
        attributes.put("sentinelRealm", realmName);
        attributes.put("sentinelCode", value);
        attributes.put("sentinelMinutes", LIFETIME.toMinutes());
        outbox.get().afterCommit(session, new CodeMail(new MailOutbox.Mail("email_code", realm.getId(), user.getId(), null,
                subjectKey, List.of(realmName), MAIL_TEMPLATE, attributes)));
        store(auth, value);
        return true;
    }

    /**
     * A code mail, sent a moment after the answer. Only whoever typed the right password can ask for
     * one (at most {@value #MAX_CODE_MAILS_PER_HOUR} an hour per user), so it does not share the
     * places anonymous visitors' mails (sign-up, reset) fill: a flood of those never holds back the
     * code a user needs during an attack.
     */
    private record CodeMail(MailOutbox.Mail mail) implements MailOutbox.Delivery {

        @Override
        public String kind() {
            return mail.kind();
        }

        @Override
        public String realmId() {
            return mail.realmId();
        }

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws org.keycloak.email.EmailException {
            return mail.deliver(session, realm);
        }

        @Override
        public Duration delay() {
            return MailOutbox.afterTheAnswer();
        }
    }

    /**
     * A new code for this authentication session, kept only as its hash; the caller delivers it
     * (the sign-up step mails it through the queue, to an address that has no account yet).
     */
    public String issue(AuthenticationSessionModel auth, String binding) {
        String value = newCode();
        store(auth, binding, value);
        return value;
    }

    /**
     * The same work as {@link #issue}, but what is stored matches no code: for an answer that must
     * look and cost the same while no code may work (an address that has an account, a mail not sent).
     * Returns a code-shaped value that matches nothing (for a mail body that is rendered, not sent).
     */
    public String issueUnusable(AuthenticationSessionModel auth, String binding) {
        String decoy = newCode();
        byte[] noise = new byte[18];
        RANDOM.nextBytes(noise);
        // longer than any code that can be typed: nothing typed hashes to it
        store(auth, binding, Base64.getUrlEncoder().encodeToString(noise));
        return decoy;
    }

    private void store(AuthenticationSessionModel auth, String value) {
        store(auth, null, value);
    }

    private void store(AuthenticationSessionModel auth, String binding, String value) {
        auth.setAuthNote(code, mac(auth, bound(binding, value)));
        auth.setAuthNote(expires, Long.toString(Time.currentTimeMillis() + LIFETIME.toMillis()));
        auth.setAuthNote(sends, Integer.toString(parse(auth.getAuthNote(sends)) + 1));
    }

    private static String newCode() {
        StringBuilder value = new StringBuilder(DIGITS);
        for (int i = 0; i < DIGITS; i++) {
            value.append(RANDOM.nextInt(10));
        }
        return value.toString();
    }

    /** Whether {@code typed} is the current, unexpired code (spaces ignored; at most 16 characters). */
    public boolean matches(AuthenticationFlowContext context, String typed) {
        return matches(context, typed, null);
    }

    /** Like {@link #matches(AuthenticationFlowContext, String)} for a code issued with {@code binding}. */
    public boolean matches(AuthenticationFlowContext context, String typed, String binding) {
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        String t = typed == null ? null : typed.strip().replace(" ", "");
        String expected = auth.getAuthNote(code);
        return t != null && !t.isEmpty() && t.length() <= 16 && expected != null
                && Time.currentTimeMillis() < parseLong(auth.getAuthNote(expires))
                && MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                mac(auth, bound(binding, t)).getBytes(StandardCharsets.US_ASCII));
    }

    /** Counts a wrong code; true when that was the last try allowed. */
    public boolean failedAttempt(AuthenticationSessionModel auth) {
        int n = parse(auth.getAuthNote(attempts)) + 1;
        auth.setAuthNote(attempts, Integer.toString(n));
        return n >= MAX_ATTEMPTS;
    }

    public void clear(AuthenticationSessionModel auth) {
        for (String note : List.of(code, expires, attempts, sends)) {
            auth.removeAuthNote(note);
        }
    }

    /**
     * One of the {@value #MAX_CODE_MAILS_PER_HOUR} code mails a user may get per hour, claimed on
     * the whole cluster (new tabs, resends, repeated password posts and every purpose included).
     * Without the detector: no limit.
     */
    private static boolean mailSlot(KeycloakSession session, RealmModel realm, UserModel user) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection == null) {
            return true;
        }
        return detection.detector().keys().claimHourlySlot(realm.getId(), "mail-code", user.getId(),
                MAX_CODE_MAILS_PER_HOUR);
    }

    /** A code bound to what it was issued for (the address a sign-up code verifies): another value, another hash. */
    private static String bound(String binding, String value) {
        return binding == null ? value : binding + "\u0000" + value;
    }

    private static String mac(AuthenticationSessionModel auth, String value) {
        return sessionBound(auth, value);
    }

    /** SHA-256 of {@code value} bound to the login's browser session (base64url): worth nothing with another session. */
    public static String sessionBound(AuthenticationSessionModel auth, String value) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // bound to this authentication session: a code is worth nothing in another login
            sha.update(auth.getParentSession().getId().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(value.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The login theme's messages in the user's locale (empty when the theme cannot be read). */
    public static Properties messages(KeycloakSession session, RealmModel realm, UserModel user) {
        try {
            Locale locale = session.getContext().resolveLocale(user);
            return session.theme().getTheme(Theme.Type.LOGIN).getEnhancedMessages(realm, locale);
        } catch (java.io.IOException | RuntimeException e) {
            return new Properties();
        }
    }

    public static String format(Properties messages, String key, String fallback, Object... args) {
        String pattern = messages.getProperty(key, fallback);
        try {
            return new MessageFormat(pattern, Locale.ROOT).format(args);
        } catch (IllegalArgumentException e) {
            return pattern;
        }
    }

    /** Plain text as a minimal, escaped HTML body. */
    public static String html(String text) {
        String escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        return "<html><body><p>" + escaped.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p></body></html>";
    }

    /** A count or an instant this class stored in an auth note; 0 when missing or damaged. */
    private static int parse(String v) {
        return (int) SettingsValues.stored(v, 0, Integer.MAX_VALUE, 0);
    }

    private static long parseLong(String v) {
        return SettingsValues.stored(v, 0, Long.MAX_VALUE, 0);
    }
}
