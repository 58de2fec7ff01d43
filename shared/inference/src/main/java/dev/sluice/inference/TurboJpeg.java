package dev.sluice.inference;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.leptonica.PIX;
import org.bytedeco.leptonica.global.leptonica;

import java.nio.IntBuffer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo (3.0, with its SIMD code: SSE2/AVX2 IDCT, upsampling and colour conversion), as built into
 * Leptonica 1.85 (bytedeco's JavaCPP build, {@code pixReadMemJpeg}), for what the JDK's libjpeg cannot do: DCT-domain
 * reduced decoding (scale 1/2, 1/4, 1/8: the libjpeg {@code scale_denom} that Pillow's {@code draft()} uses, ISLOW
 * IDCT and fancy upsampling as Pillow's) and arithmetic-coded JPEGs. No colour profile or EXIF orientation is applied
 * (the caller applies orientation). Loaded on first use; the natives (Linux x86-64, 9.5 MB) are unpacked into
 * {@code java.io.tmpdir}/javacpp. Where they cannot load, {@link #available()} is false and callers use the exact
 * decoder.
 *
 * <p>Why Leptonica and not OpenCV's {@code imdecode} (used before, issue 26): bytedeco's OpenCV build compiles its
 * libjpeg-turbo without the SIMD code (no AVX2 instruction in it; its scalar IDCT and YCbCr conversion showed in a
 * {@code perf} profile), so it decoded the camera photos about 20 % slower than Pillow's libjpeg-turbo; Leptonica's
 * is built with it, gives the same pixels (compared on samples/large: identical), and is 4 MB of jar instead of
 * OpenCV + OpenBLAS's 50 MB.
 */
final class TurboJpeg {
    private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

    private TurboJpeg() {
    }

    private static final class Holder {
        static final String FAILURE = load();

        private static String load() {
            try {
                if (System.getProperty("org.bytedeco.javacpp.cachedir") == null) {
                    System.setProperty("org.bytedeco.javacpp.cachedir",
                            Path.of(System.getProperty("java.io.tmpdir"), "javacpp").toString());
                }
                Loader.load(leptonica.class);
                // a damaged JPEG comes back as null and fails its item with a code; Leptonica's own stderr lines
                // (one per warning) would only repeat it, for every item, in the function's log
                leptonica.setMsgSeverity(leptonica.L_SEVERITY_NONE);
                return null;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError on other platforms
                LOG.warn("libjpeg-turbo (Leptonica) unavailable, decode \"fast\" uses the exact decoder: {}", e.toString());
                return String.valueOf(e);
            }
        }
    }

    static boolean available() {
        return Holder.FAILURE == null;
    }

    /**
     * Decodes a three- or one-component JPEG at 1/{@code scale} (1, 2, 4 or 8) to RGB (grey replicated), or null when
     * libjpeg-turbo cannot decode it or reports damaged data (a warning: a corrupt segment, data after the end): the
     * caller then fails the item. The decoded picture is {@code ceil(width / scale) x ceil(height / scale)}.
     */
    static RgbImage decode(byte[] jpeg, int scale) {
        if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
            throw new IllegalArgumentException("scale " + scale);
        }
        int[] warnings = new int[1];
        // cmapflag 0 (no colour quantisation); hint 0: fail on the first warning of bad data
        PIX pix = leptonica.pixReadMemJpeg(jpeg, jpeg.length, 0, scale, warnings, 0);
        if (pix == null || pix.isNull()) {
            return null;
        }
        try {
            int w = leptonica.pixGetWidth(pix);
            int h = leptonica.pixGetHeight(pix);
            int depth = leptonica.pixGetDepth(pix);
            int wpl = leptonica.pixGetWpl(pix);
            if (warnings[0] > 0 || (depth != 32 && depth != 8) || leptonica.pixGetColormap(pix) != null) {
                return null;
            }
            // Leptonica's words hold a row's bytes big-endian (R G B A in a 32-bit pixel, pixel 0 in the high byte
            // of an 8-bit row's word): each row is read as native ints in one bulk copy, then unpacked
            IntBuffer words = leptonica.pixGetData(pix).capacity((long) wpl * h).asBuffer();
            byte[] rgb = new byte[w * h * 3];
            int[] line = new int[wpl];
            if (depth == 32) {
                for (int y = 0, o = 0; y < h; y++) {
                    words.get(y * wpl, line, 0, wpl);
                    for (int x = 0; x < w; x++, o += 3) {
                        int v = line[x];
                        rgb[o] = (byte) (v >>> 24);
                        rgb[o + 1] = (byte) (v >>> 16);
                        rgb[o + 2] = (byte) (v >>> 8);
                    }
                }
            } else {
                for (int y = 0, o = 0; y < h; y++) {
                    words.get(y * wpl, line, 0, wpl);
                    for (int x = 0; x < w; x++, o += 3) {
                        byte g = (byte) (line[x >> 2] >>> (24 - 8 * (x & 3)));
                        rgb[o] = g;
                        rgb[o + 1] = g;
                        rgb[o + 2] = g;
                    }
                }
            }
            return new RgbImage(w, h, rgb);
        } finally {
            leptonica.pixDestroy(pix);
        }
    }
}
