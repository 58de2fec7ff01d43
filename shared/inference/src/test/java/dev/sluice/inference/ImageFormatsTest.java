package dev.sluice.inference;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every image kind of resources/formats decodes to the pixels Pillow 12.3 gives (expected.tsv and the .rgb files
 * beside each fixture, made by make_fixtures.py there), within a tolerance per kind: lossless formats exactly; JPEG
 * within a few levels (Pillow's libjpeg-turbo and the JDK's libjpeg 6b differ in the last bits of upsampling and
 * IDCT rounding); lossy WebP within the difference of TwelveMonkeys' VP8 decoder from libwebp's fancy upsampling.
 */
class ImageFormatsTest {
    record Fixture(String file, int width, int height) {
        @Override
        public String toString() {
            return file;
        }
    }

    static byte[] resource(String path) {
        try (InputStream in = ImageFormatsTest.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Fixture> fixtures(String folder) {
        return new String(resource(folder + "/expected.tsv"), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("#") && !l.startsWith("file\t")).map(l -> l.split("\t"))
                .map(f -> new Fixture(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]))).toList();
    }

    static Stream<Fixture> decodable() {
        // arithmetic coding is decoded by libjpeg-turbo (TurboJpeg), loaded on Linux x86-64
        return fixtures("formats").stream().filter(f -> TurboJpeg.available() || !f.file.equals("jpeg_arithmetic.jpg"));
    }

    /** The largest difference allowed from Pillow's value of any sample, by kind. */
    static int tolerance(String file) {
        if (file.startsWith("jpeg_") || file.equals("tiff_jpeg.tif")) {
            return JPEG_TOLERANCE;
        }
        if (file.startsWith("webp_lossy")) {
            return WEBP_LOSSY_TOLERANCE;
        }
        return 0; // PNG, GIF, BMP, TIFF none/LZW/Deflate, lossless WebP: exact
    }

    /**
     * JPEG: both sides are libjpeg with the same islow IDCT and fancy upsampling, so the YCbCr, grey and CMYK fixtures
     * match exactly; the YCCK one differs by 1 at most (YCC to CMY rounding). Measured 2026-11-29.
     */
    static final int JPEG_TOLERANCE = 1;
    /**
     * Lossy WebP: TwelveMonkeys upsamples chroma by replication, libwebp by its "fancy" bilinear filter: measured max
     * 46 at colour edges, mean 3.4 per sample on these photos (2026-11-29). Checked as max <= 48 and mean <= 4.
     */
    static final int WEBP_LOSSY_TOLERANCE = 48;
    static final double WEBP_LOSSY_MEAN_TOLERANCE = 4.0;

    static int maxDiff(byte[] a, byte[] b) {
        assertEquals(a.length, b.length);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return max;
    }

    static double meanDiff(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return (double) sum / a.length;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decodable")
    void decodesToPillowsPixels(Fixture f) throws Exception {
        RgbImage image = ImageDecoder.decode(resource("formats/" + f.file));
        assertEquals(f.width, image.width(), "width");
        assertEquals(f.height, image.height(), "height");
        int diff = maxDiff(resource("formats/" + f.file + ".rgb"), image.rgb());
        if (f.file.startsWith("webp_lossy")) {
            double mean = meanDiff(resource("formats/" + f.file + ".rgb"), image.rgb());
            assertTrue(mean <= WEBP_LOSSY_MEAN_TOLERANCE, f.file + ": mean |difference| " + mean);
        }
        assertTrue(diff <= tolerance(f.file), f.file + ": max |difference| " + diff + " > " + tolerance(f.file));
    }

    @org.junit.jupiter.api.Test
    void arithmeticCodedJpeg_withoutLibjpegTurbo_isUnsupportedNamingTheCoding() {
        org.junit.jupiter.api.Assumptions.assumeFalse(TurboJpeg.available(), "libjpeg-turbo decodes it here");
        String reason = assertThrows(ImageDecoder.NotAnImageException.class,
                () -> ImageDecoder.decode(resource("formats/jpeg_arithmetic.jpg"))).getMessage();
        assertTrue(reason.startsWith("process.unsupported_format: arithmetic-coded JPEG (SOF9)"), reason);
    }
}
