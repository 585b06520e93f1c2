package io.keycloaksentinel.authenticators.breach.index;

import static io.keycloaksentinel.authenticators.breach.index.Corpora.corpus;
import static io.keycloaksentinel.authenticators.breach.index.Corpora.sha1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HibpIndexTest {

    private static final List<String> MEMBERS = Corpora.passwords("known-breached-", 500);
    private static final List<byte[]> FILLER = Corpora.randomHashes(42, 60_000);
    private static final int ENTRIES = MEMBERS.size() + FILLER.size();

    private static Path shared;
    private static String text;
    private static Path index;
    private static HibpIndexConverter.Summary summary;

    @TempDir
    Path dir;

    @BeforeAll
    static void convert() throws Exception {
        shared = Files.createTempDirectory("hibp-index-test");
        text = corpus().passwords(MEMBERS).hashes(FILLER).text();
        index = shared.resolve("pwned.idx");
        summary = Corpora.convert(text, index);
    }

    @AfterAll
    static void delete() throws Exception {
        Files.deleteIfExists(index);
        Files.deleteIfExists(shared);
    }

    @Test
    @DisplayName("Every password of the corpus is found, by its SHA-1 and by every random hash in it")
    void everyMemberIsFound() throws Exception {
        try (HibpIndex idx = HibpIndex.open(index)) {
            for (String password : MEMBERS) {
                assertThat(idx.contains(sha1(password))).as(password).isTrue();
            }
            for (byte[] hash : FILLER) {
                assertThat(idx.contains(hash)).isTrue();
            }
            assertThat(idx.contains(sha1("not-in-the-corpus"))).isFalse();
        }
    }

    @Test
    @DisplayName("The header and the summary describe the file: entries, layout, size under 4 bytes per hash, the false-positive formula")
    void headerAndSummary() throws Exception {
        assertThat(summary.lines()).isEqualTo(ENTRIES);
        assertThat(summary.kept()).isEqualTo(ENTRIES);
        assertThat(summary.entries() + summary.merged()).isEqualTo(ENTRIES);
        assertThat(summary.bucketBits()).isEqualTo(IndexLayout.bucketBitsFor(summary.entries()));
        assertThat(summary.averageBucketEntries()).isBetween(32.0, 64.0);
        assertThat(summary.fingerprintBits()).isEqualTo(30);
        assertThat(summary.bytesPerHash()).isLessThan(4.0);
        assertThat(summary.advice()).isEmpty();
        try (HibpIndex idx = HibpIndex.open(index)) {
            HibpIndex.Info info = idx.info();
            assertThat(info.entries()).isEqualTo(summary.entries());
            assertThat(info.minCount()).isEqualTo(1);
            assertThat(info.fileBytes()).isEqualTo(Files.size(index));
            assertThat(info.bytesPerEntry()).isLessThan(4.0);
            assertThat(info.falsePositiveRate())
                    .isEqualTo(info.entries() / Math.pow(2, info.bucketBits() + info.fingerprintBits()))
                    .isLessThan(1e-7);
            assertThat(info.createdAt()).isBetween(java.time.Instant.now().minusSeconds(600), java.time.Instant.now());
        }
    }

    @Test
    @DisplayName("Two million passwords that are not in the corpus: at most a handful of false positives (the formula predicts 0.1)")
    void falsePositivesAtTheDefaultWidth() throws Exception {
        try (HibpIndex idx = HibpIndex.open(index)) {
            double expected = idx.info().falsePositiveRate() * 2_000_000;
            assertThat(expected).isLessThan(0.2);
            // random 20-byte values stand for SHA-1s of passwords not in the corpus (2^-160 chance to hit one)
            assertThat(falsePositives(idx, 2_000_000, 7)).isLessThanOrEqualTo(5);
        }
    }

    @Test
    @DisplayName("With 12-bit fingerprints the measured false-positive rate matches entries / 2^(k+s) within 15 %")
    void falsePositiveFormula() throws Exception {
        Path small = dir.resolve("narrow.idx");
        HibpIndexConverter.convert(Corpora.stream(text), small, 1, ENTRIES, 12, HibpIndexConverter.Progress.NONE);
        try (HibpIndex idx = HibpIndex.open(small)) {
            double rate = idx.info().falsePositiveRate();
            assertThat(rate).isBetween(0.005, 0.02);
            int lookups = 400_000;
            long hits = falsePositives(idx, lookups, 11);
            assertThat(hits / (double) lookups).isCloseTo(rate, org.assertj.core.data.Percentage.withPercentage(15));
            for (String password : MEMBERS) {
                assertThat(idx.contains(sha1(password))).isTrue();
            }
        }
    }

    private static long falsePositives(HibpIndex idx, int lookups, long seed) {
        Random random = new Random(seed);
        byte[] hash = new byte[20];
        long hits = 0;
        for (int i = 0; i < lookups; i++) {
            random.nextBytes(hash);
            if (idx.contains(hash)) {
                hits++;
            }
        }
        return hits;
    }

    @Test
    @DisplayName("Mapped in 64-byte chunks (reads cross chunk boundaries everywhere) the index answers exactly as mapped in one piece")
    void tinyChunks() throws Exception {
        try (HibpIndex whole = HibpIndex.open(index); HibpIndex chunked = HibpIndex.open(index, 6)) {
            for (String password : MEMBERS) {
                assertThat(chunked.contains(sha1(password))).isTrue();
            }
            for (byte[] hash : FILLER.subList(0, 5_000)) {
                assertThat(chunked.contains(hash)).isTrue();
            }
            Random random = new Random(3);
            byte[] hash = new byte[20];
            for (int i = 0; i < 200_000; i++) {
                random.nextBytes(hash);
                assertThat(chunked.contains(hash)).isEqualTo(whole.contains(hash));
            }
        }
    }

    @Test
    @DisplayName("--min-count keeps only hashes seen at least that often and the header records the threshold")
    void minCount() throws Exception {
        List<String> passwords = Corpora.passwords("counted-", 3_000);
        // the count is the sorted position mod 10, plus 1: counts 1..10
        String counted = corpus().passwords(passwords).counts(i -> 1 + i % 10).text();
        List<String> lines = corpus().passwords(passwords).counts(i -> 1 + i % 10).lines();
        Path out = dir.resolve("min5.idx");
        HibpIndexConverter.Summary s = HibpIndexConverter.convert(Corpora.stream(counted), out, 5, 3_000,
                HibpIndexConverter.Progress.NONE);
        assertThat(s.kept()).isEqualTo(1_800);
        assertThat(s.belowMinCount()).isEqualTo(1_200);
        try (HibpIndex idx = HibpIndex.open(out)) {
            assertThat(idx.info().minCount()).isEqualTo(5);
            for (String line : lines) {
                byte[] hash = java.util.HexFormat.of().parseHex(line.substring(0, 40));
                long count = Long.parseLong(line.substring(41));
                assertThat(idx.contains(hash)).as(line).isEqualTo(count >= 5);
            }
        }
    }

    @Test
    @DisplayName("CRLF line ends give the same index as LF; a last line without a newline counts")
    void crlfAndNoFinalNewline() throws Exception {
        List<String> passwords = Corpora.passwords("crlf-", 1_000);
        Path lf = dir.resolve("lf.idx");
        Path crlf = dir.resolve("crlf.idx");
        Path bare = dir.resolve("bare.idx");
        Corpora.convert(corpus().passwords(passwords).text(), lf);
        Corpora.convert(corpus().passwords(passwords).crlf().text(), crlf);
        String noFinalNewline = corpus().passwords(passwords).crlf().text().stripTrailing();
        HibpIndexConverter.Summary s = Corpora.convert(noFinalNewline, bare);
        assertThat(s.lines()).isEqualTo(1_000);
        assertThat(body(crlf)).isEqualTo(body(lf));
        assertThat(body(bare)).isEqualTo(body(lf));
    }

    @Test
    @DisplayName("Blank lines at the very end of the file are ignored")
    void trailingBlankLines() throws Exception {
        String text = corpus().passwords(Corpora.passwords("tail-", 10)).text() + "\n\r\n\n";
        assertThat(Corpora.convert(text, dir.resolve("t.idx")).lines()).isEqualTo(10);
    }

    private static byte[] body(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        return java.util.Arrays.copyOfRange(bytes, IndexLayout.HEADER_BYTES, bytes.length);
    }

    @Test
    @DisplayName("An over-estimated entry count is corrected: the index is re-bucketed to 32-64 entries per bucket")
    void overEstimateIsRebucketed() throws Exception {
        Path out = dir.resolve("over.idx");
        HibpIndexConverter.Summary s = HibpIndexConverter.convert(Corpora.stream(text), out, 1, ENTRIES * 100L,
                HibpIndexConverter.Progress.NONE);
        assertThat(s.rebucketed()).isTrue();
        assertThat(s.bucketBits()).isEqualTo(IndexLayout.bucketBitsFor(s.entries()));
        assertThat(s.bytesPerHash()).isLessThan(4.0);
        assertThat(Files.readAllBytes(out)).hasSize((int) Files.size(index));
        assertThat(body(out)).isEqualTo(body(index));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    @DisplayName("An under-estimated entry count gives bigger buckets, still correct, with advice to convert again")
    void underEstimateIsReported() throws Exception {
        Path out = dir.resolve("under.idx");
        HibpIndexConverter.Summary s = HibpIndexConverter.convert(Corpora.stream(text), out, 1, ENTRIES / 16,
                HibpIndexConverter.Progress.NONE);
        assertThat(s.rebucketed()).isFalse();
        assertThat(s.averageBucketEntries()).isGreaterThan(256);
        assertThat(s.advice()).hasValueSatisfying(a -> assertThat(a).contains("--expected-entries " + s.entries()));
        try (HibpIndex idx = HibpIndex.open(out)) {
            for (String password : MEMBERS) {
                assertThat(idx.contains(sha1(password))).isTrue();
            }
        }
    }

    @Test
    @DisplayName("Tiny corpora work: one hash (a single bucket), and a corpus where every count is below the min count (empty index)")
    void tinyCorpora() throws Exception {
        Path one = dir.resolve("one.idx");
        Corpora.convert(corpus().passwords(List.of("password")).text(), one);
        try (HibpIndex idx = HibpIndex.open(one)) {
            assertThat(idx.info().bucketBits()).isZero();
            assertThat(idx.contains(sha1("password"))).isTrue();
            assertThat(idx.contains(sha1("Password"))).isFalse();
        }
        Path none = dir.resolve("none.idx");
        HibpIndexConverter.Summary s = HibpIndexConverter.convert(
                Corpora.stream(corpus().passwords(List.of("a", "b")).counts(i -> 1).text()), none, 2, 2,
                HibpIndexConverter.Progress.NONE);
        assertThat(s.entries()).isZero();
        assertThat(s.advice()).hasValueSatisfying(a -> assertThat(a).contains("empty"));
        try (HibpIndex idx = HibpIndex.open(none)) {
            assertThat(idx.contains(sha1("a"))).isFalse();
        }
    }

    @Test
    @DisplayName("Converting over an existing index replaces it in one rename; no temporary file is left")
    void replacesAtomically() throws Exception {
        Path out = dir.resolve("pwned.idx");
        Corpora.convert(corpus().passwords(List.of("first")).text(), out);
        Corpora.convert(corpus().passwords(List.of("second")).text(), out);
        try (HibpIndex idx = HibpIndex.open(out)) {
            assertThat(idx.contains(sha1("second"))).isTrue();
            assertThat(idx.contains(sha1("first"))).isFalse();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    @DisplayName("A lookup needs a 20-byte SHA-1; a closed index refuses lookups")
    void arguments() throws Exception {
        HibpIndex idx = HibpIndex.open(index);
        assertThatThrownBy(() -> idx.contains(new byte[19])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> idx.contains(null)).isInstanceOf(IllegalArgumentException.class);
        idx.close();
        idx.close();
        assertThatThrownBy(() -> idx.contains(sha1("x"))).isInstanceOf(IllegalStateException.class);
    }
}
