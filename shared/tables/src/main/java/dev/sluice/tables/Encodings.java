package dev.sluice.tables;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Text files as editors and spreadsheets save them: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"
 * writes one), or UTF-16 with its mark (Excel's "Unicode text"); the mark is not part of the text. Bytes that are not
 * valid in the encoding fail the read (never replaced by U+FFFD).
 */
final class Encodings {
    private Encodings() {
    }

    static BufferedReader reader(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            PushbackInputStream in = new PushbackInputStream(raw, 3);
            byte[] head = new byte[3];
            int n = in.readNBytes(head, 0, 3);
            Charset charset = StandardCharsets.UTF_8;
            int skip = 0;
            if (n >= 3 && head[0] == (byte) 0xEF && head[1] == (byte) 0xBB && head[2] == (byte) 0xBF) {
                skip = 3;
            } else if (n >= 2 && head[0] == (byte) 0xFF && head[1] == (byte) 0xFE) {
                charset = StandardCharsets.UTF_16LE;
                skip = 2;
            } else if (n >= 2 && head[0] == (byte) 0xFE && head[1] == (byte) 0xFF) {
                charset = StandardCharsets.UTF_16BE;
                skip = 2;
            }
            if (n > skip) {
                in.unread(head, skip, n - skip);
            }
            return new BufferedReader(new InputStreamReader(in, charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
