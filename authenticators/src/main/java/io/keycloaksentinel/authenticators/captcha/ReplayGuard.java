package io.keycloaksentinel.authenticators.captcha;

import java.time.Duration;

/** Remembers used one-time tokens across the cluster. */
@FunctionalInterface
public interface ReplayGuard {

    /**
     * Marks {@code token} used for {@code ttl}; true the first time only (on any node).
     *
     * @throws RuntimeException when the shared cache cannot answer (the caller treats the answer as unavailable)
     */
    boolean firstUse(String token, Duration ttl);
}
