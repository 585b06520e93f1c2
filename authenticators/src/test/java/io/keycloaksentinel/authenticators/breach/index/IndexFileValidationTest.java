package io.keycloaksentinel.authenticators.breach.index;

import static io.keycloaksentinel.authenticators.breach.index.Corpora.corpus;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IndexFileValidationTest {

    @TempDir
    Path dir;
    private Path file;
    private byte[] valid;

    @BeforeEach
    void writeIndex() throws Exception {
        file = dir.resolve("pwned.idx");
        Corpora.convert(corpus().passwords(Corpora.passwords("p", 5_000)).text(), file);
        valid = Files.readAllBytes(file);
    }

    private void assertInvalid(byte[] content, String message) throws Exception {
        Files.write(file, content);
        assertThatThrownBy(() -> HibpIndex.open(file))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageStartingWith(file.toString() + ": ")
                .hasMessageContaining(message);
    }

    @Test
    @DisplayName("A missing file, a directory: a clear error naming the file")
    void missing() {
        assertThatThrownBy(() -> HibpIndex.open(dir.resolve("nope.idx")))
                .isInstanceOf(IndexFormatException.class).hasMessageEndingWith("nope.idx: no such file");
        assertThatThrownBy(() -> HibpIndex.open(dir))
                .isInstanceOf(IndexFormatException.class).hasMessageContaining("is a directory");
    }

    @Test
    @DisplayName("An empty file, a file shorter than the header")
    void emptyAndShort() throws Exception {
        assertInvalid(new byte[0], "the file is empty");
        assertInvalid(java.util.Arrays.copyOf(valid, 40), "too short to be an index (40 bytes)");
    }

    @Test
    @DisplayName("A truncated file, and one with bytes after the end, are detected by their size before any checksum")
    void truncatedOrLonger() throws Exception {
        assertInvalid(java.util.Arrays.copyOf(valid, valid.length - 1), "the file is truncated");
        assertInvalid(java.util.Arrays.copyOf(valid, 100), "the file is truncated");
        assertInvalid(java.util.Arrays.copyOf(valid, valid.length + 3), "3 unexpected bytes after the end");
    }

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {64, 100, 5_000, -8, -1})
    @DisplayName("One flipped bit anywhere in the body (data or bucket table) fails the checksum")
    void flippedBodyByte(int at) throws Exception {
        byte[] corrupt = valid.clone();
        int index = at >= 0 ? at : corrupt.length + at;
        corrupt[index] ^= 0x10;
        assertInvalid(corrupt, "the file is corrupt (body checksum");
    }

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {16, 24, 25, 26, 33, 47, 50, 56, 60})
    @DisplayName("One flipped bit in the header (entries, layout, min count, lengths, checksums) is detected")
    void flippedHeaderByte(int at) throws Exception {
        byte[] corrupt = valid.clone();
        corrupt[at] ^= 0x01;
        assertInvalid(corrupt, "the header is corrupt (header checksum mismatch)");
    }

    @Test
    @DisplayName("Not an index at all: wrong magic number")
    void wrongMagic() throws Exception {
        byte[] corrupt = valid.clone();
        corrupt[0] = 'X';
        assertInvalid(corrupt, "not a Sentinel HIBP index (wrong magic number)");
        assertInvalid("000000005AD76BD555C1D6D771DE417A4B87E4B4:3\n00000000A8DAE4228F821FB418F59826079BF368:1\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII), "wrong magic number");
    }

    @Test
    @DisplayName("Another format version: says which, and to rebuild")
    void otherVersion() throws Exception {
        byte[] corrupt = valid.clone();
        ByteBuffer.wrap(corrupt).putInt(8, 2);
        assertInvalid(corrupt, "index format version 2 is not supported (this Sentinel reads version 1)");
    }

    @Test
    @DisplayName("A header that is consistent with its checksum but not with the file's layout is refused")
    void inconsistentHeader() throws Exception {
        // a header claiming one more entry, with a correct header checksum
        IndexLayout.Header h = IndexLayout.Header.decode(java.util.Arrays.copyOf(valid, 64), valid.length);
        IndexLayout.Header bad = new IndexLayout.Header(h.version(), h.entries() + 100_000, h.bucketBits(),
                h.fingerprintBits(), h.offsetWidth(), h.minCount(), h.createdAtMillis(), h.bodyLength(), h.bodyCrc());
        byte[] corrupt = valid.clone();
        System.arraycopy(bad.encode(), 0, corrupt, 0, 64);
        assertInvalid(corrupt, "the header is inconsistent (body length");
    }

    @Test
    @DisplayName("A bucket table that does not add up is refused even with a matching checksum")
    void inconsistentTable() throws Exception {
        IndexLayout.Header h = IndexLayout.Header.decode(java.util.Arrays.copyOf(valid, 64), valid.length);
        byte[] corrupt = valid.clone();
        long tableStart = 64 + h.dataBytes();
        // bucket 1 starts at a huge entry number
        ByteBuffer.wrap(corrupt).putInt((int) tableStart + 4, 0x7fff_ffff);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(corrupt, 64, corrupt.length - 64);
        IndexLayout.Header fixed = new IndexLayout.Header(h.version(), h.entries(), h.bucketBits(), h.fingerprintBits(),
                h.offsetWidth(), h.minCount(), h.createdAtMillis(), h.bodyLength(), (int) crc.getValue());
        System.arraycopy(fixed.encode(), 0, corrupt, 0, 64);
        assertInvalid(corrupt, "the bucket table is inconsistent");
    }
}
