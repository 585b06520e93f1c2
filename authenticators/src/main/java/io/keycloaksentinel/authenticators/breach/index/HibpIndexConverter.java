package io.keycloaksentinel.authenticators.breach.index;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * Converts the Pwned Passwords text file of HIBP's downloader (lines {@code SHA1HEX:COUNT},
 * sorted by hash, LF or CRLF) into an index file, streaming: memory use does not depend on the
 * corpus size. Every line is checked (40 hex digits, ':', a decimal count; ascending, no
 * duplicate); the first bad one stops the conversion with its line number and a short reason.
 * Blank lines are accepted only at the very end of the input.
 *
 * <p>The bucket count is chosen from {@code expectedEntries} before writing. When fewer entries
 * are kept (an over-estimate, e.g. with a min count), the finished index is re-bucketed from the
 * index itself (not the corpus) so that its buckets again hold 32 to 64 entries; an
 * under-estimate leaves larger buckets (a higher false-positive rate, reported in
 * {@link Summary#advice()}).
 *
 * <p>The index is written to a temporary file in the output's directory, forced to disk and
 * moved into place atomically, so a server watching the output path never sees a partial file.
 */
public final class HibpIndexConverter {

    /** The shortest line HIBP's file can have: 40 hex digits, ':', one digit, LF. */
    static final int SHORTEST_LINE = 43;
    static final int MAX_LINE = 64;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final int PROGRESS_EVERY_LINES = 1 << 20;
    private static final byte[] HEX = new byte[256];

    static {
        Arrays.fill(HEX, (byte) -1);
        for (int i = 0; i < 10; i++) {
            HEX['0' + i] = (byte) i;
        }
        for (int i = 0; i < 6; i++) {
            HEX['A' + i] = (byte) (10 + i);
            HEX['a' + i] = (byte) (10 + i);
        }
    }

    /** Called every million lines or so, on the converting thread. */
    @FunctionalInterface
    public interface Progress {
        void report(long linesRead, long bytesRead, long entriesKept);

        Progress NONE = (lines, bytes, kept) -> { };
    }

    /**
     * The outcome of a conversion.
     *
     * @param lines lines read (hashes)
     * @param kept lines with a count at or above the min count
     * @param belowMinCount lines left out for their count
     * @param merged kept hashes equal to the previous one in their top k+s bits (stored once)
     * @param entries fingerprints stored
     */
    public record Summary(Path output, long lines, long kept, long belowMinCount, long merged, long entries,
            long minCount, int bucketBits, int fingerprintBits, long fileBytes, double falsePositiveRate,
            long elapsedNanos, boolean rebucketed) {

        public double bytesPerHash() {
            return entries == 0 ? 0 : (double) fileBytes / entries;
        }

        public double hashesPerSecond() {
            return elapsedNanos == 0 ? 0 : lines * 1e9 / elapsedNanos;
        }

        public double averageBucketEntries() {
            return entries / Math.pow(2, bucketBits);
        }

        /** Advice when the index is not as designed: empty, or buckets larger than planned. */
        public Optional<String> advice() {
            if (entries == 0) {
                return Optional.of("the index is empty: no line had a count of at least " + minCount);
            }
            if (bucketBits < IndexLayout.bucketBitsFor(entries)) {
                return Optional.of(String.format("buckets hold %.0f entries on average instead of 32 to 64 because"
                        + " --expected-entries was too low; the false-positive rate is %.2g instead of about %.2g:"
                        + " convert again with --expected-entries %d", averageBucketEntries(), falsePositiveRate,
                        IndexLayout.falsePositiveRate(entries, IndexLayout.bucketBitsFor(entries), fingerprintBits),
                        entries));
            }
            return Optional.empty();
        }
    }

    private HibpIndexConverter() {
    }

    /** A count of hashes at least as high as a file of this size can hold (never an under-estimate). */
    public static long estimateEntries(long inputBytes) {
        return Math.max(1, inputBytes / SHORTEST_LINE);
    }

    /**
     * Converts; see the class comment.
     *
     * @param minCount keep only hashes seen at least this often (1 keeps all)
     * @param expectedEntries how many hashes will be kept, roughly (an over-estimate is cheap)
     */
    public static Summary convert(InputStream in, Path output, long minCount, long expectedEntries, Progress progress)
            throws CorpusFormatException, IOException {
        return convert(in, output, minCount, expectedEntries, IndexLayout.DEFAULT_FINGERPRINT_BITS, progress);
    }

    static Summary convert(InputStream in, Path output, long minCount, long expectedEntries, int fingerprintBits,
            Progress progress) throws CorpusFormatException, IOException {
        if (minCount < 0 || expectedEntries < 1) {
            throw new IllegalArgumentException("min count " + minCount + ", expected entries " + expectedEntries);
        }
        long started = System.nanoTime();
        Path target = output.toAbsolutePath();
        Path dir = target.getParent();
        String prefix = "." + target.getFileName() + "-";
        long createdAt = System.currentTimeMillis();
        int bucketBits = Math.min(IndexLayout.bucketBitsFor(expectedEntries), 64 - fingerprintBits);
        Parser parser;
        Path written;
        long entries;
        long merged;
        try (IndexWriter writer = new IndexWriter(dir, prefix, bucketBits, fingerprintBits, minCount, createdAt)) {
            parser = new Parser(in, writer, minCount, progress);
            parser.run();
            written = writer.finish();
            entries = writer.entries();
            merged = writer.collapsed();
        }
        boolean rebucketed = false;
        try {
            int optimal = IndexLayout.bucketBitsFor(entries);
            if (optimal < bucketBits) {
                Path smaller;
                try (HibpIndex first = HibpIndex.open(written);
                        IndexWriter writer = new IndexWriter(dir, prefix, optimal, fingerprintBits, minCount, createdAt)) {
                    long buckets = 1L << bucketBits;
                    int shift = 64 - bucketBits - fingerprintBits;
                    long i = 0;
                    for (long b = 0; b < buckets; b++) {
                        long end = first.offset(b + 1);
                        long bucketTop = bucketBits == 0 ? 0 : b << (64 - bucketBits);
                        for (; i < end; i++) {
                            writer.add(bucketTop | (first.entry(i) << shift));
                        }
                    }
                    smaller = writer.finish();
                    merged += writer.collapsed();
                    entries = writer.entries();
                } catch (IndexFormatException e) {
                    throw new IOException("the index just written does not read back: " + e.getMessage(), e);
                }
                Files.delete(written);
                written = smaller;
                bucketBits = optimal;
                rebucketed = true;
            }
            Files.move(written, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(written);
            throw e;
        }
        long fileBytes = Files.size(target);
        return new Summary(target, parser.lines, parser.kept, parser.lines - parser.kept, merged, entries, minCount,
                bucketBits, fingerprintBits, fileBytes, IndexLayout.falsePositiveRate(entries, bucketBits, fingerprintBits),
                System.nanoTime() - started, rebucketed);
    }

    /** The line reader: a byte buffer, no String per line. */
    private static final class Parser {
        private final InputStream in;
        private final IndexWriter writer;
        private final long minCount;
        private final Progress progress;
        private final byte[] buf = new byte[BUFFER_BYTES];
        private int pos;
        private int limit;
        private boolean eof;
        private long bytesRead;

        long lines;
        long kept;
        private long firstBlankLine;
        private long previousLine;
        private long prevHi;
        private long prevMid;
        private int prevLo;

        Parser(InputStream in, IndexWriter writer, long minCount, Progress progress) {
            this.in = in;
            this.writer = writer;
            this.minCount = minCount;
            this.progress = progress;
        }

        void run() throws IOException, CorpusFormatException {
            long lineNumber = 0;
            while (true) {
                int nl = -1;
                for (int i = pos; i < limit; i++) {
                    if (buf[i] == '\n') {
                        nl = i;
                        break;
                    }
                }
                if (nl < 0) {
                    if (limit - pos > MAX_LINE + 1) {
                        throw new CorpusFormatException(lineNumber + 1, "longer than " + MAX_LINE + " characters");
                    }
                    if (eof) {
                        if (pos < limit) {
                            line(++lineNumber, pos, limit);
                        }
                        break;
                    }
                    fill();
                    continue;
                }
                line(++lineNumber, pos, nl);
                pos = nl + 1;
                if ((lineNumber & (PROGRESS_EVERY_LINES - 1)) == 0) {
                    progress.report(lineNumber, bytesRead - (limit - pos), kept);
                }
            }
            if (lines == 0) {
                throw new CorpusFormatException(1, firstBlankLine > 0 ? "no hashes, only blank lines" : "the input is empty");
            }
            progress.report(lineNumber, bytesRead, kept);
        }

        private void fill() throws IOException {
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                pos = 0;
            }
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
                bytesRead += n;
            }
        }

        private void line(long number, int start, int end) throws CorpusFormatException, IOException {
            if (end > start && buf[end - 1] == '\r') {
                end--;
            }
            int length = end - start;
            if (length == 0) {
                if (firstBlankLine == 0) {
                    firstBlankLine = number;
                }
                return;
            }
            if (firstBlankLine != 0) {
                throw new CorpusFormatException(firstBlankLine, "blank line (only allowed at the end of the file)");
            }
            if (length > MAX_LINE) {
                throw new CorpusFormatException(number, "longer than " + MAX_LINE + " characters");
            }
            long hi = 0;
            long mid = 0;
            int lo = 0;
            int bad = 0;
            if (length > 40) {
                for (int i = 0; i < 16; i++) {
                    int d = HEX[buf[start + i] & 0xff];
                    bad |= d;
                    hi = (hi << 4) | (d & 0xf);
                }
                for (int i = 16; i < 32; i++) {
                    int d = HEX[buf[start + i] & 0xff];
                    bad |= d;
                    mid = (mid << 4) | (d & 0xf);
                }
                for (int i = 32; i < 40; i++) {
                    int d = HEX[buf[start + i] & 0xff];
                    bad |= d;
                    lo = (lo << 4) | (d & 0xf);
                }
            }
            if (length <= 40 || bad < 0 || buf[start + 40] != ':') {
                throw new CorpusFormatException(number, diagnose(start, length));
            }
            int digits = length - 41;
            if (digits == 0) {
                throw new CorpusFormatException(number, "no count after ':'");
            }
            long count = 0;
            for (int i = start + 41; i < end; i++) {
                int d = buf[i] - '0';
                if (d < 0 || d > 9) {
                    throw new CorpusFormatException(number, "the count is not a decimal number");
                }
                count = count * 10 + d;
            }
            if (digits > 18) {
                throw new CorpusFormatException(number, "the count is too large");
            }
            if (lines > 0) {
                int order = Long.compareUnsigned(hi, prevHi);
                if (order == 0) {
                    order = Long.compareUnsigned(mid, prevMid);
                }
                if (order == 0) {
                    order = Integer.compareUnsigned(lo, prevLo);
                }
                if (order == 0) {
                    throw new CorpusFormatException(number, "duplicate of the hash on line " + previousLine);
                }
                if (order < 0) {
                    throw new CorpusFormatException(number, "not sorted: the hash sorts before the one on line "
                            + previousLine + " (the file must be sorted by hash, as HIBP's downloader writes it)");
                }
            }
            prevHi = hi;
            prevMid = mid;
            prevLo = lo;
            previousLine = number;
            lines++;
            if (count >= minCount) {
                kept++;
                writer.add(hi);
            }
        }

        /** Why a line is not 40 hex digits followed by ':' (without quoting it). */
        private String diagnose(int start, int length) {
            int hex = 0;
            while (hex < length && HEX[buf[start + hex] & 0xff] >= 0) {
                hex++;
            }
            if (hex < 40 && hex < length && buf[start + hex] != ':') {
                return "character " + (hex + 1) + " is not a hexadecimal digit (expected a 40-digit SHA-1, ':', a count)";
            }
            if (hex == 40) {
                return hex == length ? "missing ':' and count after the SHA-1" : "missing ':' after the 40-digit SHA-1";
            }
            return "the hash has " + hex + " hexadecimal digits instead of 40";
        }
    }
}
