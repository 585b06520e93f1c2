package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.net.OutboundPolicy;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The unit tests' fake CAPTCHA vendors and HIBP servers listen on 127.0.0.1: for each test class,
 * Sentinel's outbound calls may reach that one address, as the server option allows it on the
 * test servers (registered for every test class of this module: META-INF/services, autodetected).
 */
public final class LoopbackServices implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        OutboundPolicy.allow(OutboundPolicy.parse("127.0.0.1/32"));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        OutboundPolicy.allow(List.of());
    }
}
