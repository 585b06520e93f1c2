package io.keycloaksentinel.core.detect;

import org.keycloak.provider.Provider;

/** Hands out the node's {@link AttackDetector}; obtain with {@code session.getProvider(AttackDetectionProvider.class)}. */
public interface AttackDetectionProvider extends Provider {

    AttackDetector detector();

    /** The risk decision of this request (one per Keycloak session: decided once, then read by every step). */
    RequestRisk risk();

    @Override
    default void close() {
        // the detector belongs to the factory
    }
}
