package io.keycloaksentinel.core.mail;

import io.keycloaksentinel.core.SentinelSpi;

/**
 * Sentinel's own SPI: the queue that sends Sentinel's mails to users after the commit, shared by
 * the security alerts, the sign-up and reset mails and the admin API. One provider ships
 * ({@code sentinel-mail-queue}).
 */
public final class MailOutboxSpi extends SentinelSpi {

    public static final String NAME = "sentinel-mail";

    public MailOutboxSpi() {
        super(NAME, MailOutboxProvider.class, MailOutboxProviderFactory.class);
    }
}
