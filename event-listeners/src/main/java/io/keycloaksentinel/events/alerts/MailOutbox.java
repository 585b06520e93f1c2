package io.keycloaksentinel.events.alerts;

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
 * at most {@value #MAX_PENDING} mails wait at once, beyond which new ones are dropped and counted,
 * never held on the heap without bound.
 */
public final class MailOutbox {

    static final int ATTEMPTS = 3;
    static final int MAX_PENDING = 1000;
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
                       List<Object> subjectAttributes, String template, Map<String, Object> attributes) {
    }

    private final KeycloakSessionFactory factory;
    private final ScheduledExecutorService executor;
    private final AtomicInteger pending = new AtomicInteger();

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
    public void afterCommit(KeycloakSession session, Mail mail) {
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

    private void submit(Mail mail, int attempt) {
        if (attempt == 0 && pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            count(mail, "dropped");
            LOG.warnf("Sentinel: mail queue full (%d); a %s mail of realm %s was dropped", MAX_PENDING, mail.kind(),
                    mail.realmId());
            return;
        }
        try {
            executor.schedule(() -> attempt(mail, attempt), BACKOFF.get(attempt).toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) { // shut down
            pending.decrementAndGet();
            count(mail, "dropped");
        }
    }

    private void attempt(Mail mail, int attempt) {
        String failure;
        try {
            failure = KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> send(session, mail));
        } catch (RuntimeException e) {
            failure = e.toString();
        }
        if (failure == null) {
            pending.decrementAndGet();
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
        pending.decrementAndGet();
        count(mail, "failed");
        LOG.warnf("Sentinel: a %s mail to user %s of realm %s could not be sent after %d attempts: %s", mail.kind(),
                mail.userId(), mail.realmId(), ATTEMPTS, failure);
    }

    /** Renders and sends; returns null when sent, else why not. */
    private static String send(KeycloakSession session, Mail mail) {
        RealmModel realm = session.realms().getRealm(mail.realmId());
        if (realm == null) {
            return null; // the realm is gone: nothing to tell
        }
        session.getContext().setRealm(realm);
        UserModel user = session.users().getUserById(realm, mail.userId());
        if (user == null) {
            return null;
        }
        UserModel recipient = user;
        if (mail.toAddress() != null) {
            recipient = new UserModelDelegate(user) {
                @Override
                public String getEmail() {
                    return mail.toAddress();
                }
            };
        }
        if (recipient.getEmail() == null || recipient.getEmail().isBlank()) {
            return null; // no address: nothing can be sent, and retrying will not change that
        }
        try {
            session.getProvider(EmailTemplateProvider.class).setRealm(realm).setUser(recipient)
                    .send(mail.subjectKey(), mail.subjectAttributes(), mail.template(), mail.attributes());
            return null;
        } catch (EmailException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
    }

    private static void count(Mail mail, String outcome) {
        Counter.builder("sentinel_mail_total")
                .description("Sentinel's mails to users, by kind and outcome (sent, retried, failed, dropped)")
                .tag("kind", mail.kind()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    /** Mails waiting or being retried now. */
    public int pending() {
        return pending.get();
    }

    public void close() {
        executor.shutdown();
    }
}
