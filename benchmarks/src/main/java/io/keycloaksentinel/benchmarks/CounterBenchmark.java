package io.keycloaksentinel.benchmarks;

import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.LoginOutcome;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import io.keycloaksentinel.core.risk.ThrottleDecision;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What Sentinel adds to one login on a single node, on the same Infinispan as Keycloak 26.7.3
 * (local cache manager): the listener's {@code record} of a failed login from a new address
 * (keyed username hash, known-network lookup, seven buffered counts), and the login form's
 * {@code check} before the password (four counters in one read; smart lockout included).
 * Sample mode gives p50/p99.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CounterBenchmark {

    private DefaultCacheManager manager;
    private AttackDetector detector;
    private InfinispanCounterStore store;
    private final AtomicInteger next = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() {
        manager = new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
        store = InfinispanCounterStore.open(manager, 200_000, 100_000);
        detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, System::currentTimeMillis, 24, 64);
    }

    @TearDown(Level.Iteration)
    public void flush() {
        store.flush();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.stop();
    }

    static String address(int i) {
        return "10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff);
    }

    @Benchmark
    public void recordFailedLogin() {
        int i = next.incrementAndGet();
        detector.record("realm-id", "bench", LoginOutcome.FAILURE_UNKNOWN_USER, address(i), "user" + i + "@example.test");
    }

    @Benchmark
    public ThrottleDecision loginCheck() {
        int i = next.incrementAndGet() & 0xffff;
        return detector.check("realm-id", address(i), "user" + i + "@example.test", false);
    }
}
