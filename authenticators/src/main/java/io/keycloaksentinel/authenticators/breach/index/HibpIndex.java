package io.keycloaksentinel.authenticators.breach.index;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read-only, memory-mapped index of the Have I Been Pwned Pwned Passwords corpus, written by
 * {@link HibpIndexConverter} (format: {@link IndexLayout}). Nothing per entry lives on the heap:
 * a lookup reads one bucket-table slot pair and binary-searches the bucket's bit-packed
 * fingerprints in the mapped file.
 *
 * <p>{@link #open} validates the whole file (header, size, CRC32C of the body, bucket table)
 * before returning, so it reads every page once. {@link #contains} is thread-safe and allocates
 * nothing. {@link #close} unmaps the file once no lookup is running; a lookup after close
 * throws {@link IllegalStateException}.
 */
public final class HibpIndex implements AutoCloseable {

    /**
     * What an index holds.
     *
     * @param falsePositiveRate the probability that a password not in the corpus is reported as
     *     listed: entries / 2^(bucketBits + fingerprintBits)
     */
    public record Info(Path path, long entries, long minCount, Instant createdAt, long fileBytes, int bucketBits,
            int fingerprintBits, double falsePositiveRate) {

        public double bytesPerEntry() {
            return entries == 0 ? 0 : (double) fileBytes / entries;
        }

        public double averageBucketEntries() {
            return entries / Math.pow(2, bucketBits);
        }
    }

    private static final int CLOSED = Integer.MIN_VALUE;

    private final MappedFile file;
    private final Info info;
    private final long entries;
    private final int bucketBits;
    private final int fingerprintBits;
    private final int offsetWidth;
    private final long dataStart;
    private final long tableStart;
    /** Lookups in progress; the sign bit is set once closed. */
    private final AtomicInteger users = new AtomicInteger();

    private HibpIndex(MappedFile file, IndexLayout.Header header, Path path) {
        this.file = file;
        this.entries = header.entries();
        this.bucketBits = header.bucketBits();
        this.fingerprintBits = header.fingerprintBits();
        this.offsetWidth = header.offsetWidth();
        this.dataStart = IndexLayout.HEADER_BYTES;
        this.tableStart = dataStart + header.dataBytes();
        this.info = new Info(path, entries, header.minCount(), Instant.ofEpochMilli(header.createdAtMillis()),
                header.fileBytes(), bucketBits, fingerprintBits,
                IndexLayout.falsePositiveRate(entries, bucketBits, fingerprintBits));
    }

    /** Opens and fully validates an index file. */
    public static HibpIndex open(Path path) throws IndexFormatException, IOException {
        return open(path, MappedFile.DEFAULT_CHUNK_SHIFT);
    }

    static HibpIndex open(Path path, int chunkShift) throws IndexFormatException, IOException {
        if (Files.isDirectory(path)) {
            throw new IndexFormatException(path + ": is a directory, not an index file");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            byte[] headerBytes = new byte[IndexLayout.HEADER_BYTES];
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(headerBytes);
            while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
                // read the header
            }
            IndexLayout.Header header;
            try {
                header = IndexLayout.Header.decode(headerBytes, size);
            } catch (IndexFormatException e) {
                throw new IndexFormatException(path + ": " + e.getMessage());
            }
            // the mapping stays valid after the channel is closed
            MappedFile mapped = new MappedFile(channel, size, chunkShift);
            HibpIndex index = new HibpIndex(mapped, header, path);
            try {
                index.validateBody(header);
            } catch (IndexFormatException e) {
                index.close();
                throw new IndexFormatException(path + ": " + e.getMessage());
            }
            return index;
        } catch (NoSuchFileException e) {
            throw new IndexFormatException(path + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IndexFormatException(path + ": permission denied");
        }
    }

    private void validateBody(IndexLayout.Header header) throws IndexFormatException {
        int crc = file.crc32c(IndexLayout.HEADER_BYTES, header.fileBytes());
        if (crc != header.bodyCrc()) {
            throw new IndexFormatException(String.format("the file is corrupt (body checksum %08x, the header says %08x)",
                    crc, header.bodyCrc()));
        }
        long buckets = 1L << bucketBits;
        long previous = offset(0);
        if (previous != 0) {
            throw new IndexFormatException("the bucket table is inconsistent (bucket 0 does not start at entry 0)");
        }
        for (long b = 1; b <= buckets; b++) {
            long start = offset(b);
            if (start < previous) {
                throw new IndexFormatException("the bucket table is inconsistent (bucket " + b + " starts before bucket " + (b - 1) + ")");
            }
            previous = start;
        }
        if (previous != entries) {
            throw new IndexFormatException("the bucket table is inconsistent (it ends at entry " + previous + " of " + entries + ")");
        }
    }

    public Info info() {
        return info;
    }

    /**
     * Whether the corpus holds this SHA-1 (of a password's UTF-8 bytes), up to the false-positive
     * rate of {@link Info#falsePositiveRate()}.
     *
     * @throws IllegalArgumentException unless sha1 has 20 bytes
     * @throws IllegalStateException after {@link #close()}
     */
    public boolean contains(byte[] sha1) {
        long top = top64(sha1);
        int result = probe(top);
        if (result < 0) {
            throw new IllegalStateException("the index is closed");
        }
        return result == 1;
    }

    static long top64(byte[] sha1) {
        if (sha1 == null || sha1.length != 20) {
            throw new IllegalArgumentException("a SHA-1 has 20 bytes");
        }
        long top = 0;
        for (int i = 0; i < 8; i++) {
            top = (top << 8) | (sha1[i] & 0xff);
        }
        return top;
    }

    /** 1 listed, 0 not listed, -1 closed. */
    int probe(long top64) {
        if (!acquire()) {
            return -1;
        }
        try {
            return containsTop64(top64) ? 1 : 0;
        } finally {
            release();
        }
    }

    private boolean containsTop64(long top) {
        long bucket = bucketBits == 0 ? 0 : top >>> (64 - bucketBits);
        long fingerprint = (top << bucketBits) >>> (64 - fingerprintBits);
        long lo = offset(bucket);
        long hi = offset(bucket + 1);
        if (hi > entries || lo > hi) {
            return false; // only if the file changed under the mapping; validated at open
        }
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            long value = entry(mid);
            if (value < fingerprint) {
                lo = mid + 1;
            } else if (value > fingerprint) {
                hi = mid;
            } else {
                return true;
            }
        }
        return false;
    }

    long offset(long bucket) {
        return offsetWidth == 4
                ? file.getInt(tableStart + bucket * 4) & 0xFFFF_FFFFL
                : file.getLong(tableStart + bucket * 8);
    }

    long entry(long i) {
        long bit = i * fingerprintBits;
        long word = file.getLong(dataStart + (bit >>> 3));
        return (word << (bit & 7)) >>> (64 - fingerprintBits);
    }

    long entries() {
        return entries;
    }

    int bucketBits() {
        return bucketBits;
    }

    int fingerprintBits() {
        return fingerprintBits;
    }

    private boolean acquire() {
        while (true) {
            int current = users.get();
            if (current < 0) {
                return false;
            }
            if (users.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private void release() {
        if (users.decrementAndGet() == CLOSED) {
            file.unmap();
        }
    }

    /** Unmaps the file as soon as no lookup is running. Idempotent. */
    @Override
    public void close() {
        while (true) {
            int current = users.get();
            if (current < 0) {
                return;
            }
            if (users.compareAndSet(current, current | CLOSED)) {
                if (current == 0) {
                    file.unmap();
                }
                return;
            }
        }
    }
}
