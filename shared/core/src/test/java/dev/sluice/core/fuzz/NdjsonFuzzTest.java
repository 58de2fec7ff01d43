package dev.sluice.core.fuzz;

import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.dataset.NdjsonReader;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the dataset reader and item parser with hostile lines (random bytes, invalid UTF-8, deep nesting, lines
 * over the limit, odd JSON): they never throw and never hang, every non-blank line comes out exactly once, and each
 * is either an item or a failure with a stable code.
 */
class NdjsonFuzzTest {
    private static final ItemParser PARSER = new ItemParser(false);

    @Provide
    Arbitrary<List<byte[]>> lines() {
        return line().list().ofMaxSize(40);
    }

    Arbitrary<byte[]> line() {
        Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> item = Combinators.combine(
                        Arbitraries.of("Image", "Video", "", "image", "\u0000"),
                        Arbitraries.strings().ofMaxLength(80),
                        Arbitraries.strings().ofMaxLength(20))
                .as((kind, url, id) -> ("{\"kind\":\"" + escape(kind) + "\",\"url\":\"" + escape(url) + "\",\"id\":\""
                        + escape(id) + "\"}").getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> nested = Arbitraries.integers().between(1, 20_000)
                .map(depth -> ("{\"kind\":\"Image\",\"url\":" + "[".repeat(depth) + "]".repeat(depth) + "}")
                        .getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> tooLong = Arbitraries.integers().between(NdjsonReader.MAX_LINE_BYTES - 2, NdjsonReader.MAX_LINE_BYTES + 5000)
                .map(n -> ("{\"kind\":\"Image\",\"url\":\"https://example.com/" + "a".repeat(n) + "\"}").getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> valid = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(30)
                .map(s -> ("{\"kind\":\"Image\",\"url\":\"https://example.com/" + s + ".jpg\"}").getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> oddJson = Arbitraries.of("null", "[]", "{}", "\"text\"", "{\"kind\":1,\"url\":{}}", "{\"url\":null}",
                "\uFEFF{\"kind\":\"Image\",\"url\":\"https://example.com/a.jpg\"}", "{\"kind\":\"Image\",\"url\":\"https://x\",\"kind\":\"Video\"}",
                "   ", "\t\r").map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, randomBytes),
                net.jqwik.api.Tuple.of(3, item), net.jqwik.api.Tuple.of(1, nested), net.jqwik.api.Tuple.of(1, tooLong),
                net.jqwik.api.Tuple.of(3, valid), net.jqwik.api.Tuple.of(2, oddJson));
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r");
    }

    @Property(tries = 1000)
    void everyNonBlankLine_endsAsOneItemOrOneCodedFailure(@ForAll("lines") List<byte[]> lines, @ForAll boolean crlf)
            throws Exception {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        long expected = 0;
        for (byte[] line : lines) {
            // a line holding a newline splits in two: count what the reader will see
            int start = 0;
            for (int i = 0; i <= line.length; i++) {
                if (i == line.length || line[i] == '\n') {
                    expected += counts(line, start, i) ? 1 : 0;
                    start = i + 1;
                }
            }
            data.write(line);
            data.write(crlf ? "\r\n".getBytes(StandardCharsets.US_ASCII) : "\n".getBytes(StandardCharsets.US_ASCII));
        }
        NdjsonReader reader = new NdjsonReader(new ByteArrayInputStream(data.toByteArray()), 0);
        long index = 0;
        long lastOffset = 0;
        NdjsonReader.Line line;
        while ((line = reader.next()) != null) {
            assertTrue(line.endOffset() > lastOffset, "offsets move forward");
            lastOffset = line.endOffset();
            ItemParser.Result result = PARSER.parse(index++, line);
            assertTrue(result.ok() || (result.errorCode() != null && result.errorCode().matches("[a-z_]+\\.[a-z0-9_]+")),
                    "an item, or a failure with a stable code: " + result);
            if (result.ok()) {
                assertNotNull(result.item().url());
            }
        }
        assertEquals(expected, index, "every non-blank line exactly once");
        assertEquals(data.size(), reader.offset(), "the whole input was read");
    }

    /** As the reader decides: a line over the limit always counts; otherwise one with anything but blanks. */
    private static boolean counts(byte[] bytes, int from, int to) {
        int length = to - from;
        if (length > 0 && bytes[to - 1] == '\r') {
            length--;
        }
        if (to - from > NdjsonReader.MAX_LINE_BYTES) {
            return true;
        }
        for (int i = from; i < from + length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                return true;
            }
        }
        return false;
    }
}
