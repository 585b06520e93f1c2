package io.keycloaksentinel.authenticators.breach.index;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The index file format, version 1. All integers big-endian.
 *
 * <pre>
 * offset size  field
 *      0    8  magic "KSHIBPIX"
 *      8    4  version (1)
 *     12    4  header length (64)
 *     16    8  entries n (distinct stored fingerprints)
 *     24    1  bucket bits k
 *     25    1  fingerprint bits s
 *     26    1  bucket offset width w (4, or 8 when n >= 2^32)
 *     27    5  reserved (0)
 *     32    8  min count (lines with a lower count were left out)
 *     40    8  created at (epoch milliseconds)
 *     48    8  body length
 *     56    4  CRC32C of the body
 *     60    4  CRC32C of bytes 0..59
 *     64       body:
 *                data: n fingerprints of s bits each, bit-packed from the most significant bit,
 *                      zero-padded to a multiple of 8 bytes, then 8 more zero bytes (so that a
 *                      reader can always load a whole 64-bit word)
 *                table: 2^k + 1 bucket start indexes (w bytes each); bucket b holds entries
 *                      [table[b], table[b+1]), sorted ascending; table[2^k] = n
 * </pre>
 *
 * Of a SHA-1, the top k bits choose the bucket and the next s bits are the fingerprint. A
 * password that is not in the corpus matches with probability n / 2^(k+s) (the stored
 * (k+s)-bit prefixes are distinct and SHA-1 is uniform), and k is chosen so that a bucket holds
 * 32 to 64 entries on average.
 */
final class IndexLayout {

    static final byte[] MAGIC = "KSHIBPIX".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 64;
    static final int DEFAULT_FINGERPRINT_BITS = 30;
    static final int MAX_FINGERPRINT_BITS = 32;
    static final int MAX_BUCKET_BITS = 32;
    /** k is the largest value with n / 2^k >= this (so buckets hold 32 to 64 entries on average). */
    static final int MIN_AVERAGE_BUCKET = 32;

    private IndexLayout() {
    }

    static int bucketBitsFor(long entries) {
        long buckets = entries / MIN_AVERAGE_BUCKET;
        if (buckets <= 1) {
            return 0;
        }
        return Math.min(MAX_BUCKET_BITS, 63 - Long.numberOfLeadingZeros(buckets));
    }

    static int offsetWidthFor(long entries) {
        return entries <= 0xFFFF_FFFFL ? 4 : 8;
    }

    static long dataBytes(long entries, int fingerprintBits) {
        long packed = (entries * fingerprintBits + 7) >>> 3;
        return ((packed + 7) & ~7L) + 8;
    }

    static long tableBytes(int bucketBits, int offsetWidth) {
        return ((1L << bucketBits) + 1) * offsetWidth;
    }

    /** The probability that a password not in the corpus is reported as listed. */
    static double falsePositiveRate(long entries, int bucketBits, int fingerprintBits) {
        return entries / Math.pow(2, bucketBits + fingerprintBits);
    }

    record Header(int version, long entries, int bucketBits, int fingerprintBits, int offsetWidth, long minCount,
            long createdAtMillis, long bodyLength, int bodyCrc) {

        long dataBytes() {
            return IndexLayout.dataBytes(entries, fingerprintBits);
        }

        long tableBytes() {
            return IndexLayout.tableBytes(bucketBits, offsetWidth);
        }

        long fileBytes() {
            return HEADER_BYTES + bodyLength;
        }

        byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
            b.put(MAGIC);
            b.putInt(version);
            b.putInt(HEADER_BYTES);
            b.putLong(entries);
            b.put((byte) bucketBits);
            b.put((byte) fingerprintBits);
            b.put((byte) offsetWidth);
            b.put(new byte[5]);
            b.putLong(minCount);
            b.putLong(createdAtMillis);
            b.putLong(bodyLength);
            b.putInt(bodyCrc);
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, 60);
            b.putInt((int) crc.getValue());
            return b.array();
        }

        /** Checks everything the header alone can tell; the body checksum is checked by the caller. */
        static Header decode(byte[] bytes, long fileSize) throws IndexFormatException {
            if (fileSize == 0) {
                throw new IndexFormatException("the file is empty");
            }
            if (fileSize < HEADER_BYTES) {
                throw new IndexFormatException("the file is too short to be an index (" + fileSize + " bytes)");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IndexFormatException("not a Sentinel HIBP index (wrong magic number)");
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new IndexFormatException("index format version " + Integer.toUnsignedString(version)
                        + " is not supported (this Sentinel reads version " + VERSION + "); rebuild it with this Sentinel's converter");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, 60);
            if ((int) crc.getValue() != ByteBuffer.wrap(bytes, 60, 4).getInt()) {
                throw new IndexFormatException("the header is corrupt (header checksum mismatch)");
            }
            int headerLength = b.getInt();
            long entries = b.getLong();
            int k = b.get() & 0xff;
            int s = b.get() & 0xff;
            int width = b.get() & 0xff;
            b.position(b.position() + 5);
            long minCount = b.getLong();
            long created = b.getLong();
            long bodyLength = b.getLong();
            int bodyCrc = b.getInt();
            if (headerLength != HEADER_BYTES || entries < 0 || k > MAX_BUCKET_BITS || s < 1 || s > MAX_FINGERPRINT_BITS
                    || width != offsetWidthFor(entries) || minCount < 0 || entries > (1L << 40)) {
                throw new IndexFormatException("the header is inconsistent (entries " + entries + ", bucket bits " + k
                        + ", fingerprint bits " + s + ", offset width " + width + ")");
            }
            Header h = new Header(version, entries, k, s, width, minCount, created, bodyLength, bodyCrc);
            if (bodyLength != h.dataBytes() + h.tableBytes()) {
                throw new IndexFormatException("the header is inconsistent (body length " + bodyLength + ", expected "
                        + (h.dataBytes() + h.tableBytes()) + ")");
            }
            if (fileSize < h.fileBytes()) {
                throw new IndexFormatException("the file is truncated (" + fileSize + " bytes, the header says "
                        + h.fileBytes() + ")");
            }
            if (fileSize > h.fileBytes()) {
                throw new IndexFormatException("the file has " + (fileSize - h.fileBytes())
                        + " unexpected bytes after the end of the index");
            }
            return h;
        }
    }
}
