package io.keycloaksentinel.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The version of this Sentinel build and of the Keycloak it was compiled against, read once
 * from a resource that Maven filters at build time.
 */
public final class SentinelVersion {

    /** Every Sentinel provider id starts with this prefix. */
    public static final String PROVIDER_ID_PREFIX = "sentinel-";

    static final String RESOURCE = "/META-INF/keycloak-sentinel/version.properties";

    private static final SentinelVersion CURRENT = load(SentinelVersion.class.getResourceAsStream(RESOURCE));

    private final String version;
    private final String keycloakVersion;

    private SentinelVersion(String version, String keycloakVersion) {
        this.version = version;
        this.keycloakVersion = keycloakVersion;
    }

    public static SentinelVersion current() {
        return CURRENT;
    }

    static SentinelVersion load(InputStream in) {
        if (in == null) {
            return new SentinelVersion("unknown", "unknown");
        }
        Properties props = new Properties();
        try (in) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + RESOURCE, e);
        }
        return new SentinelVersion(
                props.getProperty("version", "unknown"),
                props.getProperty("keycloak.version", "unknown"));
    }

    public String version() {
        return version;
    }

    public String keycloakVersion() {
        return keycloakVersion;
    }

    /** What every Sentinel factory reports through {@code ServerInfoAwareProviderFactory}. */
    public Map<String, String> operationalInfo() {
        return Map.of("sentinel-version", version, "built-for-keycloak", keycloakVersion);
    }

    @Override
    public String toString() {
        return "Keycloak Sentinel " + version + " (built for Keycloak " + keycloakVersion + ")";
    }
}
