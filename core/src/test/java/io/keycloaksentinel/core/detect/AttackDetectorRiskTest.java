package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.RiskDecider;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The detector's risk decision: subjects and sources")
class AttackDetectorRiskTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);
    private final DetectionThresholds t = DetectionThresholds.DEFAULTS;

    private static String stranger(int i) {
        return "127.61." + i + ".1"; // every attempt from its own /24
    }

    @ParameterizedTest(name = "[{index}] typed as {0}")
    @ValueSource(strings = {"\u0001alice", " alice", "ALICE", "alice\t"})
    @DisplayName("Failures typed in any spelling of a name lock that name against unknown networks")
    void spellingsCountAsOne(String spelling) {
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, stranger(i), i % 2 == 0 ? "alice" : spelling, "id-alice");
        }
        Risk risk = detector.decide("r1", stranger(99), detector.keys().typedSubject("r1", spelling), t, false);
        assertThat(risk.throttle().why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
    }

    @Test
    @DisplayName("Failures typed as the email and as the username lock the account as one")
    void usernameAndEmailAreOneAccount() {
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, stranger(i), i % 2 == 0 ? "alice" : "alice@example.test",
                    "id-alice");
        }
        assertThat(detector.decide("r1", stranger(99), detector.keys().typedSubject("r1", "alice"), t, false).throttled())
                .as("5 under the typed username alone").isFalse();
        Risk account = detector.decide("r1", stranger(99), detector.keys().accountSubject("r1", "id-alice"), t, false);
        assertThat(account.throttle().why()).isEqualTo(RefusalReason.UNKNOWN_SOURCE);
        // her own network stays open
        detector.known().rememberSource("r1", List.of("alice", "alice@example.test"), "id-alice", "10.1.2.3");
        detector.flush();
        assertThat(detector.decide("r1", "10.1.2.77", detector.keys().accountSubject("r1", "id-alice"), t, false).throttled()).isFalse();
    }

    @ParameterizedTest(name = "[{index}] address {0}")
    @ValueSource(strings = {"", "unknown", "999.1.1.1", "example.com"})
    @DisplayName("Requests whose address does not parse share one bucket that is throttled like any other")
    void unparsedAddresses(String ip) {
        for (int i = 0; i < t.ipFailuresPerDay(); i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, i % 2 == 0 ? null : "garbage-" + i, "u" + i);
        }
        Risk risk = detector.decide("r1", ip, null, t, false);
        assertThat(risk.throttled()).isTrue();
        assertThat(detector.decide("r1", "192.0.2.1", null, t, false).throttled()).as("a parsed address").isFalse();
    }

    @Test
    @DisplayName("IPv6: many addresses of one /64 count as one address and are throttled at the per-address threshold")
    void oneSixtyFour() {
        for (int i = 0; i < t.ipFailuresPerDay(); i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "2001:db8:1:2:" + Integer.toHexString(i) + "::7",
                    "u" + (i % 5));
        }
        Risk next = detector.decide("r1", "2001:db8:1:2:ffff:1:2:3", null, t, false);
        assertThat(next.throttle().why()).isEqualTo(RefusalReason.ADDRESS);
        assertThat(detector.decide("r1", "2001:db8:1:3::1", null, t, false).throttle().why())
                .as("the next /64").isNotEqualTo(RefusalReason.ADDRESS);
    }

    @ParameterizedTest(name = "[{index}] /64s spread over {0}")
    @ValueSource(strings = {"one /56", "many /56s of one /48"})
    @DisplayName("IPv6: an attacker rotating through /64s of one /56 or /48 is throttled as one network, at 4x (/56) or 16x (/48) the thresholds")
    void widerNetworks(String spread) {
        boolean oneFiftySix = spread.startsWith("one");
        long needed = t.networkUsernamesPer15m() * (oneFiftySix ? 4 : 16);
        for (int i = 0; i < needed; i++) {
            // each attempt from its own /64; in one /56 (2001:db8:7:0-ff::), or spread over 256 /56s of 2001:db8:7::/48
            String ip = oneFiftySix ? "2001:db8:7:" + Integer.toHexString(i) + "::1"
                    : "2001:db8:7:" + Integer.toHexString((i % 256) << 8 | i / 256) + "::1";
            String fresh = oneFiftySix ? "2001:db8:7:ee::9" : "2001:db8:7:eeee::9";
            if (i == needed - 1) {
                assertThat(detector.decide("r1", fresh, null, t, false).throttled()).as("one short of the threshold").isFalse();
            }
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, ip, "victim" + i);
        }
        String fresh = oneFiftySix ? "2001:db8:7:ee::9" : "2001:db8:7:eeee::9";
        Risk risk = detector.decide("r1", fresh, null, t, false);
        assertThat(risk.throttle().why()).isEqualTo(RefusalReason.NETWORK_USERNAMES);
        assertThat(detector.decide("r1", "2001:db8:8::1", null, t, false).throttled()).as("another /48").isFalse();
        // the admin can lift the network that is throttled
        String wide = oneFiftySix ? "2001:db8:7::/56" : "2001:db8:7::/48";
        assertThat(detector.admin().lift("r1", wide)).isEqualTo(wide);
    }

    @Test
    @DisplayName("IPv6: one host trying many usernames throttles its own /64, not the others of its /48")
    void oneHostDoesNotThrottleItsNeighbours() {
        for (int i = 0; i < t.networkUsernamesPer15m(); i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "2001:db8:9:1::" + Integer.toHexString(i + 1),
                    "junk" + i);
        }
        assertThat(detector.decide("r1", "2001:db8:9:1::ffff", null, t, false).throttled()).as("its own /64").isTrue();
        assertThat(detector.decide("r1", "2001:db8:9:2::1", null, t, false).throttled()).as("a neighbour /64").isFalse();
    }

    @Test
    @DisplayName("IPv4 is counted by address and /24 as before, and an IPv4-mapped IPv6 address as IPv4")
    void ipv4Unchanged() {
        for (int i = 0; i < t.ipFailuresPerDay(); i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE_UNKNOWN_USER, "::ffff:198.51.100.7", "u" + (i % 3));
        }
        assertThat(detector.decide("r1", "198.51.100.7", null, t, false).throttle().why()).isEqualTo(RefusalReason.ADDRESS);
        assertThat(detector.decide("r1", "198.51.100.8", null, t, false).throttled()).isFalse();
    }

    @Test
    @DisplayName("Networks remembered under the username or email only (before accounts were counted apart) keep the owner's home open")
    void homeKnownUnderNamesOnly() {
        detector.known().rememberSource("r1", List.of("alice", "alice@example.test"), "10.9.8.7"); // no account id
        detector.flush();
        for (int i = 0; i < 10; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, stranger(i), "alice@example.test", "id-alice");
        }
        String account = detector.keys().accountSubject("r1", "id-alice");
        List<String> names = List.of(detector.keys().typedSubject("r1", "alice"), detector.keys().typedSubject("r1",
                "alice@example.test"));
        RiskDecider.Inputs home = detector.readInputs("r1", "10.9.8.20", account);
        assertThat(detector.decide("r1", "10.9.8.20", home, account, names, t, false).throttled()).as("home").isFalse();
        RiskDecider.Inputs away = detector.readInputs("r1", stranger(50), account);
        assertThat(detector.decide("r1", stranger(50), away, account, names, t, false).throttle().why())
                .isEqualTo(RefusalReason.UNKNOWN_SOURCE);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"REFUSED", "CAPTCHA_FAILED"})
    @DisplayName("Cheap refusals from one host count for its address and the realm, never for its network: it cannot throttle its neighbours")
    void refusalsDoNotThrottleTheNetwork(String outcome) {
        for (int i = 0; i < t.networkFailuresPer15m() + 10; i++) {
            detector.record("r1", "demo", LoginOutcome.valueOf(outcome), "198.51.100.7", "u" + i);
        }
        assertThat(detector.decide("r1", "198.51.100.7", null, t, false).throttle().why()).isEqualTo(RefusalReason.ADDRESS);
        assertThat(detector.decide("r1", "198.51.100.8", null, t, false).throttled()).as("a neighbour").isFalse();
        assertThat(detector.states().signals("r1").failuresLastMinute()).as("the realm sees them")
                .isEqualTo(t.networkFailuresPer15m() + 10);
    }
}
