package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.mail.MailOutbox;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * The step-up that teaches the attacker nothing ({@code stepUpHigh: email-link}): a right password
 * from a risky source is answered exactly as a wrong one (Sentinel's login form does that), and the
 * owner is mailed a one-time link that continues this sign-in, in this browser only: the link names
 * the login's tab, carries a random key kept only as a hash bound to the browser's authentication
 * session, works for {@link #LIFETIME}, once. Followed in another browser (or after the login
 * ended) it finds no session with that hash and does nothing. Mails go through the queue after the
 * answer, within {@value #MAX_LINK_MAILS_PER_HOUR} an hour per user on the whole cluster.
 */
public final class EmailLinkStepUp {

    public static final Duration LIFETIME = Duration.ofMinutes(5);
    public static final int MAX_LINK_MAILS_PER_HOUR = 3;
    /** The realm resource that follows the link ({@code /realms/{realm}/sentinel-link/continue}). */
    public static final String RESOURCE = "sentinel-link";
    static final String HASH = "sentinel.link.hash", USER = "sentinel.link.user", EXPIRES = "sentinel.link.expires",
            PROVED = "sentinel.link.proved", MAILBOX = "sentinel.link.mailbox";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = Logger.getLogger(EmailLinkStepUp.class);

    private EmailLinkStepUp() {
    }

    /** Whether this right password must be answered as a wrong one: the login's step-up is the emailed link, not yet followed. */
    public static boolean wanted(AuthenticationFlowContext context) {
        if (context.getUser() == null) {
            return false;
        }
        return MfaFlow.risk(context, MfaFlow.settings(context)).action() == StepUpAction.EMAIL_LINK;
    }

    /** A new password post in this login: a link followed before proves nothing about it. */
    public static void newAttempt(AuthenticationSessionModel auth) {
        auth.removeAuthNote(PROVED);
    }

    /** Takes the proof of a followed link (once): the user it proved, if any. */
    public static Optional<String> takeProved(AuthenticationSessionModel auth) {
        Optional<String> user = provedUser(auth);
        auth.removeAuthNote(PROVED);
        if (user.isPresent()) {
            auth.setAuthNote(MAILBOX, user.get()); // for the MFA step: the mailbox of this user is proved
        }
        return user;
    }

    /** Whether this login proved {@code userId}'s mailbox with the emailed link (the MFA step's emailed code is not asked again). */
    public static boolean mailboxProved(AuthenticationSessionModel auth, String userId) {
        return userId != null && userId.equals(auth.getAuthNote(MAILBOX));
    }

    /**
     * Mails the link (when the owner has a verified address and the hourly budget allows) and keeps
     * its key's hash in the authentication session; the caller answers as for a wrong password.
     */
    public static void start(AuthenticationFlowContext context) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        MfaFlow.count(realm, "email_link");
        if (!EmailCode.possible(user)) {
            LOG.debugf("Sentinel: email-link step-up for user %s of realm '%s': no verified address", user.getId(), realm.getName());
            return;
        }
        long now = Time.currentTimeMillis();
        if (user.getId().equals(auth.getAuthNote(USER)) && auth.getAuthNote(HASH) != null
                && now < parse(auth.getAuthNote(EXPIRES))) {
            return; // the owner typed it again: the link already mailed still works (a new one would void it)
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        auth.setAuthNote(HASH, hash(auth, key));
        auth.setAuthNote(USER, user.getId());
        auth.setAuthNote(EXPIRES, Long.toString(now + LIFETIME.toMillis()));
        URI link = session.getContext().getUri().getBaseUriBuilder().path("realms").path(realm.getName()).path(RESOURCE)
                .path("continue").queryParam("client_id", auth.getClient().getClientId()).queryParam("tab_id", auth.getTabId())
                .queryParam("key", key).build();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sentinelLink", link.toString());
        attributes.put("sentinelLinkMinutes", LIFETIME.toMinutes());
        attributes.put("sentinelWhen", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochMilli(Time.currentTimeMillis())) + " UTC");
        String ip = context.getConnection() == null ? null : context.getConnection().getRemoteAddr();
        attributes.put("sentinelIp", ip == null ? "" : ip);
        Optional<MailOutbox> outbox = MailOutbox.of(session);
        outbox.ifPresent(o -> o.afterCommit(session, new LinkMail(new MailOutbox.Mail("email_link", realm.getId(), user.getId(),
                null, "sentinelEmailLinkSubject", List.of(realm.getDisplayName() != null ? realm.getDisplayName() : realm.getName()),
                "sentinel-email-link.ftl", attributes))));
    }

    /**
     * The link mail: sent a moment after the answer (its rendering and SMTP work must not overlap
     * the answer to a right password), counted as asked from a public page (it never crowds out the
     * security alerts), and within the user's hourly budget, claimed on the mail thread (no cluster
     * call on the request).
     */
    private record LinkMail(MailOutbox.Mail mail) implements MailOutbox.Delivery {

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
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection != null && !detection.detector().keys().claimHourlySlot(realm.getId(), "mail-link", mail.userId(),
                    MAX_LINK_MAILS_PER_HOUR)) {
                MfaFlow.count(realm, "email_link_rate_limited");
                return null; // over the budget: not sent, not retried
            }
            return mail.deliver(session, realm);
        }

        @Override
        public boolean onRequest() {
            return true;
        }

        @Override
        public java.time.Duration delay() {
            return MailOutbox.afterTheAnswer();
        }
    }

    private static long parse(String v) {
        try {
            return Long.parseLong(String.valueOf(v));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The link followed with this authentication session (the browser's own): true and the login
     * marked proved when the key is this session's, unexpired and unused; it is used up either way
     * once it matched.
     */
    static boolean follow(AuthenticationSessionModel auth, String key) {
        String expected = auth.getAuthNote(HASH);
        String user = auth.getAuthNote(USER);
        long expires;
        try {
            expires = Long.parseLong(String.valueOf(auth.getAuthNote(EXPIRES)));
        } catch (NumberFormatException e) {
            return false;
        }
        if (expected == null || user == null || key == null || key.length() > 100
                || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                        hash(auth, key).getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        auth.removeAuthNote(HASH);
        auth.removeAuthNote(EXPIRES);
        if (Time.currentTimeMillis() > expires) {
            return false;
        }
        auth.setAuthNote(PROVED, user);
        return true;
    }

    /** The user whose emailed link this login followed (the mailbox proved, the password checked before), if any. */
    public static Optional<String> provedUser(AuthenticationSessionModel auth) {
        return Optional.ofNullable(auth.getAuthNote(PROVED));
    }

    private static String hash(AuthenticationSessionModel auth, String key) {
        return EmailCode.sessionBound(auth, key); // bound to the browser's authentication session
    }
}
