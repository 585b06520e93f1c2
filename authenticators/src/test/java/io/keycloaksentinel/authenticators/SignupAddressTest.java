package io.keycloaksentinel.authenticators;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignupAddressTest {

    @Test
    void theVerifiedAddressWithCaseAndSpacesIsTheSame() {
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("newcomer@example.test"), "newcomer@example.test")).isTrue();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("  NewComer@Example.TEST "), "newcomer@example.test")).isTrue();
    }

    @Test
    void lookAlikesAndOtherAddressesAreNot() {
        // verified with a dotless i (U+0131), posting the plain i: equalsIgnoreCase would accept it
        assertThat("al\u0131ce@example.test".equalsIgnoreCase("alice@example.test")).isTrue();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("alice@example.test"), "al\u0131ce@example.test")).isFalse();
        // and the other way round, and with a capital dotted I (U+0130)
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("al\u0131ce@example.test"), "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("AL\u0130CE@example.test"), "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("other@example.test"), "alice@example.test")).isFalse();
    }

    @Test
    void missingRepeatedOrNullAddressesAreNot() {
        assertThat(SentinelSignupVerifiedEmail.sameAddress(null, "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of(), "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("alice@example.test", "mallory@example.test"),
                "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(Arrays.asList((String) null), "alice@example.test")).isFalse();
        assertThat(SentinelSignupVerifiedEmail.sameAddress(List.of("alice@example.test"), null)).isFalse();
    }
}
