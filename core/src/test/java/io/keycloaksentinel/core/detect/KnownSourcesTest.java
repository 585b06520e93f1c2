package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Each user's known networks")
class KnownSourcesTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);

    @Test
    @DisplayName("A user remembers at most 10 networks, the most recent ones")
    void knownNetworksBounded() {
        for (int i = 0; i < 15; i++) {
            detector.known().rememberSource("r1", List.of("bob"), "10.0." + i + ".1");
        }
        assertThat(detector.known().knownSource("r1", "bob", "10.0.14.9")).isTrue();
        assertThat(detector.known().knownSource("r1", "bob", "10.0.5.9")).isTrue();
        assertThat(detector.known().knownSource("r1", "bob", "10.0.4.9")).isFalse();
    }

    @Test
    @DisplayName("A network forgotten for an account is forgotten under its names too; its other networks stay")
    void forgetNetwork() {
        detector.known().rememberSource("r1", List.of("bob", "bob@example.test"), "u1", "10.0.1.1");
        detector.known().rememberSource("r1", List.of("bob", "bob@example.test"), "u1", "10.0.2.1");
        String network = "10.0.2.0/24";
        assertThat(detector.knownNetwork("r1", "10.0.2.9", detector.keys().accountSubject("r1", "u1"), List.of())).isTrue();

        detector.known().forgetNetwork("r1", List.of("bob", "bob@example.test"), "u1", network);

        assertThat(detector.knownNetwork("r1", "10.0.2.9", detector.keys().accountSubject("r1", "u1"), List.of())).isFalse();
        assertThat(detector.known().knownSource("r1", "bob", "10.0.2.9")).isFalse();
        assertThat(detector.known().knownSource("r1", "bob@example.test", "10.0.2.9")).isFalse();
        assertThat(detector.known().knownSource("r1", "bob", "10.0.1.9")).isTrue();
        assertThat(detector.knownNetwork("r1", "10.0.1.9", detector.keys().accountSubject("r1", "u1"), List.of())).isTrue();
    }
}
