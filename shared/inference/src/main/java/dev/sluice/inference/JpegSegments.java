package dev.sluice.inference;

import javax.imageio.plugins.jpeg.JPEGHuffmanTable;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A JPEG's header segments made to decode as Pillow reads them, before any decoder sees the bytes:
 * <ul>
 *   <li>embedded ICC colour profiles (APP2 {@code ICC_PROFILE}) are dropped, so no decoder converts the samples:
 *   Pillow's {@code convert("RGB")} ignores profiles, and the exact path (TwelveMonkeys) would otherwise convert a
 *   ProPhoto or Adobe RGB photo to sRGB while the fast path does not (issue 21 item 3);</li>
 *   <li>a Huffman-coded JPEG with no DHT segment before its first scan (a Motion-JPEG webcam frame: AVI1/MJPEG leave
 *   the tables out) is given the standard tables of ITU T.81 Annex K.3 (DC/AC luminance as tables 0, chrominance as
 *   tables 1), which libjpeg-turbo, Pillow and browsers use for such frames (issue 21 item 7).</li>
 * </ul>
 * Everything else is kept byte for byte; a JPEG that needs neither change is returned as the same array.
 */
final class JpegSegments {
    private static final byte[] ICC_PROFILE = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);

    private JpegSegments() {
    }

    static byte[] forDecoding(byte[] b) {
        int i = 2;
        boolean huffman = false;
        boolean dht = false;
        boolean icc = false;
        int sos = -1;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xff) != 0xFF) {
                return b; // damaged: the decoder reports it
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                i += 2;
                continue;
            }
            if (marker == 0xDA) {
                sos = i;
                break;
            }
            if (marker == 0xD9) {
                return b;
            }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            huffman |= marker == 0xC0 || marker == 0xC1 || marker == 0xC2;
            dht |= marker == 0xC4;
            icc |= isIcc(b, i, length);
            i += 2 + length;
        }
        boolean addTables = sos > 0 && huffman && !dht;
        if (!icc && !addTables) {
            return b;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 440);
        out.write(b, 0, 2);
        i = 2;
        while (i < sos) {
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                out.write(0xFF);
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                out.write(b, i, 2);
                i += 2;
                continue;
            }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            if (!isIcc(b, i, length)) {
                out.write(b, i, Math.min(2 + length, b.length - i));
            }
            i += 2 + length;
        }
        if (addTables) {
            writeStandardTables(out);
        }
        out.write(b, sos, b.length - sos);
        return out.toByteArray();
    }

    private static boolean isIcc(byte[] b, int at, int length) {
        if ((b[at + 1] & 0xff) != 0xE2 || length < 2 + ICC_PROFILE.length || at + 4 + ICC_PROFILE.length > b.length) {
            return false;
        }
        for (int k = 0; k < ICC_PROFILE.length; k++) {
            if (b[at + 4 + k] != ICC_PROFILE[k]) {
                return false;
            }
        }
        return true;
    }

    /** One DHT segment with the four Annex K.3 tables (the JDK holds them as {@link JPEGHuffmanTable}'s constants). */
    private static void writeStandardTables(ByteArrayOutputStream out) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        table(body, 0x00, JPEGHuffmanTable.StdDCLuminance);
        table(body, 0x10, JPEGHuffmanTable.StdACLuminance);
        table(body, 0x01, JPEGHuffmanTable.StdDCChrominance);
        table(body, 0x11, JPEGHuffmanTable.StdACChrominance);
        int length = body.size() + 2;
        out.write(0xFF);
        out.write(0xC4);
        out.write(length >> 8);
        out.write(length & 0xff);
        out.writeBytes(body.toByteArray());
    }

    private static void table(ByteArrayOutputStream body, int classAndId, JPEGHuffmanTable table) {
        body.write(classAndId);
        for (short n : table.getLengths()) {
            body.write(n);
        }
        for (short v : table.getValues()) {
            body.write(v);
        }
    }
}
