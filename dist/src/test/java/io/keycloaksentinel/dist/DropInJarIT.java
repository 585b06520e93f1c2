package io.keycloaksentinel.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.provider.ProviderFactory;

/** Checks the assembled drop-in JAR itself, as an admin would receive it. */
class DropInJarIT {

    private static Path jar() {
        Path jar = Path.of(System.getProperty("sentinel.jar"));
        assertThat(jar).isRegularFile();
        return jar;
    }

    /** Keycloak's second-factor credential providers, replaced to keep a user's last factor (LastFactorGuard). */
    private static final java.util.Map<String, String> INTENDED_OVERRIDES = java.util.Map.of(
            "io.keycloaksentinel.authenticators.mfa.LastFactorGuard$Otp", "keycloak-otp",
            "io.keycloaksentinel.authenticators.mfa.LastFactorGuard$WebAuthn", "keycloak-webauthn",
            "io.keycloaksentinel.authenticators.mfa.LastFactorGuard$Passkey", "keycloak-webauthn-passwordless",
            "io.keycloaksentinel.authenticators.mfa.LastFactorGuard$RecoveryCodes", "keycloak-recovery-authn-codes",
            "io.keycloaksentinel.authenticators.guard.GuardedPasswordCredentialProviderFactory", "keycloak-password",
            "io.keycloaksentinel.authenticators.guard.GuardedGrantUsername", "direct-grant-validate-username",
            "io.keycloaksentinel.authenticators.guard.GuardedGrantPassword", "direct-grant-validate-password",
            "io.keycloaksentinel.authenticators.guard.GuardedUsernamePasswordForm", "auth-username-password-form");

    @Test
    @DisplayName("Every service file lists factories that are in the JAR and load; those of Keycloak's SPIs have a sentinel- id")
    void everyFactoryLoadsWithPrefixedId() throws Exception {
        List<String> factories = new ArrayList<>();
        // factories of Sentinel's own SPIs (CAPTCHA vendors, the mail queue) may have short ids such as "altcha"
        java.util.Set<String> ownSpiFactories = new java.util.HashSet<>();
        try (JarFile jar = new JarFile(jar().toFile())) {
            for (JarEntry entry : jar.stream().toList()) {
                if (entry.getName().startsWith("META-INF/services/") && !entry.isDirectory()) {
                    try (BufferedReader in = new BufferedReader(
                            new InputStreamReader(jar.getInputStream(entry), StandardCharsets.UTF_8))) {
                        List<String> listed = in.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
                        factories.addAll(listed);
                        if (entry.getName().startsWith("META-INF/services/io.keycloaksentinel.")) {
                            ownSpiFactories.addAll(listed);
                        }
                    }
                }
            }
        }
        assertThat(factories).isNotEmpty();
        // Keycloak's classes come from the test classpath, Sentinel's only from the JAR under test
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar().toUri().toURL()}, keycloakOnly())) {
            for (String name : factories) {
                Class<?> type = Class.forName(name, true, loader);
                assertThat(type.getClassLoader()).as("%s comes from the drop-in JAR", name).isSameAs(loader);
                if (ProviderFactory.class.isAssignableFrom(type) && !ownSpiFactories.contains(name)) {
                    ProviderFactory<?> factory = (ProviderFactory<?>) type.getDeclaredConstructor().newInstance();
                    if (INTENDED_OVERRIDES.containsKey(name)) {
                        // a subclass of Keycloak's own factory that takes its id on purpose, by a higher order
                        assertThat(factory.getId()).as("id of %s", name).isEqualTo(INTENDED_OVERRIDES.get(name));
                        assertThat(factory.order()).as("order of %s", name).isGreaterThan(0);
                        continue;
                    }
                    assertThat(factory.getId()).as("id of %s", name).startsWith("sentinel-");
                    // Keycloak stores an execution's authenticator id in a VARCHAR(36) column
                    assertThat(factory.getId().length()).as("length of the id of %s", name).isLessThanOrEqualTo(36);
                }
            }
        }
    }

    @Test
    @DisplayName("The attack detector finds the admin alerter in the JAR (its own ServiceLoader, not a Keycloak SPI): without it no admin alert would ever be sent")
    void detectorFindsTheAdminAlerter() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar().toUri().toURL()}, keycloakOnly())) {
            Class<?> spi = Class.forName("io.keycloaksentinel.core.detect.AttackAlertsFactory", true, loader);
            List<String> found = java.util.ServiceLoader.load(spi, loader).stream().map(p -> p.type().getName()).toList();
            assertThat(found).containsExactly("io.keycloaksentinel.events.alerts.AdminAlerterFactory");
        }
    }

    @Test
    @DisplayName("The JAR holds only Sentinel's classes, themes, theme resources and metadata: no Keycloak classes, nothing unrelocated")
    void onlySentinelContent() throws IOException {
        try (JarFile jar = new JarFile(jar().toFile())) {
            List<String> foreign = jar.stream().map(JarEntry::getName)
                    .filter(n -> !n.endsWith("/"))
                    .filter(n -> !n.startsWith("io/keycloaksentinel/"))
                    .filter(n -> !n.startsWith("theme/"))
                    .filter(n -> !n.startsWith("theme-resources/"))
                    .filter(n -> !n.startsWith("META-INF/"))
                    .toList();
            assertThat(foreign).isEmpty();
            assertThat(jar.getEntry("META-INF/keycloak-themes.json")).isNotNull();
            assertThat(jar.getEntry("META-INF/keycloak-sentinel/version.properties")).isNotNull();
        }
        assertThat(Files.size(jar())).isLessThan(20L * 1024 * 1024);
    }

    /** Keycloak's classes from the test classpath; Sentinel's only from the JAR under test. */
    private ClassLoader keycloakOnly() {
        return new ClassLoader(getClass().getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("io.keycloaksentinel.")) {
                    throw new ClassNotFoundException(name);
                }
                return super.loadClass(name, resolve);
            }
        };
    }
}
