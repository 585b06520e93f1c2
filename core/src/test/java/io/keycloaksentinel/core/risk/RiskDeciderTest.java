package io.keycloaksentinel.core.risk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The one risk decision")
class RiskDeciderTest {

    private static final DetectionThresholds T = DetectionThresholds.DEFAULTS;

    private static RiskDecider.Inputs inputs(AttackState state, long ip24h, long net15m, long netUsers15m, boolean subject,
                                             long unknownSource) {
        return new RiskDecider.Inputs(state, ip24h, net15m, netUsers15m, 0, subject, unknownSource);
    }

    @ParameterizedTest(name = "ip {0}/24h, network {1}/15m, {2} usernames/15m -> {3}")
    @CsvSource({
            "0, 0, 0, ",
            "99, 0, 0, ",
            "100, 0, 0, ADDRESS",
            "0, 499, 49, ",
            "0, 500, 0, NETWORK",
            "0, 0, 50, NETWORK_USERNAMES",
    })
    @DisplayName("Per-source thresholds throttle, whatever the password and the account")
    void sourceThresholds(long ip, long net, long users, RefusalReason expected) {
        Risk risk = RiskDecider.decide(T, inputs(AttackState.NORMAL, ip, net, users, false, 0), () -> false, false);
        assertThat(risk.throttle().why()).isEqualTo(expected);
        assertThat(risk.throttled()).isEqualTo(expected != null);
        assertThat(risk.level()).isEqualTo(expected != null ? RiskLevel.HIGH
                : ip * 2 >= T.ipFailuresPerDay() || net * 2 >= T.networkFailuresPer15m()
                        || users * 2 >= T.networkUsernamesPer15m() ? RiskLevel.MEDIUM : RiskLevel.LOW);
    }

    @Nested
    @DisplayName("Smart lockout")
    class SmartLockout {

        @Test
        @DisplayName("An account with 10 failures from unknown networks is refused from an unknown network, not from a known one")
        void unknownVersusKnown() {
            Risk unknown = RiskDecider.decide(T, inputs(AttackState.NORMAL, 0, 0, 0, true, 10), () -> false, false);
            assertThat(unknown.throttle().why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
            Risk known = RiskDecider.decide(T, inputs(AttackState.NORMAL, 0, 0, 0, true, 10), () -> true, false);
            assertThat(known.throttled()).isFalse();
            assertThat(known.knownSource()).isTrue();
        }

        @Test
        @DisplayName("The known networks are not read for a quiet request (no cluster read on the common path)")
        void noReadWhenQuiet() {
            AtomicInteger reads = new AtomicInteger();
            Risk risk = RiskDecider.decide(T, inputs(AttackState.NORMAL, 1, 3, 2, true, 0), () -> {
                reads.incrementAndGet();
                return true;
            }, false);
            assertThat(risk.level()).isEqualTo(RiskLevel.LOW);
            assertThat(reads).hasValue(0);
        }
    }

    @Nested
    @DisplayName("Password checks without a CAPTCHA or second proof (the password grant)")
    class Unproven {

        @Test
        @DisplayName("Under attack, a source new to the account is refused; the account's own network is not")
        void underAttack() {
            Risk stranger = RiskDecider.decide(T, inputs(AttackState.UNDER_ATTACK, 0, 0, 0, true, 0), () -> false, false);
            assertThat(stranger.level()).isEqualTo(RiskLevel.HIGH);
            assertThat(stranger.throttled()).isFalse();
            assertThat(stranger.refusesUnprovenPassword()).isTrue();
            Risk home = RiskDecider.decide(T, inputs(AttackState.UNDER_ATTACK, 0, 0, 0, true, 0), () -> true, false);
            assertThat(home.refusesUnprovenPassword()).isFalse();
        }

        @Test
        @DisplayName("An elevated realm alone refuses nobody; monitoring only and the allowlist never refuse")
        void elevatedMonitorAllowlist() {
            Risk elevated = RiskDecider.decide(T, inputs(AttackState.ELEVATED, 0, 0, 0, true, 0), () -> false, false);
            assertThat(elevated.level()).isEqualTo(RiskLevel.MEDIUM);
            assertThat(elevated.refusesUnprovenPassword()).isFalse();
            Risk watched = RiskDecider.decide(T, inputs(AttackState.UNDER_ATTACK, 100, 0, 0, true, 0), () -> false, false)
                    .withPolicy(true);
            assertThat(watched.refusesUnprovenPassword()).isFalse();
            assertThat(watched.wouldRefuseUnprovenPassword()).isTrue();
            assertThat(watched.throttled()).isFalse();
            assertThat(watched.wouldThrottle()).isTrue();
            assertThat(Risk.allowlistedSource().refusesUnprovenPassword()).isFalse();
        }
    }
}
