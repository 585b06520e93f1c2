package io.keycloaksentinel.authenticators.breach.index;

import static io.keycloaksentinel.authenticators.breach.index.Corpora.corpus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CorpusValidationTest {

    private static final String A = "000000005AD76BD555C1D6D771DE417A4B87E4B4";
    private static final String B = "00000000A8DAE4228F821FB418F59826079BF368";
    private static final String C = "00000000DD7F2A1C68A35673713783CA390C9E93";

    @TempDir
    Path dir;

    /** Lines A, B, C (valid, sorted) with line {@code at} (1-based) replaced by {@code bad}. */
    private static String withLine(int at, String bad) {
        List<String> lines = new ArrayList<>(List.of(A + ":3", B + ":1", C + ":12"));
        lines.set(at - 1, bad);
        return String.join("\n", lines) + "\n";
    }

    private void assertRejected(String text, long line, String reason) throws Exception {
        Path out = dir.resolve("out.idx");
        assertThatThrownBy(() -> Corpora.convert(text, out))
                .isInstanceOfSatisfying(CorpusFormatException.class, e -> {
                    assertThat(e.lineNumber()).isEqualTo(line);
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.getMessage()).startsWith("line " + line + ": ");
                    // the line's content is never echoed
                    assertThat(e.getMessage()).doesNotContain("5AD76BD5", "A8DAE422", "DD7F2A1C", "XYZ");
                });
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no index and no temporary file left").isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "bad hex digit                  | 2 | 0000000XYZDAE4228F821FB418F59826079BF368:1 | character 8 is not a hexadecimal digit",
            "hash too short                 | 2 | 00000000A8DAE4228F821FB418F59826079BF36:1  | 39 hexadecimal digits instead of 40",
            "hash too long                  | 2 | 00000000A8DAE4228F821FB418F59826079BF3680:1 | 41 hexadecimal digits instead of 40",
            "missing colon                  | 2 | 00000000A8DAE4228F821FB418F59826079BF368 1 | missing ':' after the 40-digit SHA-1",
            "hash only                      | 2 | 00000000A8DAE4228F821FB418F59826079BF368   | missing ':' and count",
            "missing count                  | 2 | 00000000A8DAE4228F821FB418F59826079BF368:  | no count after ':'",
            "count not a number             | 2 | 00000000A8DAE4228F821FB418F59826079BF368:1x | the count is not a decimal number",
            "negative count                 | 2 | 00000000A8DAE4228F821FB418F59826079BF368:-1 | the count is not a decimal number",
            "count with a space             | 2 | 00000000A8DAE4228F821FB418F59826079BF368:1 2 | the count is not a decimal number",
            "count too large                | 2 | 00000000A8DAE4228F821FB418F59826079BF368:1234567890123456789 | the count is too large",
            "a word                         | 3 | XYZ                                        | character 1 is not a hexadecimal digit",
            "line too long                  | 3 | 00000000DD7F2A1C68A35673713783CA390C9E93:1234567890123456789012345678 | longer than 64 characters",
            "duplicate                      | 3 | 00000000A8DAE4228F821FB418F59826079BF368:5 | duplicate of the hash on line 2",
            "unsorted                       | 3 | 000000005AD76BD555C1D6D771DE417A4B87E4B5:5 | not sorted: the hash sorts before the one on line 2",
            "unsorted in the last hex digit | 2 | 000000005AD76BD555C1D6D771DE417A4B87E4B3:5 | not sorted: the hash sorts before the one on line 1",
    })
    @DisplayName("A malformed, unsorted or duplicate line stops the conversion with its number and a short reason")
    void badLine(String what, int line, String bad, String reason) throws Exception {
        assertRejected(withLine(line, bad), line, reason);
    }

    @Test
    @DisplayName("A very long line (no newline for megabytes) is refused without reading it into memory")
    void endlessLine() throws Exception {
        assertRejected(withLine(1, A + ":3") + "F".repeat(3_000_000), 4, "longer than 64 characters");
    }

    @Test
    @DisplayName("A blank line before more hashes is refused at the blank line; blank lines only at the end are fine")
    void blankLine() throws Exception {
        assertRejected(A + ":3\n\n" + B + ":1\n", 2, "blank line");
        assertRejected(A + ":3\r\n\r\n" + B + ":1\r\n", 2, "blank line");
        assertThat(Corpora.convert(A + ":3\n" + B + ":1\n\n\n", dir.resolve("ok.idx")).lines()).isEqualTo(2);
    }

    @Test
    @DisplayName("An empty input, or one of blank lines only, is refused")
    void emptyInput() throws Exception {
        assertRejected("", 1, "the input is empty");
        assertRejected("\n\n", 1, "no hashes");
    }

    @Test
    @DisplayName("Lower-case hex is read as HIBP's upper case; mixed files must still be sorted by value")
    void lowerCase() throws Exception {
        String text = A.toLowerCase() + ":1\n" + B + ":2\n" + C.toLowerCase() + ":3\n";
        Path out = dir.resolve("lower.idx");
        Corpora.convert(text, out);
        try (HibpIndex idx = HibpIndex.open(out)) {
            assertThat(idx.contains(java.util.HexFormat.of().parseHex(C))).isTrue();
        }
    }

    @Test
    @DisplayName("The first bad line is reported even deep into a large file (line numbers count across buffer refills)")
    void lineNumbersAcrossBuffers() throws Exception {
        List<String> lines = new ArrayList<>(corpus().hashes(Corpora.randomHashes(5, 60_000)).lines());
        lines.set(54_321, lines.get(54_321).replace(':', ';'));
        assertRejected(String.join("\r\n", lines), 54_322, "missing ':'");
    }
}
