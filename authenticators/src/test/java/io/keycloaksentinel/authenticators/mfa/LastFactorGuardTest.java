package io.keycloaksentinel.authenticators.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.provider.ProviderFactory;

class LastFactorGuardTest {

    @Test
    @DisplayName("Each of the four replaced second-factor factories keeps Keycloak's id and is ordered above Keycloak's own")
    void replacesKeycloak() {
        List<ProviderFactory<?>> factories = List.of(new LastFactorGuard.Otp(), new LastFactorGuard.WebAuthn(),
                new LastFactorGuard.Passkey(), new LastFactorGuard.RecoveryCodes());
        assertThat(factories).extracting(ProviderFactory::getId).containsExactly("keycloak-otp", "keycloak-webauthn",
                "keycloak-webauthn-passwordless", "keycloak-recovery-authn-codes");
        assertThat(factories).extracting(ProviderFactory::order).containsOnly(LastFactorGuard.ORDER);
        assertThat(LastFactorGuard.ORDER).isGreaterThan(0);
    }
}
