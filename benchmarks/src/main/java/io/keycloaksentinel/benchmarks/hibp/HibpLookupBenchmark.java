package io.keycloaksentinel.benchmarks.hibp;

import io.keycloaksentinel.authenticators.breach.index.HibpIndex;
import io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lookup latency in the memory-mapped HIBP index, warm (the file in the page cache, warm-up
 * iterations first), random hashes so every lookup lands in another bucket. Sample mode: p50,
 * p99. {@code member}/{@code nonMember}: {@link HibpIndex#contains} of a precomputed SHA-1;
 * {@code serverLookup}: {@link ReloadingHibpIndex#lookup} (adds the reload-interval clock check);
 * {@code sha1AndServerLookup}: the whole cost for a password string (UTF-8, SHA-1, lookup).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar HibpLookupBenchmark \
 *     -p index=/tmp/hibp-bench/pwned.idx -p members=/tmp/hibp-bench/members.txt</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class HibpLookupBenchmark {

    private static final int NON_MEMBERS = 1 << 20;

    @Param("/tmp/hibp-bench/pwned.idx")
    public String index;

    @Param("/tmp/hibp-bench/members.txt")
    public String members;

    private HibpIndex hibp;
    private ReloadingHibpIndex reloading;
    private byte[][] memberHashes;
    private byte[][] nonMemberHashes;
    private String[] nonMemberPasswords;
    private MessageDigest sha1;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        hibp = HibpIndex.open(Path.of(index));
        reloading = new ReloadingHibpIndex(Path.of(index), Duration.ofSeconds(60), System::currentTimeMillis);
        sha1 = HibpBench.sha1();
        List<String> known = HibpBench.readLines(Path.of(members), 1 << 17);
        int size = Integer.highestOneBit(known.size());
        memberHashes = new byte[size][];
        for (int i = 0; i < size; i++) {
            memberHashes[i] = HibpBench.sha1(sha1, known.get(i));
        }
        nonMemberHashes = new byte[NON_MEMBERS][];
        nonMemberPasswords = new String[NON_MEMBERS];
        for (int i = 0; i < NON_MEMBERS; i++) {
            nonMemberPasswords[i] = HibpBench.nonMember(i);
            nonMemberHashes[i] = HibpBench.sha1(sha1, nonMemberPasswords[i]);
        }
        for (byte[] hash : memberHashes) {
            if (!hibp.contains(hash)) {
                throw new IllegalStateException("a known member is not listed: wrong index or members file");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        reloading.close();
        hibp.close();
    }

    @Benchmark
    public boolean member() {
        return hibp.contains(memberHashes[next++ & (memberHashes.length - 1)]);
    }

    @Benchmark
    public boolean nonMember() {
        return hibp.contains(nonMemberHashes[next++ & (NON_MEMBERS - 1)]);
    }

    @Benchmark
    public ReloadingHibpIndex.Lookup serverLookup() {
        return reloading.lookup(nonMemberHashes[next++ & (NON_MEMBERS - 1)]);
    }

    @Benchmark
    public ReloadingHibpIndex.Lookup sha1AndServerLookup() {
        return reloading.lookup(HibpBench.sha1(sha1, nonMemberPasswords[next++ & (NON_MEMBERS - 1)]));
    }
}
