package io.keycloaksentinel.core.counters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keycloaksentinel.core.counters.CounterStore.Scope;
import java.time.Duration;
import java.util.List;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The store on a real (local) Infinispan. Two store instances on one cache manager stand for two
 * nodes: each buffers its own counts, both write into the same caches.
 */
class InfinispanCounterStoreTest {

    private static final long NOW = 1_700_000_000_000L;
    private final DefaultCacheManager manager =
            new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
    private final InfinispanCounterStore nodeA = InfinispanCounterStore.open(manager, 10_000, 1_000, 1_000);
    private final InfinispanCounterStore nodeB = InfinispanCounterStore.open(manager, 10_000, 1_000, 1_000);

    @AfterEach
    void stop() {
        manager.stop();
    }

    @Test
    @DisplayName("Counts buffered on two nodes add up after their flushes, and a node sees its own buffer before")
    void countsAddUp() {
        nodeA.add(Scope.SUBJECT, "i|r|192.0.2.1", Window.FIFTEEN_MINUTES, NOW, 3);
        nodeB.add(Scope.SUBJECT, "i|r|192.0.2.1", Window.FIFTEEN_MINUTES, NOW + 60_000, 4);
        nodeB.add(Scope.SUBJECT, "i|r|192.0.2.1", Window.ONE_MINUTE, NOW + 60_000, 4);
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.1", Window.FIFTEEN_MINUTES, NOW + 60_000)).isEqualTo(3);
        nodeA.flush();
        nodeB.flush();
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.1", Window.FIFTEEN_MINUTES, NOW + 60_000)).isEqualTo(7);
        assertThat(nodeB.sumAll(Scope.SUBJECT, List.of("i|r|192.0.2.1", "i|r|192.0.2.1"),
                List.of(Window.FIFTEEN_MINUTES, Window.ONE_MINUTE), NOW + 60_000)).containsExactly(7, 4);
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.1", Window.FIFTEEN_MINUTES, NOW + 16 * 60_000))
                .as("out of the window").isZero();
    }

    @Test
    @DisplayName("A member is counted once per window however many nodes and flushes see it")
    void distinct() {
        for (int round = 0; round < 3; round++) {
            nodeA.addDistinct(Scope.SUBJECT, "dn|r|192.0.2.0/24", "hash-1", Window.FIFTEEN_MINUTES, NOW);
            nodeB.addDistinct(Scope.SUBJECT, "dn|r|192.0.2.0/24", "hash-1", Window.FIFTEEN_MINUTES, NOW);
            nodeA.flush();
            nodeB.flush();
        }
        nodeB.addDistinct(Scope.SUBJECT, "dn|r|192.0.2.0/24", "hash-2", Window.FIFTEEN_MINUTES, NOW);
        nodeB.flush();
        assertThat(nodeA.sum(Scope.SUBJECT, "dn|r|192.0.2.0/24", Window.FIFTEEN_MINUTES, NOW)).isEqualTo(2);
    }

    @Test
    @DisplayName("Sums by prefix cover every counter of one family and window; clearing one forgets only it")
    void prefixAndClear() {
        nodeA.add(Scope.SUBJECT, "i|r|192.0.2.1", Window.ONE_DAY, NOW, 5);
        nodeB.add(Scope.SUBJECT, "i|r|192.0.2.2", Window.ONE_DAY, NOW, 2);
        nodeB.add(Scope.SUBJECT, "i|r|192.0.2.2", Window.FIFTEEN_MINUTES, NOW, 9);
        nodeB.add(Scope.SUBJECT, "i|other|192.0.2.3", Window.ONE_DAY, NOW, 1);
        nodeB.flush();
        // node A's count is still in its buffer: the scan flushes this node first
        assertThat(nodeA.sumByPrefix(Scope.SUBJECT, "i|r|", Window.ONE_DAY, NOW))
                .containsOnly(org.assertj.core.api.Assertions.entry("i|r|192.0.2.1", 5L),
                        org.assertj.core.api.Assertions.entry("i|r|192.0.2.2", 2L));
        nodeA.clear(Scope.SUBJECT, "i|r|192.0.2.2", Window.ONE_DAY, NOW);
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.2", Window.ONE_DAY, NOW)).isZero();
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.2", Window.FIFTEEN_MINUTES, NOW)).isEqualTo(9);
        assertThat(nodeA.sum(Scope.SUBJECT, "i|r|192.0.2.1", Window.ONE_DAY, NOW)).isEqualTo(5);
    }

