package io.keycloaksentinel.benchmarks;

import io.keycloaksentinel.core.counters.InfinispanCounterStore;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.device.DeviceCookie;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
 * What key rotation adds to recognising a device at sign-in: the keys a sign-in derives (the
 * current signing key, the one before it during a grace period, the stable key of the stored ids)
 * and the cookie's check. {@code beforeRotationExisted} is what a sign-in did before (one derived
 * key, one check); {@code neverRotated} and {@code rotatedOldCookie} what it does now, in a realm
 * never rotated and, in a rotated one, for a cookie the previous key signed (two checks).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DeviceKeysBenchmark {

    private DefaultCacheManager manager;
    private AttackDetector detector;
    private String plainCookie;
    private String oldCookie;

    @Setup(Level.Trial)
    public void setUp() {
        manager = new DefaultCacheManager(new GlobalConfigurationBuilder().nonClusteredDefault().build());
        InfinispanCounterStore store = InfinispanCounterStore.open(manager, 200_000, 100_000);
        detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, System::currentTimeMillis, 24, 64);
        String id = DeviceCookie.newId();
        plainCookie = cookies("plain").value(id);
        oldCookie = cookies("rotated").value(id);
        detector.keys().rotate("rotated", Duration.ofDays(7));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.stop();
    }

    /** The device cookie of a sign-in, as {@code DeviceRecognition.observe} builds it. */
    private DeviceCookie cookies(String realmId) {
        return new DeviceCookie(detector.keys().derivedKey(realmId, "device-cookie"),
                detector.keys().previousDerivedKey(realmId, "device-cookie"),
                detector.keys().stableKey(realmId, "device-cookie"), realmId);
    }

    @Benchmark
    public Optional<String> beforeRotationExisted() {
        return new DeviceCookie(detector.keys().stableKey("plain", "device-cookie"), "plain").verify(plainCookie);
    }

    @Benchmark
    public Optional<String> neverRotated() {
        return cookies("plain").verify(plainCookie);
    }

    @Benchmark
    public Optional<String> rotatedOldCookie() {
        return cookies("rotated").verify(oldCookie);
    }
}
