package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.breach.source.BreachChecker;
import io.keycloaksentinel.authenticators.breach.source.BundledBreachList;
import io.keycloaksentinel.authenticators.breach.source.HibpRangeClient;
import io.keycloaksentinel.authenticators.breach.source.InfinispanRangeCache;
import io.keycloaksentinel.core.breach.BreachSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.policy.PasswordPolicyProvider;
import org.keycloak.policy.PasswordPolicyProviderFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

/**
 * The password policy "Not a breached password (Sentinel)": its value is the smallest breach
 * count that refuses a password (HIBP API counts; the bundled list and the offline index have
 * none). Owns what every realm shares: the bundled list, the offline index (server option
 * {@code --spi-password-policy--sentinel-breached-password--index-file}) and the HIBP range
 * cache. The login check of Sentinel's form uses the same {@link #checker(KeycloakSession)}.
 */
public final class BreachedPasswordPolicyFactory implements PasswordPolicyProviderFactory, ServerInfoAwareProviderFactory {

    public static final String ID = "sentinel-breached-password";
    private static final Logger LOG = Logger.getLogger(BreachedPasswordPolicyFactory.class);

    private String indexFile;
    private long indexCheckSeconds;
    private long rangeCacheEntries;
    private long rangeCacheTtlSeconds;
    private volatile BreachChecker checker;
    private volatile AutoCloseable index;

    @Override
    public void init(Config.Scope config) {
        indexFile = blankToNull(config.get("index-file"));
        indexCheckSeconds = Math.max(1, config.getLong("index-check-seconds", 60L));
        rangeCacheEntries = Math.max(1, config.getLong("range-cache-entries", 4096L));
        rangeCacheTtlSeconds = Math.max(1, config.getLong("range-cache-ttl-seconds", 3600L));
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        BundledBreachList.get(); // load the list at start-up, not during someone's registration
    }

    @Override
    public PasswordPolicyProvider create(KeycloakSession session) {
        return new BreachedPasswordPolicy(session, checker(session));
    }

    /** The server's checker (opened on first use: the range cache needs a session). */
    public BreachChecker checker(KeycloakSession session) {
        BreachChecker c = checker;
        return c != null ? c : open(session);
    }

    /** The checker of the server {@code session} runs on. */
    public static BreachChecker of(KeycloakSession session) {
        return ((BreachedPasswordPolicyFactory) session.getKeycloakSessionFactory()
                .getProviderFactory(PasswordPolicyProvider.class, ID)).checker(session);
    }

    private synchronized BreachChecker open(KeycloakSession session) {
        if (checker == null) {
            HibpRangeClient api = new HibpRangeClient(
                    InfinispanRangeCache.openOnServer(session, rangeCacheEntries, Duration.ofSeconds(rangeCacheTtlSeconds)));
            BreachChecker.IndexSource source = null;
            if (indexFile != null) {
                OfflineIndex opened = OfflineIndex.open(Path.of(indexFile), Duration.ofSeconds(indexCheckSeconds));
                index = opened;
                source = opened;
            }
            checker = new BreachChecker(BundledBreachList.get(), source, api);
        }
        return checker;
    }

    /** The realm's settings (realm attributes {@code sentinel.breach.*}). */
    public static BreachSettings settings(RealmModel realm) {
        return BreachSettings.read(realm::getAttribute);
    }

    /** The policy's value in {@code realm} (the minimum breach count), 1 when the realm does not use the policy. */
    public static long minCount(RealmModel realm) {
        Object v = realm.getPasswordPolicy() == null ? null : realm.getPasswordPolicy().getPolicyConfig(ID);
        return v instanceof Integer i ? i : 1;
    }

    @Override
    public String getDisplayName() {
        return "Not a breached password (Sentinel)";
    }

    @Override
    public String getConfigType() {
        return PasswordPolicyProvider.INT_CONFIG_TYPE;
    }

    @Override
    public String getDefaultConfigValue() {
        return "1";
    }

    @Override
    public boolean isMultiplSupported() {
        return false;
    }

    @Override
    public void close() {
        AutoCloseable i = index;
        if (i != null) {
            try {
                i.close();
            } catch (Exception e) {
                LOG.debugf("Sentinel: closing the offline index: %s", e.toString());
            }
        }
    }

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("bundledListEntries", Integer.toString(BundledBreachList.get().size()));
        info.put("indexFile", indexFile == null ? "(none)" : indexFile);
        info.put("rangeCacheEntries", Long.toString(rangeCacheEntries));
        info.put("rangeCacheTtlSeconds", Long.toString(rangeCacheTtlSeconds));
        return info;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