    @Test
    @DisplayName("Remembered lists keep the most recent members first, without repeats, at most max")
    void remember() {
        for (int i = 0; i < 5; i++) {
            nodeA.remember("k|r|alice", "10.0." + i + ".0/24", 3, Duration.ofDays(1));
        }
        nodeA.flush();
        nodeB.remember("k|r|alice", "10.0.2.0/24", 3, Duration.ofDays(1));
        nodeB.flush();
        assertThat(nodeA.recent("k|r|alice")).containsExactly("10.0.2.0/24", "10.0.4.0/24", "10.0.3.0/24");
        assertThat(nodeA.recent("k|r|nobody")).isEmpty();
    }

    @Test
    @DisplayName("A forgotten member leaves the list on every node, a pending remember of it included; the last one takes the list")
    void forget() {
        nodeA.remember("k|r|bob", "10.0.1.0/24", 10, Duration.ofDays(1));
        nodeA.remember("k|r|bob", "10.0.2.0/24", 10, Duration.ofDays(1));
        nodeA.flush();
        nodeA.remember("k|r|bob", "10.0.3.0/24", 10, Duration.ofDays(1)); // still buffered on A
        nodeA.forget("k|r|bob", "10.0.3.0/24", Duration.ofDays(1));
        nodeA.flush();
        assertThat(nodeB.recent("k|r|bob")).containsExactly("10.0.2.0/24", "10.0.1.0/24");
        nodeB.forget("k|r|bob", "10.0.2.0/24", Duration.ofDays(1));
        assertThat(nodeA.recent("k|r|bob")).containsExactly("10.0.1.0/24");
        nodeB.forget("k|r|bob", "10.9.9.0/24", Duration.ofDays(1)); // not there: nothing changes
        assertThat(nodeA.recent("k|r|bob")).containsExactly("10.0.1.0/24");
        nodeA.forget("k|r|bob", "10.0.1.0/24", Duration.ofDays(1));
        assertThat(nodeB.recent("k|r|bob")).isEmpty();
        nodeA.forget("k|r|nobody", "10.0.1.0/24", Duration.ofDays(1));
        assertThat(nodeA.recent("k|r|nobody")).isEmpty();
    }

    @Test
    @DisplayName("A flood of new counters between two flushes is dropped and counted, not buffered without bound")
    void boundedBuffer() {
        for (int i = 0; i < 1_500; i++) {
            nodeA.add(Scope.SUBJECT, "i|r|10.0." + (i / 256) + "." + (i % 256), Window.ONE_DAY, NOW, 1);
        }
        assertThat(nodeA.dropped()).isEqualTo(500);
        nodeA.flush();
        assertThat(nodeA.sumByPrefix(Scope.SUBJECT, "i|r|", Window.ONE_DAY, NOW)).hasSize(1_000);
    }

    @Test
    @DisplayName("A one-time token claimed on one node is refused on every node; a node without the register open refuses to guess")
    void claimOnce() {
        nodeA.withReplayRegister(manager, 1_000);
        nodeB.withReplayRegister(manager, 1_000);

        assertThat(nodeA.claimOnce("once|r|token-1", Duration.ofMinutes(5))).isTrue();
        assertThat(nodeB.claimOnce("once|r|token-1", Duration.ofMinutes(5))).isFalse();
        assertThat(nodeA.claimOnce("once|r|token-1", Duration.ofMinutes(5))).isFalse();
        assertThat(nodeB.claimOnce("once|r|token-2", Duration.ofMinutes(5))).isTrue();
        assertThatThrownBy(() -> InfinispanCounterStore.open(manager, 10_000, 1_000, 1_000)
                .claimOnce("once|r|token-3", Duration.ofMinutes(5))).isInstanceOf(IllegalStateException.class);
    }
}
