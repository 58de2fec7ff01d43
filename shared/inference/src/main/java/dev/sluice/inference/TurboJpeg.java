package dev.sluice.inference;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo (as built into OpenCV 4.11, bytedeco's JavaCPP build) for what the JDK's libjpeg cannot do:
 * DCT-domain reduced decoding (scale 1/2, 1/4, 1/8: {@code IMREAD_REDUCED_COLOR_n}, the libjpeg {@code scale_denom}
 * that Pillow's {@code draft()} uses) and arithmetic-coded JPEGs. EXIF orientation is left to the caller
 * ({@code IMREAD_IGNORE_ORIENTATION}). Loaded on first use; the natives (Linux x86-64) are unpacked into
 * {@code java.io.tmpdir}/javacpp (Lambda: /tmp, about 190 MB, several seconds once per container). Where they cannot
 * load, {@link #available()} is false and callers use the exact decoder.
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
                Loader.load(opencv_imgcodecs.class);
                return null;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError on other platforms
                LOG.warn("libjpeg-turbo (OpenCV) unavailable, decode \"fast\" uses the exact decoder: {}", e.toString());
                return String.valueOf(e);
            }
        }
    }

    static boolean available() {
        return Holder.FAILURE == null;
    }

    /**
     * Decodes a three- or one-component JPEG at 1/{@code scale} (1, 2, 4 or 8) to RGB, or null when libjpeg-turbo
     * reports it cannot (the caller then fails the item or tries the exact decoder).
     */
    static RgbImage decode(byte[] jpeg, int scale) {
        int flag = switch (scale) {
            case 1 -> opencv_imgcodecs.IMREAD_COLOR;
            case 2 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("scale " + scale);
        };
        try (BytePointer data = new BytePointer(jpeg);
             Mat buffer = new Mat(1, jpeg.length, opencv_core.CV_8UC1, data);
             Mat bgr = opencv_imgcodecs.imdecode(buffer, flag | opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION)) {
            if (bgr == null || bgr.empty() || bgr.channels() != 3 || bgr.depth() != opencv_core.CV_8U) {
                return null;
            }
            int w = bgr.cols();
            int h = bgr.rows();
            byte[] rgb = new byte[w * h * 3];
            Mat packed = bgr.isContinuous() ? bgr : bgr.clone();
            packed.data().get(rgb);
            for (int i = 0; i < rgb.length; i += 3) {
                byte b = rgb[i];
                rgb[i] = rgb[i + 2];
                rgb[i + 2] = b;
            }
            return new RgbImage(w, h, rgb);
        }
    }
}
