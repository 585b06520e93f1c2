package io.keycloaksentinel.benchmarks.hibp;

import io.keycloaksentinel.authenticators.breach.index.HibpIndex;
import io.keycloaksentinel.authenticators.breach.index.HibpIndexConverter;
import io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * What the server side costs in memory: heap used after a full GC before and after opening the
 * index through {@link ReloadingHibpIndex} (as the server does), and after a million lookups;
 * the process RSS split into anonymous memory (heap, JIT, ...) and file pages (the mapped index,
 * shared with the page cache and every other process mapping it). Also the open time (the full
 * checksum read).
 *
 * <pre>java -Xmx256m -cp benchmarks/target/benchmarks.jar io.keycloaksentinel.benchmarks.hibp.HibpIndexMemory /tmp/hibp-bench/pwned.idx</pre>
 */
public final class HibpIndexMemory {

    private HibpIndexMemory() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : HibpBench.DEFAULT_DIR.resolve("pwned.idx").toString());
        int lookups = args.length > 1 ? Integer.parseInt(args[1].replace("_", "")) : 1_000_000;
        MessageDigest sha1 = HibpBench.sha1();
        // before the baseline: load every class, start logging and the check thread, with a one-hash index
        Path tinyDir = java.nio.file.Files.createTempDirectory("hibp-memory");
        Path tiny = tinyDir.resolve("tiny.idx");
        String line = java.util.HexFormat.of().withUpperCase().formatHex(HibpBench.sha1(sha1, "warm-up")) + ":1\n";
        HibpIndexConverter.convert(new java.io.ByteArrayInputStream(line.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                tiny, 1, 1, HibpIndexConverter.Progress.NONE);
        try (ReloadingHibpIndex warmUp = new ReloadingHibpIndex(tiny, Duration.ofSeconds(60), System::currentTimeMillis)) {
            warmUp.lookup(HibpBench.sha1(sha1, "warm-up"));
            warmUp.info().orElseThrow();
        }
        java.nio.file.Files.delete(tiny);
        java.nio.file.Files.delete(tinyDir);
        long before = HibpBench.usedHeapAfterGc();
        System.out.printf("[memory] before open: heap used %,d bytes; %s%n", before, HibpBench.rss());
        long started = System.nanoTime();
        try (ReloadingHibpIndex index = new ReloadingHibpIndex(file, Duration.ofSeconds(60), System::currentTimeMillis)) {
            double openSeconds = (System.nanoTime() - started) / 1e9;
            HibpIndex.Info info = index.info().orElseThrow(() -> new IllegalStateException("no valid index at " + file));
            long afterOpen = HibpBench.usedHeapAfterGc();
            System.out.printf("[memory] opened %s: %,d entries, %,d bytes, validated in %.1f s%n", file, info.entries(),
                    info.fileBytes(), openSeconds);
            System.out.printf("[memory] after open: heap used %,d bytes (%+,d); %s%n", afterOpen, afterOpen - before,
                    HibpBench.rss());
            long listed = 0;
            for (int i = 0; i < lookups; i++) {
                if (index.lookup(HibpBench.sha1(sha1, HibpBench.nonMember(i))) == ReloadingHibpIndex.Lookup.LISTED) {
                    listed++;
                }
            }
            long afterLookups = HibpBench.usedHeapAfterGc();
            System.out.printf("[memory] after %,d lookups (%d listed): heap used %,d bytes (%+,d from before open); %s%n",
                    lookups, listed, afterLookups, afterLookups - before, HibpBench.rss());
        }
    }
}
