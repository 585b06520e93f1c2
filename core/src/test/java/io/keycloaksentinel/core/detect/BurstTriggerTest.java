package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("BurstTrigger: at most one evaluation per realm every 100 ms, none lost")
class BurstTriggerTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final List<Runnable> runs = new ArrayList<>();
    private final List<Long> delays = new ArrayList<>();
    private final List<String> evaluated = new ArrayList<>();
    private final BurstTrigger trigger = new BurstTrigger((run, delay) -> {
        runs.add(run);
        delays.add(delay);
    }, now::get, (id, name) -> evaluated.add(name));

    @Test
    @DisplayName("The first signal runs at once; signals before that run starts add nothing")
    void coalesces() {
        for (int i = 0; i < 50; i++) {
            trigger.signal("r1", "demo");
        }
        assertThat(runs).hasSize(1);
        assertThat(delays).containsExactly(0L);
        runs.get(0).run();
        assertThat(evaluated).containsExactly("demo");
    }

    @Test
    @DisplayName("A signal within 100 ms of the last run is due when the interval ends, not dropped")
    void rateLimited() {
        trigger.signal("r1", "demo");
        runs.get(0).run();
        now.addAndGet(30);
        trigger.signal("r1", "demo");
        trigger.signal("r1", "demo");
        assertThat(delays).containsExactly(0L, 70L);
        now.addAndGet(70);
        runs.get(1).run();
        now.addAndGet(250);
        trigger.signal("r1", "demo");
        assertThat(delays).containsExactly(0L, 70L, 0L);
        assertThat(evaluated).hasSize(2);
    }

    @Test
    @DisplayName("Realms are apart; a deleted realm is forgotten")
    void realmsApart() {
        trigger.signal("r1", "one");
        trigger.signal("r2", "two");
        assertThat(runs).hasSize(2);
        trigger.forget("r1");
        assertThat(trigger.tracked()).isEqualTo(1);
    }

    @Test
    @DisplayName("At most 1000 realms are tracked: quiet ones are evicted, and a full table hands nothing over")
    void bounded() {
        for (int i = 0; i < BurstTrigger.MAX_REALMS; i++) {
            trigger.signal("r" + i, "realm");
        }
        runs.forEach(Runnable::run);
        trigger.signal("busy", "busy");
        assertThat(trigger.tracked()).as("none quiet for a minute yet").isEqualTo(BurstTrigger.MAX_REALMS);
        assertThat(runs).hasSize(BurstTrigger.MAX_REALMS);
        now.addAndGet(61_000);
        trigger.signal("busy", "busy");
        assertThat(trigger.tracked()).isEqualTo(1);
        assertThat(runs).hasSize(BurstTrigger.MAX_REALMS + 1);
    }

    @Test
    @DisplayName("A scheduler that is shutting down refuses the run; the next signal tries again")
    void closing() {
        AtomicLong refused = new AtomicLong();
        BurstTrigger closing = new BurstTrigger((run, delay) -> {
            refused.incrementAndGet();
            throw new RejectedExecutionException("closed");
        }, now::get, (id, name) -> { });
        closing.signal("r1", "demo");
        closing.signal("r1", "demo");
        assertThat(refused.get()).isEqualTo(2);
    }

    @Test
    @DisplayName("A failing evaluation is logged, never thrown into the scheduler, and the next signal runs again")
    void failingEvaluation() {
        BurstTrigger failing = new BurstTrigger((run, delay) -> runs.add(run), now::get, (id, name) -> {
            throw new IllegalStateException("cache down");
        });
        failing.signal("r1", "demo");
        runs.get(0).run();
        now.addAndGet(100);
        failing.signal("r1", "demo");
        assertThat(runs).hasSize(2);
    }
}
