package dev.sluice.inference;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes JPEG and PNG bytes to RGB: greyscale is replicated, alpha is dropped. Reading the raster directly keeps
 * the stored values (BufferedImage.getRGB would colour-convert greyscale). A truncated or corrupt file fails rather
 * than yielding a half-grey picture.
 */
public final class ImageDecoder {
    public static final long MAX_PIXELS = 100_000_000L;

    public static final class NotAnImageException extends Exception {
        public NotAnImageException(String message) {
            super(message);
        }
    }

    private ImageDecoder() {
    }

    public static RgbImage decode(byte[] bytes) throws NotAnImageException {
        if (PngFastPath.isPng(bytes)) {
            RgbImage image = PngFastPath.decode(bytes);
            if (image != null) {
                return image;
            }
        }
        return decodeWithImageIO(bytes);
    }

    /** The general path: any JPEG or PNG ImageIO reads. */
    static RgbImage decodeWithImageIO(byte[] bytes) throws NotAnImageException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new NotAnImageException("process.not_an_image: the bytes are not a JPEG or PNG image");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
            if (!format.equals("jpeg") && !format.equals("png")) {
                reader.dispose();
                throw new NotAnImageException("process.unsupported_format: " + format
                        + " images are not supported; send JPEG or PNG");
            }
            try {
                StringBuilder warnings = new StringBuilder();
                reader.addIIOReadWarningListener(new IIOReadWarningListener() {
                    @Override
                    public void warningOccurred(ImageReader source, String warning) {
                        warnings.append(warning).append("; ");
                    }
                });
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new NotAnImageException("process.too_many_pixels: the image has " + pixels
                            + " pixels; the limit is " + MAX_PIXELS);
                }
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new NotAnImageException("process.corrupt_image: " + warnings.toString().trim());
                }
                return toRgb(image);
            } finally {
                reader.dispose();
            }
        } catch (NotAnImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new NotAnImageException("process.corrupt_image: the image could not be decoded ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    static RgbImage toRgb(BufferedImage image) {
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
            default -> {
                int[] row = new int[w];
                for (int y = 0; y < h; y++) {
                    image.getRGB(0, y, w, 1, row, 0, w);
                    for (int x = 0; x < w; x++) {
                        int o = (y * w + x) * 3;
                        out[o] = (byte) (row[x] >> 16);
                        out[o + 1] = (byte) (row[x] >> 8);
                        out[o + 2] = (byte) row[x];
                    }
                }
            }
        }
        return new RgbImage(w, h, out);
    }
}
