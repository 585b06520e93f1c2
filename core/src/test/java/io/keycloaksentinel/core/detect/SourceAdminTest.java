package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The admin's view of sources: offenders and lifting")
class SourceAdminTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);

    @Test
    @DisplayName("Offenders are ranked, throttled ones are flagged, and lifting forgets a source's counts only")
    void offendersAndLift() {
        for (int i = 0; i < 100; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "192.0.2.66", "u" + (i % 5));
        }
        for (int i = 0; i < 7; i++) {
            detector.record("r1", "demo", LoginOutcome.FAILURE, "192.0.2.7", "v");
        }
        detector.record("r2", "other", LoginOutcome.FAILURE, "192.0.2.99", "w");
        SourceAdmin.Offenders o = detector.admin().offenders("r1", 10, false);
        assertThat(o.addresses()).extracting(SourceAdmin.Offender::source).containsExactly("192.0.2.66", "192.0.2.7");
        assertThat(o.addresses().get(0).throttled()).isTrue();
        assertThat(o.addresses().get(0).distinctUsernames()).isEqualTo(5);
        assertThat(o.networks()).singleElement().satisfies(n -> {
            assertThat(n.source()).isEqualTo("192.0.2.0/24");
            assertThat(n.failures()).isEqualTo(107);
        });
        assertThat(detector.admin().offenders("r1", 10, true).addresses()).extracting(SourceAdmin.Offender::source)
                .containsExactly("192.0.2.66");

        assertThat(detector.admin().lift("r1", "192.0.2.66")).isEqualTo("192.0.2.66");
        assertThat(detector.throttle("r1", "192.0.2.66").throttled()).isFalse();
        assertThat(detector.admin().offenders("r1", 10, true).addresses()).isEmpty();
        assertThat(detector.states().signals("r1").failuresLastMinute()).as("realm signals kept").isEqualTo(107);
        assertThat(detector.admin().lift("r1", "192.0.2.0/24")).isEqualTo("192.0.2.0/24");
        assertThat(detector.source("r1", "192.0.2.1").orElseThrow().networkFailures15m()).isZero();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> detector.admin().lift("r1", "192.0.2.0/16"))
                .hasMessageContaining("did you mean 192.0.2.0/24");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> detector.admin().lift("r1", "example.com"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
