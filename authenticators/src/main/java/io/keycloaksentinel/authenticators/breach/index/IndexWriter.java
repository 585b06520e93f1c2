package io.keycloaksentinel.authenticators.breach.index;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Streams sorted 64-bit SHA-1 prefixes into an index file (format: {@link IndexLayout}) in a
 * temporary file next to the target; nothing per entry is held in memory. The bucket table is
 * spooled to a second temporary file (8 bytes per bucket) and appended at the end. Prefixes that
 * are equal in their top k+s bits are stored once.
 */
final class IndexWriter implements Closeable {

    private static final int BUFFER_BYTES = 1 << 20;

    private final Path file;
    private final Path tableSpool;
    private final FileChannel out;
    private final DataOutputStream table;
    private final int bucketBits;
    private final int fingerprintBits;
    private final int keyShift;
    private final long minCount;
    private final long createdAtMillis;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    private final CRC32C crc = new CRC32C();

    private long entries;
    private long collapsed;
    private long nextBucket;
    private long previousKey = -1;
    private boolean hasPrevious;
    private long acc;
    private int accBits;
    private long dataBytesWritten;
    private boolean finished;

    /** Writes into a new temporary file in dir; {@link #finish()} returns it complete. */
    IndexWriter(Path dir, String prefix, int bucketBits, int fingerprintBits, long minCount, long createdAtMillis)
            throws IOException {
        if (bucketBits < 0 || bucketBits > IndexLayout.MAX_BUCKET_BITS || fingerprintBits < 1
                || fingerprintBits > IndexLayout.MAX_FINGERPRINT_BITS || bucketBits + fingerprintBits > 64) {
            throw new IllegalArgumentException("bucket bits " + bucketBits + ", fingerprint bits " + fingerprintBits);
        }
        this.bucketBits = bucketBits;
        this.fingerprintBits = fingerprintBits;
        this.keyShift = 64 - bucketBits - fingerprintBits;
        this.minCount = minCount;
        this.createdAtMillis = createdAtMillis;
        this.file = Files.createTempFile(dir, prefix, ".tmp");
        Path spool = null;
        FileChannel channel = null;
        try {
            spool = Files.createTempFile(dir, prefix, ".buckets.tmp");
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            channel.position(IndexLayout.HEADER_BYTES);
            this.table = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spool), BUFFER_BYTES));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            Files.deleteIfExists(file);
            if (spool != null) {
                Files.deleteIfExists(spool);
            }
            throw e;
        }
        this.tableSpool = spool;
        this.out = channel;
    }

    /** Adds the top 64 bits of a SHA-1; calls must come in ascending unsigned order. */
    void add(long top64) throws IOException {
        long key = keyShift == 64 ? 0 : top64 >>> keyShift;
        if (hasPrevious) {
            if (Long.compareUnsigned(key, previousKey) < 0) {
                throw new IllegalArgumentException("prefixes must be added in ascending order");
            }
            if (key == previousKey) {
                collapsed++;
                return;
            }
        }
        hasPrevious = true;
        previousKey = key;
        long bucket = bucketBits == 0 ? 0 : top64 >>> (64 - bucketBits);
        while (nextBucket <= bucket) {
            table.writeLong(entries);
            nextBucket++;
        }
        long fingerprint = (top64 << bucketBits) >>> (64 - fingerprintBits);
        appendBits(fingerprint, fingerprintBits);
        entries++;
    }

    private void appendBits(long value, int count) throws IOException {
        // acc holds accBits pending bits (right-aligned, fewer than 64); count <= 32
        int free = 64 - accBits;
        if (count < free) {
            acc = (acc << count) | value;
            accBits += count;
        } else {
            int rest = count - free;
            putLong((acc << free) | (value >>> rest));
            acc = value & ((1L << rest) - 1);
            accBits = rest;
        }
    }

    private void putLong(long word) throws IOException {
        if (buffer.remaining() < 8) {
            flushBuffer();
        }
        buffer.putLong(word);
        dataBytesWritten += 8;
    }

    private void putByte(byte b) throws IOException {
        if (!buffer.hasRemaining()) {
            flushBuffer();
        }
        buffer.put(b);
        dataBytesWritten++;
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        crc.update(buffer.array(), 0, buffer.limit());
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
    }

    long entries() {
        return entries;
    }

    long collapsed() {
        return collapsed;
    }

    /** Completes the file (data padding, bucket table, header), forces it to disk and returns it. */
    Path finish() throws IOException {
        if (accBits > 0) {
            long word = acc << (64 - accBits);
            for (int i = 0; i < (accBits + 7) / 8; i++) {
                putByte((byte) (word >>> (56 - 8 * i)));
            }
            accBits = 0;
        }
        long dataBytes = IndexLayout.dataBytes(entries, fingerprintBits);
        while (dataBytesWritten < dataBytes) {
            putByte((byte) 0);
        }
        long buckets = 1L << bucketBits;
        while (nextBucket <= buckets) {
            table.writeLong(entries);
            nextBucket++;
        }
        table.close();
        int width = IndexLayout.offsetWidthFor(entries);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(tableSpool), BUFFER_BYTES))) {
            for (long b = 0; b <= buckets; b++) {
                long start = in.readLong();
                if (buffer.remaining() < 8) {
                    flushBuffer();
                }
                if (width == 4) {
                    buffer.putInt((int) start);
                } else {
                    buffer.putLong(start);
                }
            }
        }
        flushBuffer();
        Files.deleteIfExists(tableSpool);
        long bodyLength = dataBytes + IndexLayout.tableBytes(bucketBits, width);
        IndexLayout.Header header = new IndexLayout.Header(IndexLayout.VERSION, entries, bucketBits, fingerprintBits,
                width, minCount, createdAtMillis, bodyLength, (int) crc.getValue());
        ByteBuffer head = ByteBuffer.wrap(header.encode());
        long at = 0;
        while (head.hasRemaining()) {
            at += out.write(head, at);
        }
        out.force(true);
        out.close();
        finished = true;
        return file;
    }

    /** Deletes the temporary files unless {@link #finish()} completed. */
    @Override
    public void close() throws IOException {
        if (out.isOpen()) {
            out.close();
        }
        table.close();
        Files.deleteIfExists(tableSpool);
        if (!finished) {
            Files.deleteIfExists(file);
        }
    }
}
