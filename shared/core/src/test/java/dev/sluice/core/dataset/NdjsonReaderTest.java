package dev.sluice.core.dataset;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class NdjsonReaderTest {
    static List<NdjsonReader.Line> all(byte[] bytes, long offset) throws IOException {
        NdjsonReader reader = new NdjsonReader(new ByteArrayInputStream(bytes, (int) offset, bytes.length), offset);
        List<NdjsonReader.Line> lines = new ArrayList<>();
        NdjsonReader.Line line;
        while ((line = reader.next()) != null) {
            lines.add(line);
        }
        return lines;
    }

    @Test
    void blankLinesAreNotItems_crlfAndMissingFinalNewlineAreFine() throws IOException {
        List<NdjsonReader.Line> lines = all("a\r\n\n   \nb\nc".getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(List.of("a", "b", "c"), lines.stream().map(NdjsonReader.Line::text).toList());
    }

    @Test
    void resumingAtAReturnedOffset_readsTheRestExactly() throws IOException {
        byte[] bytes = "first\nsecond\nthird\n".getBytes(StandardCharsets.UTF_8);
        long afterFirst = all(bytes, 0).get(0).endOffset();
        assertEquals(List.of("second", "third"), all(bytes, afterFirst).stream().map(NdjsonReader.Line::text).toList());
    }

    @Test
    void overlongAndInvalidUtf8Lines_areReturnedWithAnErrorNotDropped() throws IOException {
        byte[] longLine = "x".repeat(NdjsonReader.MAX_LINE_BYTES + 10).getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[longLine.length + 6];
        System.arraycopy(longLine, 0, bytes, 0, longLine.length);
        bytes[longLine.length] = '\n';
        bytes[longLine.length + 1] = (byte) 0xC3;
        bytes[longLine.length + 2] = (byte) 0x28;
        bytes[longLine.length + 3] = '\n';
        bytes[longLine.length + 4] = 'o';
        bytes[longLine.length + 5] = 'k';
        List<NdjsonReader.Line> lines = all(bytes, 0);
        assertEquals(3, lines.size());
        assertEquals("item.line_too_long", lines.get(0).errorCode());
        assertEquals("item.invalid_utf8", lines.get(1).errorCode());
        assertNull(lines.get(2).errorCode());
        assertEquals(bytes.length, lines.get(2).endOffset());
    }

    /** cases/dataset-bom-crlf (see its README): a UTF-8 byte-order mark, CRLF line ends, a blank last line. */
    @Test
    void aDatasetSavedWithAByteOrderMarkAndCrlf_hasEveryItem_andTheMarkIsNotPartOfLineZero() throws IOException {
        byte[] bytes;
        try (var in = NdjsonReaderTest.class.getResourceAsStream("/cases/dataset-bom-crlf/photos.ndjson")) {
            bytes = in.readAllBytes();
        }
        assertEquals((byte) 0xEF, bytes[0]);
        List<NdjsonReader.Line> lines = all(bytes, 0);
        assertEquals(3, lines.size());
        ItemParser parser = new ItemParser(true);
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            assertNull(lines.get(i).errorCode(), "line " + i);
            ItemParser.Result parsed = parser.parse(i, lines.get(i));
            assertNull(parsed.errorCode(), "line " + i + ": " + parsed.errorReason());
            urls.add(parsed.item().url());
        }
        assertEquals('{', lines.get(0).text().charAt(0));
        assertEquals(List.of("file:///PHOTOS/goldfish.jpg", "file:///PHOTOS/coffee.png", "file:///PHOTOS/pineapple.png"), urls);
        assertEquals(bytes.length, lines.get(2).endOffset() + 2, "the offsets count the mark's bytes and each CRLF");
    }

    @Test
    void aByteOrderMarkIsSkippedOnlyAtTheStartOfTheFile() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] bytes = ("x\n" + new String(bom, StandardCharsets.UTF_8) + "y\n").getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[bytes.length + 3];
        System.arraycopy(bom, 0, withBom, 0, 3);
        System.arraycopy(bytes, 0, withBom, 3, bytes.length);
        List<NdjsonReader.Line> lines = all(withBom, 0);
        assertEquals("x", lines.get(0).text());
        assertEquals("\uFEFFy", lines.get(1).text(), "a mark inside the file is text, as RFC 8259 says");
        // resuming mid-file never strips anything
        assertEquals("\uFEFFy", all(withBom, lines.get(0).endOffset()).get(0).text());
    }
}
