package dev.sluice.tables;

import dev.sluice.execution.FolderStore;

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

    /**
     * Where a file's text first fails to decode: "the file is not UTF-8: line L (byte B of the file, 0xE9) …", the
     * error a read that met a {@link java.nio.charset.CharacterCodingException} reports (line and byte from 1, the
     * byte-order mark counted). The file is read again in 64 KiB chunks, in constant memory.
     */
    static IOException notText(FolderStore.Source file, java.nio.charset.CharacterCodingException cause) {
        try (InputStream in = new java.io.BufferedInputStream(file.from(0))) {
            byte[] head = in.readNBytes(3);
            Charset charset = StandardCharsets.UTF_8;
            int skip = 0;
            if (head.length >= 3 && head[0] == (byte) 0xEF && head[1] == (byte) 0xBB && head[2] == (byte) 0xBF) {
                skip = 3;
            } else if (head.length >= 2 && (head[0] == (byte) 0xFF && head[1] == (byte) 0xFE
                    || head[0] == (byte) 0xFE && head[1] == (byte) 0xFF)) {
                charset = head[0] == (byte) 0xFF ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_16BE;
                skip = 2;
            }
            var decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(64 * 1024 + 8);
            bytes.put(head, skip, head.length - skip);
            java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(64 * 1024 + 8);
            long offset = skip; // the file offset of bytes' first byte
            long line = 1;
            byte[] chunk = new byte[64 * 1024];
            boolean end = false;
            while (true) {
                int n = end ? -1 : in.read(chunk, 0, Math.min(chunk.length, bytes.remaining()));
                if (n < 0) {
                    end = true;
                } else {
                    bytes.put(chunk, 0, n);
                }
                bytes.flip();
                int start = bytes.position();
                var result = decoder.decode(bytes, chars, end);
                for (int i = start; i < bytes.position(); i++) {
                    if (bytes.get(i) == '\n') {
                        line++;
                    }
                }
                if (result.isError()) {
                    long at = offset + bytes.position();
                    return new IOException("the file is not " + charset.name().replace("UTF-16LE", "UTF-16")
                            .replace("UTF-16BE", "UTF-16") + ": line " + line + ", byte " + (at + 1) + " of the file"
                            + " (0x" + String.format("%02X", bytes.get(bytes.position()) & 0xFF) + ") is not valid "
                            + charset.name() + "; save the file as UTF-8 (Excel: \"CSV UTF-8\")", cause);
                }
                offset += bytes.position();
                bytes.compact();
                chars.clear();
                if (end && result.isUnderflow()) {
                    return new IOException("the file is not valid " + charset.name() + ": " + cause.getMessage(), cause);
                }
            }
        } catch (IOException e) {
            return new IOException("the file is not valid text: " + cause.getMessage(), cause);
        }
    }

    static BufferedReader reader(FolderStore.Source file) throws IOException {
        InputStream raw = file.from(0);
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
