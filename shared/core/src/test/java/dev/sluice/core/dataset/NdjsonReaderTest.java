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
}
