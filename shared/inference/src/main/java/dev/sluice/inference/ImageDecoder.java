package dev.sluice.inference;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import dev.sluice.core.model.Model;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Decodes image bytes to 8-bit RGB as Pillow's {@code Image.open(f).convert("RGB")} does: alpha dropped, greyscale
 * replicated, palettes looked up, 16-bit samples by their high byte (Pillow's rule for 16-bit colour; applied to
 * 16-bit grey too, where Pillow's convert clips), CMYK by Pillow's formula {@code R = (255-C)(255-K)/255} on the ink
 * values: a CMYK JPEG's samples are read as Adobe-inverted (Pillow's "CMYK;I" for every CMYK JPEG), a CMYK TIFF's as
 * ink (0 = no ink). Embedded colour profiles are ignored on every path, as Pillow's {@code convert("RGB")} does (a
 * JPEG's ICC segments are dropped before decoding, {@link JpegSegments}); a Motion-JPEG frame without Huffman tables
 * gets the standard ones. Then the EXIF orientation (1-8) is applied unless the
 * model turns it off, so the picture is upright as a viewer shows it (Pillow's {@code ImageOps.exif_transpose}).
 *
 * <p>Formats and decoders: JPEG (baseline, extended, progressive; grey, YCbCr, RGB, CMYK, YCCK) by TwelveMonkeys'
 * JPEG plugin over the JDK's libjpeg; arithmetic-coded JPEG, and reduced ("fast", or over the full-decode limit)
 * decoding of grey/YCbCr JPEGs, by libjpeg-turbo ({@link TurboJpeg}); PNG (every bit depth and colour type, interlaced) by {@link PngFastPath} for
 * non-interlaced 8/16-bit grey/RGB(A), otherwise the JDK; WebP (lossy, lossless, alpha) and TIFF (none, LZW,
 * Deflate, PackBits, JPEG) by TwelveMonkeys; GIF (first frame) and BMP by the JDK. Anything else, including
 * lossless and hierarchical JPEG (and arithmetic-coded JPEG where libjpeg-turbo cannot load), fails with
 * {@code process.unsupported_format: <format found>}; bytes of no known format with {@code process.not_an_image}.
 *
 * <p>Memory: a header over {@link #MAX_PIXELS} is refused before decoding ({@code process.too_many_pixels}). An image
 * over {@link #FULL_DECODE_PIXELS} is decoded reduced by the first of 2, 4, 8 that brings it under the limit
 * (a grey/YCbCr JPEG DCT-scaled by libjpeg-turbo; others subsampled by ImageIO: every 2nd, 4th or 8th pixel of every
 * such row), so a 90 MP photo takes about 3 bytes per kept pixel; a progressive JPEG that large is refused (libjpeg
 * buffers all its coefficients: 6 bytes per pixel).
 */
public final class ImageDecoder {
    /** Pixels a header may declare (width x height); more is {@code process.too_many_pixels}. */
    public static final long MAX_PIXELS = 100_000_000L;
    /** Pixels decoded at full size; larger images are decoded subsampled. 24 MP: a 24 MP camera photo is exact. */
    public static final long FULL_DECODE_PIXELS = 24_000_000L;

    public static final class NotAnImageException extends Exception {
        public NotAnImageException(String message) {
            super(message);
        }
    }

    /**
     * How to decode for one model.
     *
     * @param applyExifOrientation turn the picture upright by its EXIF orientation (default true)
     * @param fast                 decode a large JPEG reduced by 2, 4 or 8 (as Pillow's {@code draft()}) when the
     *                             reduced image still covers {@code minShortSide} x {@code minLongSide}
     * @param minShortSide         the short side the preprocessing needs (classification: resizeShortSide)
     * @param minLongSide          the long side the preprocessing needs (detection: inputSize)
     */
    public record Options(boolean applyExifOrientation, boolean fast, int minShortSide, int minLongSide) {
        /** Orientation applied, full-size pixels: what a caller without a model gets. */
        public static final Options DEFAULT = new Options(true, false, 0, 0);

        /**
         * The options a model's preprocess asks for ({@code applyExifOrientation}, {@code decode}, the side its task
         * resizes to).
         *
         * @throws IllegalArgumentException for a model that is not an image model
         */
        public static Options of(Model model) {
            try {
                return ImageTask.of(model).decoding();
            } catch (ImageTask.NotAnImageModel e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
    }

    private ImageDecoder() {
    }

    public static RgbImage decode(byte[] bytes) throws NotAnImageException {
        return decode(bytes, Options.DEFAULT);
    }

    public static RgbImage decode(byte[] bytes, Options options) throws NotAnImageException {
        Format format = Format.sniff(bytes);
        byte[] original = bytes;
        if (format == Format.JPEG) {
            bytes = JpegSegments.forDecoding(bytes);
        }
        RgbImage image = null;
        if (format == Format.PNG) {
            image = PngFastPath.decode(bytes);
        }
        if (image == null) {
            image = decodeWithImageIO(bytes, format, options);
        }
        if (options.applyExifOrientation() && format == Format.JPEG) {
            image = Orientation.apply(image, exifOrientation(original));
        }
        return image;
    }

    /** The formats Sluice decodes, told from their first bytes. */
    enum Format {
        JPEG, PNG, GIF, BMP, TIFF, WEBP;

        static Format sniff(byte[] b) throws NotAnImageException {
            if (starts(b, 0, 0xFF, 0xD8, 0xFF)) {
                return JPEG;
            }
            if (PngFastPath.isPng(b)) {
                return PNG;
            }
            if (ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a")) {
                return GIF;
            }
            if (ascii(b, 0, "BM") && b.length > 26) {
                return BMP;
            }
            if (starts(b, 0, 'I', 'I', 42, 0) || starts(b, 0, 'M', 'M', 0, 42)) {
                return TIFF;
            }
            if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
                return WEBP;
            }
            String other = otherFormat(b);
            if (other != null) {
                throw new NotAnImageException("process.unsupported_format: " + other + " images are not supported; "
                        + "send JPEG, PNG, WebP, GIF, BMP or TIFF");
            }
            throw new NotAnImageException("process.not_an_image: the bytes are not an image of a known format"
                    + " (JPEG, PNG, WebP, GIF, BMP, TIFF)");
        }

        /** Image formats recognised by their signature but not decoded: named in the failure. */
        private static String otherFormat(byte[] b) {
            if (ascii(b, 4, "ftyp") && b.length >= 12) {
                String brand = new String(b, 8, 4, StandardCharsets.US_ASCII);
                return switch (brand) {
                    case "avif", "avis" -> "AVIF";
                    case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1" -> "HEIF/HEIC";
                    default -> null;
                };
            }
            if (starts(b, 0, 0xFF, 0x0A) || starts(b, 0, 0, 0, 0, 0x0C, 'J', 'X', 'L', ' ')) {
                return "JPEG XL";
            }
            if (starts(b, 0, 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ') || starts(b, 0, 0xFF, 0x4F, 0xFF, 0x51)) {
                return "JPEG 2000";
            }
            if (ascii(b, 0, "8BPS")) {
                return "Photoshop (PSD)";
            }
            if (starts(b, 0, 0, 0, 1, 0) && b.length > 6) {
                return "ICO";
            }
            if (ascii(b, 0, "qoif")) {
                return "QOI";
            }
            if (ascii(b, 0, "%PDF")) {
                return "PDF";
            }
            if (b.length > 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' && Character.isWhitespace(b[2])) {
                return "PNM (PBM/PGM/PPM)";
            }
            return null;
        }

        private static boolean starts(byte[] b, int at, int... sig) {
            if (b.length < at + sig.length) {
                return false;
            }
            for (int i = 0; i < sig.length; i++) {
                if ((b[at + i] & 0xff) != sig[i]) {
                    return false;
                }
            }
            return true;
        }

        private static boolean ascii(byte[] b, int at, String s) {
            return starts(b, at, s.chars().toArray());
        }
    }

    /** The general path: the format's ImageIO reader; kept package-visible for the PNG fast-path test. */
    static RgbImage decodeWithImageIO(byte[] bytes) throws NotAnImageException {
        return decodeWithImageIO(bytes, Format.sniff(bytes), Options.DEFAULT);
    }

    private static RgbImage decodeWithImageIO(byte[] bytes, Format format, Options options) throws NotAnImageException {
        JpegFrame frame = format == Format.JPEG ? JpegFrame.of(bytes) : null;
        if (frame != null) {
            RgbImage turbo = decodeWithTurbo(bytes, frame, options);
            if (turbo != null) {
                return turbo;
            }
        }
        if (frame != null && frame.unsupported() != null) {
            throw new NotAnImageException("process.unsupported_format: " + frame.unsupported() + " is not supported"
                    + " (no libjpeg-turbo on this platform, and the JDK's decoder has none); re-encode it as a"
                    + " baseline or progressive JPEG");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = reader(in, format);
            try {
                StringBuilder warnings = new StringBuilder();
                reader.addIIOReadWarningListener((source, warning) -> {
                    // colour-profile warnings are harmless here: profiles are ignored, as Pillow's convert does
                    String w = warning.toLowerCase(Locale.ROOT);
                    if (!w.contains("icc") && !w.contains("color profile") && !w.contains("colour profile")) {
                        warnings.append(warning).append("; ");
                    }
                });
                reader.setInput(in, true, false);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                long pixels = (long) width * height;
                if (pixels > MAX_PIXELS) {
                    throw new NotAnImageException("process.too_many_pixels: the image has " + pixels
                            + " pixels; the limit is " + MAX_PIXELS);
                }
                ImageReadParam param = reader.getDefaultReadParam();
                int step = subsampling(width, height, frame, options);
                if (pixels > FULL_DECODE_PIXELS && frame != null && frame.progressive()) {
                    throw new NotAnImageException("process.too_many_pixels: a progressive JPEG of " + pixels
                            + " pixels; progressive JPEGs are decoded up to " + FULL_DECODE_PIXELS + " pixels");
                }
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                boolean cmyk = frame != null && frame.components() == 4;
                if (cmyk) {
                    param.setDestinationType(cmykType(reader));
                }
                BufferedImage image = reader.read(0, param);
                if (!warnings.isEmpty()) {
                    throw new NotAnImageException("process.corrupt_image: " + warnings.toString().trim());
                }
                return toRgb(image, format == Format.JPEG).reducedFrom(width, height);
            } finally {
                reader.dispose();
            }
        } catch (NotAnImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new NotAnImageException("process.corrupt_image: the " + format + " image could not be decoded ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    /**
     * The subsampling step: 1, or the JPEG reduction of "fast" decoding, or what brings a huge image under
     * {@link #FULL_DECODE_PIXELS}, whichever is larger.
     */
    static int subsampling(int width, int height, JpegFrame frame, Options options) {
        int step = fastScale(width, height, frame, options);
        while ((long) (width / step) * (height / step) > FULL_DECODE_PIXELS && step < 8) {
            step *= 2;
        }
        return step;
    }

    /** Pillow's draft rule: the largest of 2, 4, 8 whose reduced picture still covers the target; 1 when exact. */
    static int fastScale(int width, int height, JpegFrame frame, Options options) {
        int step = 1;
        if (options.fast() && frame != null) {
            int shortSide = Math.min(width, height);
            int longSide = Math.max(width, height);
            for (int s : new int[]{8, 4, 2}) {
                if (shortSide / s >= options.minShortSide() && longSide / s >= options.minLongSide()) {
                    step = s;
                    break;
                }
            }
        }
        return step;
    }

    /**
     * libjpeg-turbo's decode, where it is loaded and wanted: "fast" reduction, a JPEG too large to decode at full size
     * (DCT-scaled rather than subsampled), or arithmetic coding (which the JDK cannot decode). Three- and
     * one-component JPEGs only (CMYK/YCCK keep the JDK path and Pillow's CMYK formula); a file without its end
     * marker goes to the JDK decoder, which reports it truncated (libjpeg-turbo would hand back a grey-filled picture).
     */
    private static RgbImage decodeWithTurbo(byte[] bytes, JpegFrame frame, Options options) throws NotAnImageException {
        long pixels = (long) frame.width() * frame.height();
        if (pixels > MAX_PIXELS) {
            throw new NotAnImageException("process.too_many_pixels: the image has " + pixels + " pixels; the limit is "
                    + MAX_PIXELS);
        }
        boolean arithmetic = frame.unsupported() != null && frame.unsupported().startsWith("arithmetic");
        if ((frame.unsupported() != null && !arithmetic) || (frame.components() != 3 && frame.components() != 1)
                || !endsWithEoi(bytes)) {
            return null;
        }
        int scale = subsampling(frame.width(), frame.height(), frame, options);
        if (scale == 1 && !arithmetic) {
            return null; // the exact path: the JDK's libjpeg, bit-identical to the reference tensors
        }
        if (pixels > FULL_DECODE_PIXELS && frame.progressive()) {
            return null; // refused below: its coefficient buffer is full-size at any scale
        }
        if (!TurboJpeg.available()) {
            return null;
        }
        RgbImage image = TurboJpeg.decode(bytes, scale);
        if (image == null) {
            throw new NotAnImageException("process.corrupt_image: libjpeg-turbo could not decode this JPEG");
        }
        return image.reducedFrom(frame.width(), frame.height());
    }

    private static boolean endsWithEoi(byte[] b) {
        int end = b.length;
        while (end > 2 && b[end - 1] == 0) {
            end--;
        }
        return end >= 4 && (b[end - 2] & 0xff) == 0xFF && (b[end - 1] & 0xff) == 0xD9;
    }

    private static ImageReader reader(ImageInputStream in, Format format) throws NotAnImageException, IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String name = reader.getFormatName().toLowerCase(Locale.ROOT);
            boolean matches = switch (format) {
                case JPEG -> name.equals("jpeg") || name.equals("jpg");
                case PNG -> name.equals("png");
                case GIF -> name.equals("gif");
                case BMP -> name.equals("bmp");
                case TIFF -> name.equals("tiff") || name.equals("tif");
                case WEBP -> name.equals("webp");
            };
            if (matches) {
                return reader; // ImageIO orders TwelveMonkeys' JPEG reader before the JDK's
            }
            reader.dispose();
        }
        throw new NotAnImageException("process.corrupt_image: no " + format + " decoder accepts these bytes");
    }

    private static ImageTypeSpecifier cmykType(ImageReader reader) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        while (types.hasNext()) {
            ImageTypeSpecifier t = types.next();
            if (t.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK) {
                return t;
            }
        }
        throw new IOException("the JPEG reader offers no CMYK output for a four-component JPEG");
    }

    /** What the JPEG's frame header (SOFn) says: the coding process and the number of components. */
    record JpegFrame(boolean progressive, int components, String unsupported, int width, int height) {
        JpegFrame(boolean progressive, int components, String unsupported) {
            this(progressive, components, unsupported, 0, 0);
        }

        static JpegFrame of(byte[] b) throws NotAnImageException {
            int i = 2;
            while (i + 4 <= b.length) {
                if ((b[i] & 0xff) != 0xFF) {
                    throw new NotAnImageException("process.corrupt_image: the JPEG has no valid marker at byte " + i);
                }
                int marker = b[i + 1] & 0xff;
                if (marker == 0xFF) {
                    i++;
                    continue;
                }
                if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                    i += 2;
                    continue;
                }
                int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
                boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
                if (sof) {
                    int components = i + 9 < b.length ? b[i + 9] & 0xff : 0;
                    String unsupported = switch (marker) {
                        case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF -> "arithmetic-coded JPEG (SOF" + (marker - 0xC0) + ")";
                        case 0xC3, 0xC7 -> "lossless JPEG (SOF" + (marker - 0xC0) + ")";
                        case 0xC5, 0xC6 -> "hierarchical JPEG (SOF" + (marker - 0xC0) + ")";
                        default -> null;
                    };
                    int height = i + 9 <= b.length ? ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff) : 0;
                    int width = i + 9 <= b.length ? ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff) : 0;
                    boolean progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
                    return new JpegFrame(progressive, components, unsupported, width, height);
                }
                if (marker == 0xDA || marker == 0xD9) {
                    break;
                }
                i += 2 + length;
            }
            throw new NotAnImageException("process.corrupt_image: the JPEG has no frame header (SOF) before its data");
        }
    }

    /**
     * The EXIF orientation (1-8) of a JPEG's APP1 Exif segment; 1 when absent or unreadable. Read through in-memory
     * streams: {@code ImageIO.createImageInputStream} over an InputStream looks up a provider and, with ImageIO's
     * default cache, makes a temporary file per stream (two per photo here).
     */
    static int exifOrientation(byte[] jpeg) {
        try (ImageInputStream in = new com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream(jpeg)) {
            List<JPEGSegment> segments = JPEGSegmentUtil.readSegments(in, JPEG.APP1, "Exif");
            if (segments.isEmpty()) {
                return 1;
            }
            InputStream data = segments.get(0).data();
            data.read(); // the pad byte after "Exif\0"
            try (ImageInputStream tiff = new javax.imageio.stream.MemoryCacheImageInputStream(data)) {
                Directory ifd0 = new TIFFReader().read(tiff);
                Entry entry = ifd0.getEntryById(TIFF.TAG_ORIENTATION);
                if (entry != null && entry.getValue() instanceof Number n && n.intValue() >= 1 && n.intValue() <= 8) {
                    return n.intValue();
                }
            }
        } catch (IOException | RuntimeException e) {
            // a damaged EXIF block says nothing about orientation: the image is shown as stored, as viewers do
        }
        return 1;
    }

    /**
     * @param adobeCmyk the image is a JPEG: its CMYK samples are stored inverted (Adobe's convention, which Pillow
     *                  assumes for every CMYK JPEG); CMYK in any other container (TIFF) stores ink, 0 = no ink
     */
    static RgbImage toRgb(BufferedImage image, boolean adobeCmyk) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        switch (image.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int i = 0, j = 0; i < out.length; i += 3, j += 3) {
                    out[i] = src[j + 2];
                    out[i + 1] = src[j + 1];
                    out[i + 2] = src[j];
                }
            }
            case BufferedImage.TYPE_4BYTE_ABGR -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int i = 0, j = 0; i < out.length; i += 3, j += 4) {
                    out[i] = src[j + 3];
                    out[i + 1] = src[j + 2];
                    out[i + 2] = src[j + 1];
                }
            }
            case BufferedImage.TYPE_BYTE_GRAY -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int p = 0; p < w * h; p++) {
                    out[p * 3] = src[p];
                    out[p * 3 + 1] = src[p];
                    out[p * 3 + 2] = src[p];
                }
            }
            default -> fromRaster(image, out, adobeCmyk);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Any other layout, from the stored samples (never through getRGB, which colour-converts: linear 16-bit grey
     * reads much brighter that way): palettes looked up, samples scaled to 8 bits, CMYK by Pillow's formula.
     */
    private static void fromRaster(BufferedImage image, byte[] out, boolean adobeCmyk) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        var cm = image.getColorModel();
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] r = new byte[n];
            byte[] g = new byte[n];
            byte[] b = new byte[n];
            icm.getReds(r);
            icm.getGreens(g);
            icm.getBlues(b);
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    int i = Math.min(row[x], n - 1);
                    out[o] = r[i];
                    out[o + 1] = g[i];
                    out[o + 2] = b[i];
                }
            }
            return;
        }
        int colourSpace = cm.getColorSpace().getType();
        int[] bits = cm.getComponentSize();
        boolean packed = cm instanceof java.awt.image.DirectColorModel;
        if (!packed && (colourSpace == ColorSpace.TYPE_GRAY || colourSpace == ColorSpace.TYPE_RGB
                || colourSpace == ColorSpace.TYPE_CMYK)) {
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    int p = x * bands;
                    if (colourSpace == ColorSpace.TYPE_GRAY) {
                        byte v = (byte) to8(row[p], bits[0]);
                        out[o] = v;
                        out[o + 1] = v;
                        out[o + 2] = v;
                    } else if (colourSpace == ColorSpace.TYPE_RGB) {
                        out[o] = (byte) to8(row[p], bits[0]);
                        out[o + 1] = (byte) to8(row[p + 1], bits[1]);
                        out[o + 2] = (byte) to8(row[p + 2], bits[2]);
                    } else {
                        // Pillow's cmyk2rgb on the ink values C, K: nk = 255 - K; R = nk - C * nk / 255 (MULDIV255
                        // rounding). A JPEG reader gives the stored samples, Adobe-inverted (255 = no ink), as Pillow
                        // assumes for every CMYK JPEG ("CMYK;I"); a TIFF's samples are the ink itself (Pillow's "CMYK").
                        int nk = 255 - ink(to8(row[p + 3], bits[3]), adobeCmyk);
                        out[o] = (byte) (nk - mulDiv255(ink(to8(row[p], bits[0]), adobeCmyk), nk));
                        out[o + 1] = (byte) (nk - mulDiv255(ink(to8(row[p + 1], bits[1]), adobeCmyk), nk));
                        out[o + 2] = (byte) (nk - mulDiv255(ink(to8(row[p + 2], bits[2]), adobeCmyk), nk));
                    }
                }
            }
            return;
        }
        int[] argb = new int[w]; // packed 8-bit RGB (BMP, TYPE_INT_*): getRGB unpacks without conversion
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                out[o] = (byte) (argb[x] >> 16);
                out[o + 1] = (byte) (argb[x] >> 8);
                out[o + 2] = (byte) argb[x];
            }
        }
    }

    /** A sample of {@code bits} bits as 8 bits: the high byte of wider samples, replicated bits of narrower ones. */
    static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        return v * 255 / ((1 << bits) - 1);
    }

    /** The ink of an 8-bit CMYK sample: the sample itself, or 255 - it where stored Adobe-inverted. */
    private static int ink(int sample, boolean adobeInverted) {
        return adobeInverted ? 255 - sample : sample;
    }

    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }
}
