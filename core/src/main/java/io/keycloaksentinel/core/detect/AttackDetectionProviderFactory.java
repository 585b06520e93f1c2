package io.keycloaksentinel.core.detect;

import org.keycloak.provider.ProviderFactory;

/** Factory type of {@link AttackDetectionSpi}. */
public interface AttackDetectionProviderFactory extends ProviderFactory<AttackDetectionProvider> {
}
