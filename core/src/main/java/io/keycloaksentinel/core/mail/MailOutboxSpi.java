package io.keycloaksentinel.core.mail;

import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;

/**
 * Sentinel's own SPI: the queue that sends Sentinel's mails to users after the commit, shared by
 * the security alerts, the sign-up and reset mails and the admin API. One provider ships
 * ({@code sentinel-mail-queue}).
 */
public final class MailOutboxSpi implements Spi {

    public static final String NAME = "sentinel-mail";

    @Override
    public boolean isInternal() {
        return false;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public Class<? extends Provider> getProviderClass() {
        return MailOutboxProvider.class;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends ProviderFactory> getProviderFactoryClass() {
        return MailOutboxProviderFactory.class;
    }
}
