package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The hash bulkhead: a bounded number of risky hashes at once, a bounded wait, then a refusal")
class HashBulkheadTest {

    @Test
    @DisplayName("gives its permits at once, refuses the next without waiting when the wait is 0, and takes them back")
    void permits() {
        HashBulkhead b = new HashBulkhead(2, 0);
        HashBulkhead.Turn one = b.enter();
        HashBulkhead.Turn two = b.enter();
        assertThat(one).isNotNull();
        assertThat(two).isNotNull();
        assertThat(b.inUse()).isEqualTo(2);
        assertThat(b.enter()).as("full").isNull();
        one.close();
        one.close(); // closing twice frees one turn, not two
        assertThat(b.inUse()).isEqualTo(1);
        HashBulkhead.Turn three = b.enter();
        assertThat(three).isNotNull();
        assertThat(b.enter()).isNull();
        two.close();
        three.close();
        assertThat(b.inUse()).isZero();
        assertThat(b.entered()).isEqualTo(3);
        assertThat(b.refused()).isEqualTo(2);
        assertThat(b.waited()).isZero();
    }

    @Test
    @DisplayName("a check waits at most the wait for a turn another check frees")
    void waits() throws Exception {
        HashBulkhead b = new HashBulkhead(1, 5_000);
        HashBulkhead.Turn held = b.enter();
        CompletableFuture<HashBulkhead.Turn> waiting = CompletableFuture.supplyAsync(b::enter);
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        held.close();
        HashBulkhead.Turn got = waiting.get(5, TimeUnit.SECONDS);
        assertThat(got).isNotNull();
        assertThat(got.waited()).isTrue();
        assertThat(b.waited()).isEqualTo(1);
        got.close();
    }

    @Test
    @DisplayName("at most 4 checks per permit wait; the next is refused at once, holding no thread")
    void boundedWaiters() throws Exception {
        HashBulkhead b = new HashBulkhead(1, 10_000);
        HashBulkhead.Turn held = b.enter();
        // each waiter frees its turn as soon as it has one, so the next can have it
        java.util.List<CompletableFuture<Boolean>> waiting = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(
                HashBulkhead.WAITERS_PER_PERMIT);
        for (int i = 0; i < HashBulkhead.WAITERS_PER_PERMIT; i++) {
            waiting.add(CompletableFuture.supplyAsync(() -> {
                HashBulkhead.Turn t = b.enter();
                if (t != null) {
                    t.close();
                }
                return t != null;
            }, threads));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (queued(b) < HashBulkhead.WAITERS_PER_PERMIT && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(queued(b)).isEqualTo(HashBulkhead.WAITERS_PER_PERMIT);
        long start = System.nanoTime();
        assertThat(b.enter()).as("a fifth waiter").isNull();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("refused without waiting").isLessThan(1_000);
        held.close();
        for (CompletableFuture<Boolean> w : waiting) {
            assertThat(w.get(10, TimeUnit.SECONDS)).as("a waiter got its turn").isTrue();
        }
        threads.shutdown();
        assertThat(b.inUse()).isZero();
    }

    private static int queued(HashBulkhead b) {
        return b.queueLength();
    }

    @Test
    @DisplayName("off (0 permits): every check gets a turn at once, nothing is counted")
    void off() {
        for (int i = 0; i < 100; i++) {
            assertThat(HashBulkhead.OFF.enter()).isNotNull();
        }
        assertThat(HashBulkhead.OFF.on()).isFalse();
        assertThat(HashBulkhead.OFF.inUse()).isZero();
        assertThat(HashBulkhead.OFF.entered()).isZero();
        assertThatThrownBy(() -> new HashBulkhead(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
