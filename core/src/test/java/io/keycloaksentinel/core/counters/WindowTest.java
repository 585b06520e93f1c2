package io.keycloaksentinel.core.counters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WindowTest {

    @Test
    @DisplayName("A window is the last N buckets ending with the bucket of now, the same on every node")
    void buckets() {
        Window w = Window.ONE_MINUTE; // 6 buckets of 10 s
        assertThat(w.bucketCount()).isEqualTo(6);
        assertThat(w.bucketOf(59_999)).isEqualTo(5);
        assertThat(w.bucketsAt(60_000)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(w.bucketsAt(69_999)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(w.bucketsAt(70_000)).containsExactly(2, 3, 4, 5, 6, 7);
        assertThat(Window.FIFTEEN_MINUTES.bucketsAt(0)).hasSize(15).endsWith(0L);
        assertThat(Window.ONE_DAY.retention()).isEqualTo(Duration.ofHours(25));
    }

    @Test
    @DisplayName("Counts older than the window drop out of its sum")
    void sliding() {
        Window w = new Window("30s", Duration.ofSeconds(30), Duration.ofSeconds(10));
        java.util.Map<Long, Long> counts = new java.util.HashMap<>();
        counts.merge(w.bucketOf(1_000), 5L, Long::sum);   // at 1 s
        counts.merge(w.bucketOf(25_000), 2L, Long::sum);  // at 25 s
        assertThat(sumAt(w, counts, 29_000)).isEqualTo(7);
        assertThat(sumAt(w, counts, 30_000)).isEqualTo(2); // the 0-10 s bucket left the window
        assertThat(sumAt(w, counts, 60_000)).isZero();
    }

    private static long sumAt(Window w, java.util.Map<Long, Long> counts, long now) {
        long[] ids = w.bucketsAt(now);
        long[] values = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            values[i] = counts.getOrDefault(ids[i], 0L);
        }
        return Window.sum(values);
    }

    @Test
    @DisplayName("A window that is not a whole number of buckets is refused")
    void invalid() {
        assertThatThrownBy(() -> new Window("bad", Duration.ofSeconds(25), Duration.ofSeconds(10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Window("bad", Duration.ofSeconds(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
