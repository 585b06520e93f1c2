package io.keycloaksentinel.benchmarks;

import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.LoginOutcome;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;

/**
 * A botnet of N distinct addresses (default one million), one failed login each, counted by the
 * same store Keycloak's nodes use (local cache manager). Prints the counter entries held and the
 * heap used after a full GC, against an empty baseline: what a million-IP flood costs a node.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.keycloaksentinel.benchmarks.HeapAfterManyAddresses 1000000</pre>
 */
public final class HeapAfterManyAddresses {

    private HeapAfterManyAddresses() {
    }

    public static void main(String[] args) {
        int addresses = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        long maxEntries = args.length > 1 ? Long.parseLong(args[1]) : 200_000;
        DefaultCacheManager manager = new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
        try {
            InfinispanCounterStore store = InfinispanCounterStore.open(manager, maxEntries, 100_000);
            AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, System::currentTimeMillis, 24, 64);
            long before = usedHeapAfterGc();
            long start = System.nanoTime();
            for (int i = 1; i <= addresses; i++) {
                detector.record("realm-id", "bench", LoginOutcome.FAILURE_UNKNOWN_USER, CounterBenchmark.address(i),
                        "user" + i + "@example.test");
                if (i % 10_000 == 0) {
                    store.flush();
                }
            }
            store.flush();
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            long after = usedHeapAfterGc();
            System.out.printf("[heap] %d distinct addresses, max-subject-entries %d: %d subject entries held,"
                            + " heap %d MB -> %d MB (+%d MB), %d s; realm failures last day: %d%n",
                    addresses, maxEntries, store.subjectEntries(), before >> 20, after >> 20, (after - before) >> 20,
                    seconds, detector.states().signals("realm-id").failuresLastDay());
        } finally {
            manager.stop();
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
