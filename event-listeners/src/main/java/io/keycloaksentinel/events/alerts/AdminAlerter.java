package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.core.alerts.AdminAlertSettings;
import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.Emergency;
import io.keycloaksentinel.core.detect.IncidentLedger;
import io.keycloaksentinel.core.detect.PasswordSprays;
import io.keycloaksentinel.core.detect.RealmAttackStatus;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.detect.RealmSignals;
import io.keycloaksentinel.core.incident.ContainmentSettings;
import io.keycloaksentinel.core.net.BoundedHttp;
import io.keycloaksentinel.core.risk.AttackState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.util.JsonSerialization;

/**
 * Tells a realm's admins about an attack, in a form a human can act on: one alert when it starts
 * (what, since when, how big, which responses are on), updates at most every
 * {@code updateMinutes} while it lasts, one when it ends with a summary (duration, failures, the
 * accounts that signed in from flagged sources). By email to the listed admins and to a webhook
 * (JSON or Slack's {@code text}), signed: header {@value #SIGNATURE_HEADER} =
 * {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}.
 *
 * <p>Off the login path: start and end come from the node whose compare-and-set recorded the state
 * change, updates are claimed once per period on the cluster; alerts are built and sent on this
 * class's own thread, in a fresh Keycloak session; a failed delivery is retried twice (after 2 s
 * and 10 s) then counted as failed; at most {@value #MAX_QUEUE} alerts wait (beyond: dropped).
 */
public final class AdminAlerter implements AttackAlerts {

    public static final String SIGNATURE_HEADER = "X-Sentinel-Signature";
    static final int MAX_QUEUE = 200;
    private static final long[] RETRY_MILLIS = {2_000, 10_000};
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(AdminAlerter.class);

    private final KeycloakSessionFactory factory;
    private final ScheduledThreadPoolExecutor pool;
    private final Duration timeout;
    private final long[] retryMillis;
    /** Updates are minutes apart: checked every ten seconds. */
    static final long TICK_MILLIS = 10_000;
    private volatile long lastTick;

    public AdminAlerter(KeycloakSessionFactory factory) {
        this(factory, TIMEOUT, RETRY_MILLIS);
    }

