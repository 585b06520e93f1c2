package io.keycloaksentinel.core.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;

class MailOutboxProviderTest {

    /** A session whose only answer is {@code getProvider(MailOutboxProvider.class)}. */
    private static KeycloakSession sessionWith(MailOutboxProvider provider) {
        return (KeycloakSession) Proxy.newProxyInstance(KeycloakSession.class.getClassLoader(),
                new Class<?>[] {KeycloakSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProvider") && args.length == 1 && args[0] == MailOutboxProvider.class) {
                        return provider;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static KeycloakSessionFactory unusedFactory() {
        return (KeycloakSessionFactory) Proxy.newProxyInstance(KeycloakSessionFactory.class.getClassLoader(),
                new Class<?>[] {KeycloakSessionFactory.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    @DisplayName("The queue is found through the session's sentinel-mail provider, the one the factory created in postInit")
    void foundThroughTheSession() {
        DefaultMailOutboxProviderFactory factory = new DefaultMailOutboxProviderFactory();
        factory.postInit(unusedFactory());
        try {
            KeycloakSession session = sessionWith(factory.create(null));
            assertThat(MailOutbox.of(session)).isPresent();
            assertThat(MailOutbox.of(session).get()).isSameAs(factory.create(null).outbox());
            assertThat(factory.getOperationalInfo()).containsEntry("mailsPending", "0").containsKey("sentinel-version");
        } finally {
            factory.close();
        }
    }

    @Test
    @DisplayName("Without a provider, or before the factory's postInit, there is no queue (and no exception)")
    void emptyWithoutProvider() {
        assertThat(MailOutbox.of(sessionWith(null))).isEmpty();
        assertThat(MailOutbox.of(sessionWith(new DefaultMailOutboxProviderFactory().create(null)))).isEmpty();
    }

    @Test
    @DisplayName("The factory's id is a sentinel- id of at most 36 characters, under Sentinel's own SPI sentinel-mail")
    void ids() {
        assertThat(DefaultMailOutboxProviderFactory.PROVIDER_ID).startsWith("sentinel-").hasSizeLessThanOrEqualTo(36);
        assertThat(new MailOutboxSpi().getName()).isEqualTo("sentinel-mail");
        assertThat(new MailOutboxSpi().isInternal()).isFalse();
        assertThat(new MailOutboxSpi().getProviderFactoryClass()).isEqualTo(MailOutboxProviderFactory.class);
    }
}
