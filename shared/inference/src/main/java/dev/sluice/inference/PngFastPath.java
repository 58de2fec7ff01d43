package dev.sluice.inference;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes the common PNG case straight to RGB: 8 or 16 bits per sample, greyscale / RGB / grey+alpha / RGBA, not
 * interlaced. ImageIO's PNG reader spends about 10 ms on a 600x400 photo building a BufferedImage; inflating and
 * unfiltering the rows directly takes a fraction of that. Values are the stored samples, as Pillow returns them;
 * 16-bit samples by their high byte (Pillow's rule for 16-bit PNGs). Every other PNG (palette, 1/2/4-bit,
 * interlaced) goes to ImageIO.
 */
final class PngFastPath {
    private static final long SIGNATURE = 0x89504E470D0A1A0AL;

    private PngFastPath() {
    }

    static boolean isPng(byte[] bytes) {
        return bytes.length > 8 && ByteBuffer.wrap(bytes).getLong() == SIGNATURE;
    }

    /** The image, or null when this PNG needs the general decoder. */
    static RgbImage decode(byte[] bytes) throws ImageDecoder.NotAnImageException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        in.position(8);
        int width = 0;
        int height = 0;
        int channels = 0;
        int bytesPerSample = 1;
        ByteArrayOutputStream idat = new ByteArrayOutputStream(bytes.length);
        boolean ended = false;
        while (in.remaining() >= 12) {
            int length = in.getInt();
            int type = in.getInt();
            if (length < 0 || length > in.remaining() - 4) {
                throw corrupt("a chunk runs past the end of the file");
            }
            int start = in.position();
            switch (type) {
                case 0x49484452 -> { // IHDR
                    width = in.getInt();
                    height = in.getInt();
                    int bitDepth = in.get() & 0xff;
                    int colorType = in.get() & 0xff;
                    int compression = in.get() & 0xff;
                    int filter = in.get() & 0xff;
                    int interlace = in.get() & 0xff;
                    channels = switch (colorType) {
                        case 0 -> 1;
                        case 2 -> 3;
                        case 4 -> 2;
                        case 6 -> 4;
                        default -> 0;
                    };
                    bytesPerSample = bitDepth / 8;
                    if ((bitDepth != 8 && bitDepth != 16) || channels == 0 || compression != 0 || filter != 0 || interlace != 0
                            || width <= 0 || height <= 0) {
                        return null;
                    }
                    if ((long) width * height > ImageDecoder.MAX_PIXELS) {
                        throw new ImageDecoder.NotAnImageException("process.too_many_pixels: the image has "
                                + (long) width * height + " pixels; the limit is " + ImageDecoder.MAX_PIXELS);
                    }
                    if ((long) width * height > ImageDecoder.FULL_DECODE_PIXELS) {
                        return null; // decoded subsampled by ImageIO, in bounded memory
                    }
                }
                case 0x504C5445 -> { // PLTE in a colour image is only a suggestion; in a palette image we returned
                }
                case 0x49444154 -> idat.write(bytes, start, length); // IDAT
                case 0x49454E44 -> ended = true; // IEND
                default -> {
                }
            }
            in.position(start + length + 4); // skip data and CRC
            if (ended) {
                break;
            }
        }
        if (channels == 0) {
            return null;
        }
        if (!ended) {
            throw corrupt("the file ends before its IEND chunk (truncated)");
        }
        long stride = (long) width * channels * bytesPerSample;
        return unfilter(inflate(idat.toByteArray(), height * (1 + stride)), width, height, channels, bytesPerSample);
    }

    private static byte[] inflate(byte[] zlib, long expected) throws ImageDecoder.NotAnImageException {
        if (expected > Integer.MAX_VALUE - 16) {
            throw corrupt("the image is too large");
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            byte[] out = new byte[(int) expected];
            int n = 0;
            while (n < out.length) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != out.length) {
                throw corrupt("the compressed image data ends early (truncated)");
            }
            return out;
        } catch (DataFormatException e) {
            throw corrupt("the compressed image data is damaged: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    private static RgbImage unfilter(byte[] data, int width, int height, int channels, int bytesPerSample)
            throws ImageDecoder.NotAnImageException {
        int pixelBytes = channels * bytesPerSample; // PNG filters work on bytes, "bpp" = bytes per whole pixel
        int stride = width * pixelBytes;
        byte[] prev = new byte[stride];
        byte[] row = new byte[stride];
        byte[] rgb = new byte[width * height * 3];
        int pos = 0;
        for (int y = 0; y < height; y++) {
            int filter = data[pos++];
            System.arraycopy(data, pos, row, 0, stride);
            pos += stride;
            switch (filter) {
                case 0 -> {
                }
                case 1 -> {
                    for (int i = pixelBytes; i < stride; i++) {
                        row[i] += row[i - pixelBytes];
                    }
                }
                case 2 -> {
                    for (int i = 0; i < stride; i++) {
                        row[i] += prev[i];
                    }
                }
                case 3 -> {
                    for (int i = 0; i < stride; i++) {
                        int left = i >= pixelBytes ? row[i - pixelBytes] & 0xff : 0;
                        row[i] += (byte) ((left + (prev[i] & 0xff)) >>> 1);
                    }
                }
                case 4 -> {
                    for (int i = 0; i < stride; i++) {
                        int a = i >= pixelBytes ? row[i - pixelBytes] & 0xff : 0;
                        int b = prev[i] & 0xff;
                        int c = i >= pixelBytes ? prev[i - pixelBytes] & 0xff : 0;
                        int p = a + b - c;
                        int pa = Math.abs(p - a);
                        int pb = Math.abs(p - b);
                        int pc = Math.abs(p - c);
                        row[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                    }
                }
                default -> throw corrupt("row " + y + " has an unknown filter type " + filter);
            }
            int o = y * width * 3;
            int sb = bytesPerSample; // big-endian samples: the first byte of each is the high byte
            if (channels >= 3) {
                for (int x = 0, i = 0; x < width; x++, i += pixelBytes, o += 3) {
                    rgb[o] = row[i];
                    rgb[o + 1] = row[i + sb];
                    rgb[o + 2] = row[i + 2 * sb];
                }
            } else {
                for (int x = 0, i = 0; x < width; x++, i += pixelBytes, o += 3) {
                    rgb[o] = row[i];
                    rgb[o + 1] = row[i];
                    rgb[o + 2] = row[i];
                }
            }
            byte[] t = prev;
            prev = row;
            row = t;
        }
        return new RgbImage(width, height, rgb);
    }

    private static ImageDecoder.NotAnImageException corrupt(String why) {
        return new ImageDecoder.NotAnImageException("process.corrupt_image: " + why);
    }
}