    /** With other delivery timings (tests). */
    AdminAlerter(KeycloakSessionFactory factory, Duration timeout, long[] retryMillis) {
        this.factory = factory;
        this.timeout = timeout;
        this.retryMillis = retryMillis.clone();
        this.pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sentinel-admin-alerts");
            t.setDaemon(true);
            return t;
        });
        this.pool.setRemoveOnCancelPolicy(true);
    }

    /** The kinds of alert. */
    public enum Kind {
        STARTED, UPDATE, ENDED, SPRAY;

        String value() {
            return this == SPRAY ? "password_spraying" : "attack_" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** Called on the one node that recorded a state change. */
    @Override
    public void stateChanged(String realmId, AttackDetector detector, RealmAttackStatus from, RealmAttackStatus to) {
        submit(() -> inSession(realmId, (session, realm, settings) -> {
            int min = "elevated".equals(settings.minState()) ? AttackState.ELEVATED.ordinal() : AttackState.UNDER_ATTACK.ordinal();
            boolean wasOn = from.state().ordinal() >= min;
            boolean isOn = to.state().ordinal() >= min;
            if (!wasOn && isOn) {
                send(session, realm, settings, Kind.STARTED, payload(realm, detector, Kind.STARTED, to, to.sinceMillis()));
            } else if (wasOn && !isOn) {
                send(session, realm, settings, Kind.ENDED, payload(realm, detector, Kind.ENDED, from, from.sinceMillis()));
            }
        }));
    }

    /**
     * A password was flagged as sprayed (on the node that flagged it, after its containment): one
     * alert per password and hour, whatever the realm's attack state. Never the password.
     */
    @Override
    public void sprayFlagged(String realmId, AttackDetector detector, PasswordSprays.Flag flag) {
        submit(() -> inSession(realmId, (session, realm, settings) -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("type", Kind.SPRAY.value());
            p.put("realm", realm.getName());
            p.put("at", Instant.ofEpochMilli(flag.atMillis()).toString());
            p.put("reason", "one password was tried on " + flag.accounts()
                    + " accounts, each from a network new to the account, within an hour");
            p.put("accountsTried", flag.accounts());
            List<PasswordSprays.Entered> entered = detector.sprays().entered(realmId, flag);
            p.put("accountsEntered", entered.stream().map(PasswordSprays.Entered::userId).distinct().count());
            p.put("contained", contained(realm, detector, flag.atMillis() - PasswordSprays.WINDOW.length().toMillis()));
            send(session, realm, settings, Kind.SPRAY, p);
        }));
    }

    /** Called every evaluation on every node; every {@value #TICK_MILLIS} ms: an update for each realm under attack whose period has come, claimed once. */
    @Override
    public void tick(AttackDetector detector) {
        long now = System.currentTimeMillis();
        if (now - lastTick < TICK_MILLIS) {
            return;
        }
        lastTick = now;
        for (String realmId : detector.states().activeRealmIds()) {
            RealmAttackStatus status = detector.states().status(realmId);
            if (status.state() == AttackState.NORMAL || status.sinceMillis() <= 0) {
                continue;
            }
            submit(() -> inSession(realmId, (session, realm, settings) -> {
                int min = "elevated".equals(settings.minState()) ? AttackState.ELEVATED.ordinal() : AttackState.UNDER_ATTACK.ordinal();
                if (status.state().ordinal() < min) {
                    return;
                }
                long period = settings.updateMinutes() * 60_000L;
                long n = (now - status.sinceMillis()) / period;
                if (n < 1 || !detector.keys().claimOnce(realmId, "admin-alert|" + status.sinceMillis() + "|" + n,
                        Duration.ofMillis(period * 2))) {
                    return;
                }
                send(session, realm, settings, Kind.UPDATE, payload(realm, detector, Kind.UPDATE, status, status.sinceMillis()));
            }));
        }
    }

    private interface RealmJob {
        void run(KeycloakSession session, RealmModel realm, AdminAlertSettings settings);
    }

    private void inSession(String realmId, RealmJob job) {
        KeycloakModelUtils.runJobInTransaction(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                return;
            }
            AdminAlertSettings settings = AdminAlertSettings.read(io.keycloaksentinel.core.secrets.RealmSecrets.reader(realm));
            if (!settings.anyChannel()) {
                return;
            }
            session.getContext().setRealm(realm);
            job.run(session, realm, settings);
        });
    }

    private Map<String, Object> payload(RealmModel realm, AttackDetector detector, Kind kind, RealmAttackStatus status,
                                        long sinceMillis) {
        long now = System.currentTimeMillis();
        RealmSignals signals = detector.states().signals(realm.getId());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", kind.value());
        p.put("realm", realm.getName());
        p.put("state", kind == Kind.ENDED ? detector.states().status(realm.getId()).state().name() : status.state().name());
        p.put("since", Instant.ofEpochMilli(sinceMillis).toString());
        p.put("at", Instant.ofEpochMilli(now).toString());
        p.put("reason", status.reason());
        Map<String, Object> size = new LinkedHashMap<>();
        size.put("failuresLastMinute", signals.failuresLastMinute());
        size.put("unknownUserFailuresLastMinute", signals.unknownUserFailuresLastMinute());
        size.put("failuresLastDay", signals.failuresLastDay());
        size.put("flaggedSources", detector.incidents().flaggedSources(realm.getId()));
        p.put("size", size);
        Map<String, Object> responses = new LinkedHashMap<>();
        responses.put("throttling", RealmDetectionConfig.monitorOnly(realm::getAttribute) ? "monitor" : "enforce");
        responses.put("captcha", io.keycloaksentinel.core.captcha.CaptchaSettings.read(realm::getAttribute).mode().value());
        responses.put("emergency", Emergency.active(realm::getAttribute, now));
        p.put("responses", responses);
        List<IncidentLedger.FlaggedLogin> entered = detector.incidents().flaggedLogins(realm.getId(), sinceMillis, now);
        p.put("accountsEnteredFromFlaggedSources", entered.stream().map(IncidentLedger.FlaggedLogin::userId).distinct().count());
        // what the realm's containment policy did with the likely break-ins of this attack (the look-back included)
        p.put("contained", contained(realm, detector, sinceMillis));
        if (kind == Kind.ENDED) {
            p.put("durationSeconds", Math.max(0, (now - sinceMillis) / 1000));
        }
        return p;
    }

    /** What the realm's containment policy did since {@code sinceMillis}: accounts contained, only signed out, notified. */
    private static Map<String, Object> contained(RealmModel realm, AttackDetector detector, long sinceMillis) {
        Map<String, Object> contained = new LinkedHashMap<>();
        contained.put("policy", ContainmentSettings.read(realm::getAttribute).containment());
        List<IncidentLedger.ContainedAccount> acted = detector.incidents().contained(realm.getId(), sinceMillis);
        contained.put("accounts", acted.stream().filter(c -> ContainmentSettings.CONTAIN.equals(c.how()))
                .map(IncidentLedger.ContainedAccount::userId).distinct().count());
        contained.put("signedOutOnly", acted.stream().filter(c -> "signed-out".equals(c.how()))
                .map(IncidentLedger.ContainedAccount::userId).distinct().count());
        contained.put("notified", acted.stream().filter(c -> ContainmentSettings.NOTIFY.equals(c.how()))
                .map(IncidentLedger.ContainedAccount::userId).distinct().count());
        return contained;
    }

    private void send(KeycloakSession session, RealmModel realm, AdminAlertSettings settings, Kind kind, Map<String, Object> payload) {
        String text = text(payload);
        if (settings.webhookUrl() != null) {
            String body;
            try {
                body = JsonSerialization.writeValueAsString("slack".equals(settings.webhookFormat())
                        ? Map.of("text", text, "sentinel", payload) : payload);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            String secret = settings.webhookSecret() == null ? null
                    : session.vault().getStringSecret(settings.webhookSecret()).get().orElse(null);
            if ((secret == null || secret.isBlank())
                    && io.keycloaksentinel.core.secrets.RealmSecrets.reader(realm)
                            .apply(AdminAlertSettings.PREFIX + AdminAlertSettings.WEBHOOK_SECRET) != null) {
                // a secret is configured but unreadable (damaged, or a vault key that resolves to nothing):
                // an unsigned alert would teach the receiver to accept anything
                LOG.warnf("Sentinel: realm %s: the admin-alert webhook secret is set but cannot be read; webhook not called",
                        realm.getName());
            } else {
                deliver(realm.getName(), settings.webhookUrl(), body, secret, 0);
            }
        }
        for (String to : settings.emails()) {
            String subject = "[" + realm.getName() + "] " + switch (kind) {
                case STARTED -> "Attack started";
                case UPDATE -> "Attack still in progress";
                case ENDED -> "Attack ended";
                case SPRAY -> "Password spraying";
            };
            try {
                session.getProvider(EmailSenderProvider.class).send(realm.getSmtpConfig(), to, subject, text,
                        "<html><body><pre>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                                + "</pre></body></html>");
                count(realm.getName(), "email", "sent");
            } catch (Exception e) {
                count(realm.getName(), "email", "failed");
                LOG.warnf("Sentinel: attack alert of realm '%s' could not be mailed: %s", realm.getName(), e.toString());
            }
        }
    }

    /** Plain text for people (mail, Slack): what, since when, how big, which responses. */
    static String text(Map<String, Object> p) {
        StringBuilder s = new StringBuilder();
        String type = String.valueOf(p.get("type"));
        if ("password_spraying".equals(type)) {
            s.append("Sentinel: password spraying on realm ").append(p.get("realm")).append(" (").append(p.get("at"))
                    .append(").\n");
            s.append("Why: ").append(p.get("reason")).append('\n');
            s.append("Accounts entered with it from networks new to them before it was flagged: ").append(p.get("accountsEntered"))
                    .append(" (GET /admin/realms/").append(p.get("realm")).append("/sentinel-admin/incident/compromised)\n");
            s.append("Response: the password is refused from networks new to an account, and refused as a new password, for an hour\n");
            containedLine(s, p);
            return s.toString();
        }
        s.append(switch (type) {
            case "attack_started" -> "Sentinel: an attack on realm " + p.get("realm") + " started.";
            case "attack_update" -> "Sentinel: the attack on realm " + p.get("realm") + " goes on.";
            default -> "Sentinel: the attack on realm " + p.get("realm") + " ended.";
        }).append('\n');
        s.append("State: ").append(p.get("state")).append(" (since ").append(p.get("since")).append(")\n");
        s.append("Why: ").append(p.get("reason")).append('\n');
        if (p.get("size") instanceof Map<?, ?> size) {
            s.append("Failed logins: ").append(size.get("failuresLastMinute")).append(" in the last minute (")
                    .append(size.get("unknownUserFailuresLastMinute")).append(" for unknown usernames), ")
                    .append(size.get("failuresLastDay")).append(" in 24 h; flagged addresses and networks: ")
                    .append(size.get("flaggedSources")).append('\n');
        }
        if (p.get("responses") instanceof Map<?, ?> r) {
            s.append("Responses: throttling ").append(r.get("throttling")).append(", CAPTCHA ").append(r.get("captcha"))
                    .append(Boolean.TRUE.equals(r.get("emergency")) ? ", emergency mode on" : "").append('\n');
        }
        s.append("Accounts that signed in from flagged sources: ").append(p.get("accountsEnteredFromFlaggedSources"))
                .append(" (GET /admin/realms/").append(p.get("realm")).append("/sentinel-admin/incident/compromised)\n");
        containedLine(s, p);
        if (p.containsKey("durationSeconds")) {
            s.append("Duration: ").append(p.get("durationSeconds")).append(" s\n");
        }
        return s.toString();
    }

    private static void containedLine(StringBuilder s, Map<String, Object> p) {
        if (p.get("contained") instanceof Map<?, ?> c) {
            s.append("Containment (").append(c.get("policy")).append("): ").append(c.get("accounts"))
                    .append(" accounts signed out and asked for a second proof, ").append(c.get("signedOutOnly"))
                    .append(" only signed out (no way to prove themselves), ").append(c.get("notified"))
                    .append(" owners asked whether it was them\n");
        }
    }

    /** Sends one webhook request; on no answer or a non-2xx one, schedules the next try (bounded). Package-private for tests. */
    void deliver(String realmName, String url, String body, String secret, int attempt) {
        long t = System.currentTimeMillis() / 1000;
        java.util.Optional<BoundedHttp.Call> call = BoundedHttp.post(url, body.getBytes(StandardCharsets.UTF_8));
        if (call.isEmpty()) {
            count(realmName, "webhook", "refused");
            LOG.warnf("Sentinel: an alert webhook of realm '%s' was not called: not an http(s) URL", realmName);
            return;
        }
        call.get().header("Content-Type", "application/json").header("User-Agent", "Keycloak-Sentinel");
        if (secret != null) {
            call.get().header(SIGNATURE_HEADER, "t=" + t + ",v1=" + sign(secret, t + "." + body));
        }
        int status;
        try {
            // through Keycloak's HTTP client (truststore, proxy), to a public address checked now: the host may
            // resolve elsewhere than when the URL was saved; the reply's body is not read
            BoundedHttp.send(call.get(), 0, (int) timeout.toMillis());
            status = 200;
        } catch (BoundedHttp.Failure e) {
            if (e.refused()) {
                count(realmName, "webhook", "refused");
                LOG.warnf("Sentinel: an alert webhook of realm '%s' was not called: %s", realmName,
                        e.getMessage().substring("refused: ".length()));
                return;
            }
            status = e.status() == 0 ? -1 : e.status();
        }
        if (status >= 200 && status < 300) {
            count(realmName, "webhook", "sent");
            return;
        }
        if (attempt < retryMillis.length) {
            count(realmName, "webhook", "retried");
            try {
                pool.schedule(() -> deliver(realmName, url, body, secret, attempt + 1), retryMillis[attempt], TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                count(realmName, "webhook", "dropped");
            }
            return;
        }
        count(realmName, "webhook", "failed");
        LOG.warnf("Sentinel: attack alert webhook of realm '%s' failed %d times (last answer %s)", realmName,
                attempt + 1, status < 0 ? "no answer" : Integer.toString(status));
    }

    /** Hex HMAC-SHA256 of {@code data}: what a receiver computes to check {@value #SIGNATURE_HEADER}. */
    public static String sign(String secret, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void submit(Runnable job) {
        if (pool.getQueue().size() >= MAX_QUEUE) {
            count("-", "any", "dropped");
            return;
        }
        try {
            pool.execute(() -> {
                try {
                    job.run();
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: an attack alert failed: %s", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            count("-", "any", "dropped");
        }
    }

    private static void count(String realm, String channel, String outcome) {
        Counter.builder("sentinel_admin_alerts_total")
                .description("Sentinel's attack alerts to admins, by channel (email, webhook) and outcome")
                .tag("realm", realm).tag("channel", channel).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
