package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.SentinelVersion;
import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.counters.SentinelCaches;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Metrics;
import org.infinispan.manager.EmbeddedCacheManager;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.connections.infinispan.InfinispanConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * The attack detector on Keycloak's embedded Infinispan (Keycloak's internal
 * {@code connectionsInfinispan} SPI gives the cache manager). Opens its caches on first use and
 * owns the two background tasks: flushing buffered counts to the cluster, and re-evaluating the
 * attack state of the realms this node serves; the same thread runs the detector's burst
 * evaluations ({@link BurstTrigger}). Starts and closes the admin alerts
 * ({@link AttackAlerts}), told of every state change this node records and ticked from the second task.
 */
public final class InfinispanAttackDetectionProviderFactory
        implements AttackDetectionProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "sentinel-infinispan";
    private static final Logger LOG = Logger.getLogger(InfinispanAttackDetectionProviderFactory.class);

    private DetectionServerOptions options = DetectionServerOptions.DEFAULTS;
    private volatile AttackDetector detector;
    private volatile InfinispanCounterStore store;
    private ScheduledExecutorService scheduler;
    private KeycloakSessionFactory sessionFactory;
    private volatile AttackAlerts alerter;

    @Override
    public void init(Config.Scope config) {
        options = DetectionServerOptions.read(config);
        io.keycloaksentinel.core.net.OutboundPolicy.allow(
                io.keycloaksentinel.core.net.OutboundPolicy.parse(config.get(io.keycloaksentinel.core.net.OutboundPolicy.OPTION, "")));
    }

    /**
     * Sentinel's outbound calls (CAPTCHA vendors, HIBP, webhooks) go through Keycloak's HTTP client,
     * so the server's truststore and proxy mappings apply to them; its client is one per server.
     */
    private static void useKeycloakHttpClient(KeycloakSessionFactory factory) {
        try (org.keycloak.models.KeycloakSession session = factory.create()) {
            org.keycloak.connections.httpclient.HttpClientProvider http =
                    session.getProvider(org.keycloak.connections.httpclient.HttpClientProvider.class);
            if (http != null) {
                io.keycloaksentinel.core.net.BoundedHttp.useClient(http.getHttpClient());
                return;
            }
            LOG.warn("Sentinel: Keycloak's HTTP client is not available; outbound calls use the JVM's settings");
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: Keycloak's HTTP client is not available (%s); outbound calls use the JVM's settings",
                    e.getClass().getSimpleName());
        }
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        sessionFactory = factory;
        useKeycloakHttpClient(factory);
        alerter = AttackAlertsFactory.load(factory);
        if (alerter == null) {
            LOG.warn("Sentinel: no admin alerts in this JAR (META-INF/services); attacks are not alerted");
        }
        factory.register(event -> {
            AttackDetector d = detector;
            if (d != null && event instanceof RealmModel.RealmRemovedEvent removed) {
                d.forget(removed.getRealm().getId());
            }
        });
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sentinel-detection");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::flushQuietly, options.flushMillis(), options.flushMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::evaluateQuietly, options.evaluateMillis(), options.evaluateMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public AttackDetectionProvider create(KeycloakSession session) {
        AttackDetector d = detector;
        if (d == null) {
            d = open(session);
        }
        AttackDetector result = d;
        RequestRisk risk = new RequestRisk(session, result);
        return new AttackDetectionProvider() {
            @Override
            public AttackDetector detector() {
                return result;
            }

            @Override
            public RequestRisk risk() {
                return risk;
            }
        };
    }

    private synchronized AttackDetector open(KeycloakSession session) {
        if (detector == null) {
            EmbeddedCacheManager manager = session.getProvider(InfinispanConnectionProvider.class)
                    .getCache(InfinispanConnectionProvider.WORK_CACHE_NAME).getCacheManager();
            store = InfinispanCounterStore.open(manager, options.maxSubjectEntries(), options.maxPendingPerFlush(),
                    options.maxKnownEntries()).withReplayRegister(manager, SentinelCaches.DEFAULT_MAX_REPLAY_ENTRIES);
            DetectionMetrics metrics = new DetectionMetrics(Metrics.globalRegistry, store);
            AttackStateEvents events = new AttackStateEvents(sessionFactory);
            AttackDetector created = new AttackDetector(store, DetectionThresholds.DEFAULTS, System::currentTimeMillis,
                    options.ipv4Prefix(), options.ipv6Prefix(), options.ipv6WidePrefixes(), new DetectionObserver() {
                        @Override
                        public void recorded(String realmId, String realmName, LoginOutcome outcome) {
                            metrics.recorded(realmId, realmName, outcome);
                        }

                        @Override
                        public void throttled(String realmId, String realmName, boolean monitorOnly) {
                            metrics.throttled(realmId, realmName, monitorOnly);
                        }

                        @Override
                        public void activity(String realmId, String realmName, AccountActivity activity) {
                            metrics.activity(realmId, realmName, activity);
                        }

                        @Override
                        public void forgotten(String realmId) {
                            metrics.forgotten(realmId);
                        }

                        @Override
                        public void timed(DetectionObserver.Operation operation, long nanos) {
                            metrics.timed(operation, nanos);
                        }

                        @Override
                        public void stateChanged(String realmId, String realmName, RealmAttackStatus from,
                                                 RealmAttackStatus to) {
                            events.stateChanged(realmId, from, to);
                            AttackDetector d = detector;
                            if (d != null) {
                                d.incidents().attackStateChanged(realmId, from, to);
                            }
                            if (d != null && alerter != null) {
                                alerter.stateChanged(realmId, d, from, to);
                            }
                        }

                        @Override
                        public void sprayFlagged(String realmId, String realmName, PasswordSprays.Flag flag) {
                            metrics.sprayFlagged(realmId, realmName);
                            AttackDetector d = detector;
                            if (d != null && alerter != null) {
                                alerter.sprayFlagged(realmId, d, flag);
                            }
                        }
                    }, scheduler);
            created.known().knownSourceTtl(java.time.Duration.ofDays(options.knownSourceDays()));
            created.useBulkhead(options.bulkhead());
            if (sessionFactory != null) {
                // the realms' keys outlive a full restart of the cluster (device cookies, known devices, CAPTCHA challenges)
                created.keys().persistWith(new RealmKeyStore(sessionFactory));
            }
            metrics.bind(created);
            detector = created;
        }
        return detector;
    }

    private void flushQuietly() {
        AttackDetector d = detector;
        if (d == null) {
            return;
        }
        try {
            d.flush();
        } catch (RuntimeException e) {
            // counting never fails a login, and a cluster hiccup must not kill the scheduler
            LOG.warnf("Sentinel: flushing counters to the cluster failed: %s", e.toString());
        }
    }

    private void evaluateQuietly() {
        AttackDetector d = detector;
        if (d != null) {
            d.states().evaluateActiveRealms();
            // every evaluation: containment acts within seconds; the admin alerts pace their own updates
            if (alerter != null) {
                try {
                    alerter.tick(d);
                } catch (RuntimeException e) {
                    LOG.debugf("Sentinel: admin alert tick failed: %s", e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (alerter != null) {
            alerter.close();
        }
        flushQuietly();
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return DetectionServerOptions.metadata();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>(SentinelVersion.current().operationalInfo());
        info.put("max-subject-entries", String.valueOf(options.maxSubjectEntries()));
        info.put("flush-interval-ms", String.valueOf(options.flushMillis()));
        info.put("network-prefixes", "/" + options.ipv4Prefix() + " (IPv4), /" + options.ipv6Prefix() + " (IPv6; addresses as /64, wider: "
                + options.ipv6WidePrefixes() + ")");
        info.put("max-known-entries", String.valueOf(options.maxKnownEntries()));
        info.put("known-source-days", String.valueOf(options.knownSourceDays()));
        info.put("hash-bulkhead", options.hashBulkheadPermits() == 0 ? "off"
                : options.hashBulkheadPermits() + " hashes at once, " + options.hashBulkheadWaitMillis() + " ms wait");
        InfinispanCounterStore s = store;
        info.put("counts-dropped-over-max-pending", String.valueOf(s == null ? 0 : s.dropped()));
        return info;
    }
}
