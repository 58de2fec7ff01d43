package dev.sluice.core.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streams an NDJSON file line by line without holding it in memory, tracking the byte offset after each line so a
 * reader can resume there. Blank lines are not items. A line longer than the limit or not valid UTF-8 is still
 * returned, with an error code, so that no line is lost. Lines end with LF or CRLF; a UTF-8 byte-order mark at the
 * very start of the file (byte offset 0, as editors on Windows and Excel write it) is not part of the first line
 * (RFC 8259 §8.1 lets a parser ignore it); its bytes still count in the offsets.
 */
public final class NdjsonReader {
    public static final int MAX_LINE_BYTES = 64 * 1024;

    public record Line(String text, String errorCode, String errorReason, long endOffset) {
    }

    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private int pos;
    private int limit;
    private long offset;
    private byte[] line = new byte[1024];
    /** True until the first line has been read from byte offset 0: that line may start with a byte-order mark. */
    private boolean atFileStart;

    public NdjsonReader(InputStream in, long startOffset) {
        this.in = in;
        this.offset = startOffset;
        this.atFileStart = startOffset == 0;
    }

    /** Byte offset just after the last line returned. */
    public long offset() {
        return offset;
    }

    /** The next non-blank line, or null at the end of the stream. */
    public Line next() throws IOException {
        while (true) {
            int length = 0;
            boolean tooLong = false;
            boolean sawAny = false;
            long consumed = 0;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        break;
                    }
                }
                byte b = buffer[pos++];
                consumed++;
                sawAny = true;
                if (b == '\n') {
                    break;
                }
                if (length < MAX_LINE_BYTES) {
                    if (length == line.length) {
                        line = Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, line.length * 2));
                    }
                    line[length++] = b;
                } else {
                    tooLong = true;
                }
            }
            if (!sawAny) {
                return null;
            }
            offset += consumed;
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            int from = 0;
            if (atFileStart) {
                atFileStart = false;
                if (length >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
                    from = 3;
                }
            }
            if (tooLong) {
                return new Line(null, "item.line_too_long",
                        "the line is longer than " + MAX_LINE_BYTES + " bytes; keep each dataset line under 64 KiB",
                        offset);
            }
            if (isBlank(line, from, length)) {
                continue;
            }
            try {
                String text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(line, from, length - from)).toString();
                return new Line(text, null, null, offset);
            } catch (CharacterCodingException e) {
                return new Line(null, "item.invalid_utf8", "the line is not valid UTF-8; save the dataset as UTF-8",
                        offset);
            }
        }
    }

    private static boolean isBlank(byte[] bytes, int from, int length) {
        for (int i = from; i < length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
