package io.keycloaksentinel.core.mail;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.UserModelDelegate;

/**
 * Sends Sentinel's mails to users so that mail never blocks or fails a login: a mail is queued
 * only when the request's transaction commits (a rolled-back login sends nothing), then rendered
 * and sent on Sentinel's own mail threads in a fresh Keycloak session, through the realm's SMTP
 * settings and the email theme's templates. A failed send is retried {@value #ATTEMPTS} times in
 * all (after 5 s and 30 s), then logged and counted ({@code sentinel_mail_total{outcome="failed"}});
 * at most {@value #MAX_PENDING} mails wait at once (at most {@value #MAX_PENDING_ON_REQUEST} of them
 * asked for from a public page, and at most {@value #MAX_PENDING_ON_REQUEST_PER_REALM} of those from
 * one realm), beyond which new ones are dropped and counted, never held on the heap without bound.
 */
public final class MailOutbox {

    static final int ATTEMPTS = 3;
    static final int MAX_PENDING = 1000;
    static final int MAX_PENDING_ON_REQUEST = MAX_PENDING / 2;
    /** Most visitor-asked mails of one realm waiting at once: a flood in one realm leaves the others their mail. */
    static final int MAX_PENDING_ON_REQUEST_PER_REALM = MAX_PENDING_ON_REQUEST / 5;
    private static final List<Duration> BACKOFF = List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(30));
    private static final Logger LOG = Logger.getLogger(MailOutbox.class);

    /**
     * One mail: rendered from the email theme's {@code html/<template>} and {@code text/<template>}
     * with {@code attributes}, subject from the theme's messages.
     *
     * @param kind      for logs and the metric ({@code new_device}, {@code password_changed}, ...)
     * @param toAddress a different address than the user's (the old address after a change); null: the user's
     */
    public record Mail(String kind, String realmId, String userId, String toAddress, String subjectKey,
                       List<Object> subjectAttributes, String template, Map<String, Object> attributes) implements Delivery {

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws EmailException {
            UserModel user = session.users().getUserById(realm, userId);
            if (user == null) {
                return null;
            }
            UserModel recipient = user;
            if (toAddress != null) {
                recipient = new UserModelDelegate(user) {
                    @Override
                    public String getEmail() {
                        return toAddress;
                    }
                };
            }
            if (recipient.getEmail() == null || recipient.getEmail().isBlank()) {
                return null; // no address: nothing can be sent, and retrying will not change that
            }
            session.getProvider(EmailTemplateProvider.class).setRealm(realm).setUser(recipient)
                    .send(subjectKey, subjectAttributes, template, attributes);
            return null;
        }
    }

    /**
     * A mail already rendered on the request thread, to an address that may belong to no account
     * (a sign-up code to an address nobody registered yet).
     */
    public record Prerendered(String kind, String realmId, String address, String subject, String text, String html)
            implements Delivery {

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws EmailException {
            session.getProvider(EmailSenderProvider.class).send(realm.getSmtpConfig(), address, subject, text, html);
            return null;
        }

        @Override
        public Duration delay() {
            return afterTheAnswer();
        }

        @Override
        public boolean onRequest() {
            return true;
        }
    }

    /** Something to send in a fresh session of its realm, off the request thread. */
    public interface Delivery {
        /** For logs and the metric ({@code new_device}, {@code signup_code}, ...). */
        String kind();

        String realmId();

        /** Sends; null when sent or when there is nothing to send (retrying would not help), else why not. */
        String deliver(KeycloakSession session, RealmModel realm) throws EmailException;

        /**
         * Whether anyone can ask for this mail from a public page (sign-up, reset): such mails may fill
         * at most half of the queue, so a flood of them never crowds out security alerts.
         */
        default boolean onRequest() {
            return false;
        }

        /** How long after the commit the first attempt starts. */
        default Duration delay() {
            return Duration.ZERO;
        }
    }

    /**
     * A delay of one to two seconds (random) for mails whose sending must not overlap the answer
     * they follow: rendering and SMTP work at the same moment as the answer to one kind of visitor
     * only (a registered address) would slow that answer a little.
     */
    public static Duration afterTheAnswer() {
        return Duration.ofMillis(1000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(1000));
    }

    /**
     * This server's queue, looked up through the session ({@link MailOutboxProvider}); empty when
     * no provider is deployed or it has not started yet.
     */
    public static java.util.Optional<MailOutbox> of(KeycloakSession session) {
        MailOutboxProvider provider = session.getProvider(MailOutboxProvider.class);
        return provider == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(provider.outbox());
    }

    private final KeycloakSessionFactory factory;
    private final ScheduledExecutorService executor;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger onRequestPending = new AtomicInteger();
    /** Visitor-asked mails waiting, per realm (an entry per realm that asked for any: bounded by the realms). */
    private final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> onRequestByRealm =
            new java.util.concurrent.ConcurrentHashMap<>();

    public MailOutbox(KeycloakSessionFactory factory) {
        this.factory = factory;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "sentinel-mail");
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true);
        this.executor = pool;
    }

    /** Queues {@code mail} to be sent once {@code session}'s transaction has committed. */
    public void afterCommit(KeycloakSession session, Delivery mail) {
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                submit(mail, 0);
            }

            @Override
            protected void rollbackImpl() {
                // the request failed: nothing happened that a mail should tell about
            }
        });
    }

    /** Queues {@code mail} now (as after a commit). */
    void offer(Delivery mail) {
        submit(mail, 0);
    }

    private void submit(Delivery mail, int attempt) {
        if (attempt == 0 && mail.onRequest()) {
            AtomicInteger realm = realmCount(mail);
            if (realm.incrementAndGet() > MAX_PENDING_ON_REQUEST_PER_REALM) {
                realm.decrementAndGet();
                count(mail, "dropped");
                LOG.warnf("Sentinel: %d mails asked for by visitors of realm %s wait already; a %s mail was dropped",
                        MAX_PENDING_ON_REQUEST_PER_REALM, mail.realmId(), mail.kind());
                return;
            }
            if (onRequestPending.incrementAndGet() > MAX_PENDING_ON_REQUEST) {
                onRequestPending.decrementAndGet();
                realm.decrementAndGet();
                count(mail, "dropped");
                LOG.warnf("Sentinel: %d mails asked for by visitors wait already; a %s mail of realm %s was dropped",
                        MAX_PENDING_ON_REQUEST, mail.kind(), mail.realmId());
                return;
            }
        }
        if (attempt == 0 && pending.incrementAndGet() > MAX_PENDING) {
            release(mail);
            count(mail, "dropped");
            LOG.warnf("Sentinel: mail queue full (%d); a %s mail of realm %s was dropped", MAX_PENDING, mail.kind(),
                    mail.realmId());
            return;
        }
        try {
            Duration wait = attempt == 0 ? mail.delay() : BACKOFF.get(attempt);
            executor.schedule(() -> attempt(mail, attempt), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) { // shut down
            release(mail);
            count(mail, "dropped");
        }
    }

    /** One mail fewer waiting. */
    private void release(Delivery mail) {
        pending.decrementAndGet();
        if (mail.onRequest()) {
            onRequestPending.decrementAndGet();
            realmCount(mail).decrementAndGet();
        }
    }

    private AtomicInteger realmCount(Delivery mail) {
        return onRequestByRealm.computeIfAbsent(String.valueOf(mail.realmId()), k -> new AtomicInteger());
    }

    private void attempt(Delivery mail, int attempt) {
        String failure;
        try {
            failure = KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> send(session, mail));
        } catch (RuntimeException | LinkageError e) {
            // counted and retried like any failure: the waiting counts must always come down
            failure = e.toString();
        }
        if (failure == null) {
            release(mail);
            count(mail, "sent");
            return;
        }
        if (attempt + 1 < ATTEMPTS) {
            count(mail, "retried");
            LOG.debugf("Sentinel: a %s mail failed (attempt %d of %d), retrying: %s", mail.kind(), attempt + 1, ATTEMPTS,
                    failure);
            submit(mail, attempt + 1);
            return;
        }
        release(mail);
        count(mail, "failed");
        LOG.warnf("Sentinel: a %s mail of realm %s could not be sent after %d attempts: %s", mail.kind(),
                mail.realmId(), ATTEMPTS, failure);
    }

    /** Renders and sends; returns null when sent, else why not. */
    private static String send(KeycloakSession session, Delivery mail) {
        RealmModel realm = session.realms().getRealm(mail.realmId());
        if (realm == null) {
            return null; // the realm is gone: nothing to tell
        }
        session.getContext().setRealm(realm);
        try {
            return mail.deliver(session, realm);
        } catch (EmailException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
    }

    private static void count(Delivery mail, String outcome) {
        Counter.builder("sentinel_mail_total")
                .description("Sentinel's mails to users, by kind and outcome (sent, retried, failed, dropped)")
                .tag("kind", mail.kind()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    /** Mails waiting or being retried now. */
    public int pending() {
        return pending.get();
    }

    /** Visitor-asked mails of one realm waiting or being retried now. */
    int pendingOnRequest(String realmId) {
        AtomicInteger n = onRequestByRealm.get(realmId);
        return n == null ? 0 : n.get();
    }

    public void close() {
        executor.shutdown();
    }
}
