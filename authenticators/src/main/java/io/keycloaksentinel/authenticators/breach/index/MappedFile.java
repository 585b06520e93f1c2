package io.keycloaksentinel.authenticators.breach.index;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * A read-only file mapped in chunks of 2^shift bytes (one MappedByteBuffer holds at most 2 GB on
 * Java 17). Each chunk also maps the first {@link #OVERLAP} bytes of the next one, so a read of
 * up to 8 bytes never crosses a buffer boundary. Reads are absolute and thread-safe.
 */
final class MappedFile {

    /** 1 GiB chunks. */
    static final int DEFAULT_CHUNK_SHIFT = 30;
    static final int OVERLAP = 16;

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method method = null;
        Object unsafe = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            method = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // unmapping is then left to the garbage collector
            method = null;
            unsafe = null;
        }
        INVOKE_CLEANER = method;
        UNSAFE = unsafe;
    }

    private final MappedByteBuffer[] chunks;
    private final int shift;
    private final long mask;
    private final long size;

    MappedFile(FileChannel channel, long size, int shift) throws IOException {
        if (shift < 6 || shift > 30) {
            throw new IllegalArgumentException("chunk shift " + shift);
        }
        this.shift = shift;
        this.mask = (1L << shift) - 1;
        this.size = size;
        int count = (int) ((size + mask) >>> shift);
        chunks = new MappedByteBuffer[count];
        for (int i = 0; i < count; i++) {
            long start = (long) i << shift;
            long length = Math.min(size - start, (1L << shift) + OVERLAP);
            chunks[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
            chunks[i].order(ByteOrder.BIG_ENDIAN);
        }
    }

    long size() {
        return size;
    }

    /** The 8 bytes at pos, big-endian; pos + 8 must not exceed the size. */
    long getLong(long pos) {
        return chunks[(int) (pos >>> shift)].getLong((int) (pos & mask));
    }

    int getInt(long pos) {
        return chunks[(int) (pos >>> shift)].getInt((int) (pos & mask));
    }

    void get(long pos, byte[] into) {
        for (int i = 0; i < into.length; i++) {
            into[i] = chunks[(int) ((pos + i) >>> shift)].get((int) ((pos + i) & mask));
        }
    }

    /** CRC32C of the bytes [from, to). Reads every page of that range. */
    int crc32c(long from, long to) {
        CRC32C crc = new CRC32C();
        for (int i = (int) (from >>> shift); i < chunks.length; i++) {
            long chunkStart = (long) i << shift;
            long start = Math.max(from, chunkStart);
            long end = Math.min(to, chunkStart + (1L << shift));
            if (start >= end) {
                break;
            }
            ByteBuffer slice = chunks[i].duplicate();
            slice.limit((int) (end - chunkStart)).position((int) (start - chunkStart));
            crc.update(slice);
        }
        return (int) crc.getValue();
    }

    /**
     * Unmaps now when the JDK allows it (frees the address space and, for a replaced file, its
     * disk blocks); otherwise the garbage collector does it later. No read may follow or run
     * concurrently: the caller guarantees that.
     */
    void unmap() {
        for (int i = 0; i < chunks.length; i++) {
            MappedByteBuffer chunk = chunks[i];
            chunks[i] = null;
            if (chunk != null && INVOKE_CLEANER != null) {
                try {
                    INVOKE_CLEANER.invoke(UNSAFE, chunk);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // left to the garbage collector
                }
            }
        }
    }
}
