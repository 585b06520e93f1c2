package io.keycloaksentinel.core.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.device.NotMeLockout.Credential;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NotMeLockoutTest {

    private static final long SINCE = 1_750_000_000_000L;

    @Test
    @DisplayName("A local user with a password only: the account stays enabled unless the realm asks")
    void passwordOnly() {
        List<Credential> creds = List.of(new Credential("password", SINCE + 5000), new Credential("password-history", SINCE + 5000));
        assertThat(NotMeLockout.disable(false, false, creds, SINCE)).isFalse();
        assertThat(NotMeLockout.disable(true, false, creds, SINCE)).as("the realm's notMeDisablesAccount").isTrue();
        assertThat(NotMeLockout.disable(false, false, List.of(), SINCE)).isFalse();
        assertThat(NotMeLockout.disable(false, false, null, SINCE)).isFalse();
    }

    @Test
    @DisplayName("A federated user (the password lives in LDAP and cannot be removed) is disabled")
    void federated() {
        assertThat(NotMeLockout.disable(false, true, List.of(), SINCE)).isTrue();
    }

    @Test
    @DisplayName("A second factor or passkey created since the device was first seen disables the account; one from before does not")
    void credentialAddedSince() {
        assertThat(NotMeLockout.disable(false, false, List.of(new Credential("otp", SINCE - 1)), SINCE)).isFalse();
        assertThat(NotMeLockout.disable(false, false, List.of(new Credential("otp", SINCE)), SINCE)).isTrue();
        assertThat(NotMeLockout.disable(false, false, List.of(new Credential("password", SINCE - 10),
                new Credential("webauthn-passwordless", SINCE + 60_000)), SINCE)).isTrue();
        assertThat(NotMeLockout.disable(false, false, List.of(new Credential("otp", null)), SINCE))
                .as("an unknown creation time counts as new").isTrue();
    }
}
