package dev.sluice.inference;

import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.dataset.NdjsonReader;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs meant to break the decoder or the parser: each fails with a stable code, nothing crashes or hangs. */
class HostileInputsTest {
    static String failure(byte[] bytes) {
        return assertThrows(ImageDecoder.NotAnImageException.class, () -> ImageDecoder.decode(bytes)).getMessage();
    }

    @Test
    void zeroByteFile_isNotAnImage() {
        assertTrue(failure(new byte[0]).startsWith("process.not_an_image"));
    }

    @Test
    void decompressionBomb_isRefusedBeforeDecoding() {
        // a valid PNG header declaring 100,000 x 100,000 pixels: refused from the header, nothing is allocated
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(100_000).putInt(100_000).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        ByteBuffer png = ByteBuffer.allocate(8 + 12 + 13 + 12);
        png.putLong(0x89504E470D0A1A0AL).putInt(13).putInt(0x49484452).put(ihdr.array());
        CRC32 crc = new CRC32();
        crc.update(new byte[]{'I', 'H', 'D', 'R'});
        crc.update(ihdr.array());
        png.putInt((int) crc.getValue()).putInt(0).putInt(0x49454E44).putInt(0xAE426082);
        assertTrue(failure(png.array()).startsWith("process.too_many_pixels"), failure(png.array()));
    }

    @Test
    void truncatedAndCorruptFiles_failWithReasons() {
        byte[] jpeg = Samples.bytes(Samples.image("goldfish.jpg"));
        assertTrue(failure(Arrays.copyOf(jpeg, jpeg.length / 3)).startsWith("process.corrupt_image"));
        byte[] png = Samples.bytes(Samples.image("coffee.png"));
        byte[] damaged = png.clone();
        for (int i = 200; i < 4000; i++) {
            damaged[i] ^= 0x5a;
        }
        assertTrue(failure(damaged).startsWith("process."), failure(damaged));
    }

    @Test
    void gifAndBmp_decode_otherImageFormats_areUnsupportedNamingTheFormat() throws Exception {
        ByteArrayOutputStream gif = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "gif", gif);
        assertEquals(8, ImageDecoder.decode(gif.toByteArray()).width());
        ByteArrayOutputStream bmp = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "bmp", bmp);
        assertEquals(8, ImageDecoder.decode(bmp.toByteArray()).width());
        byte[] heic = new byte[64];
        System.arraycopy(new byte[]{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'}, 0, heic, 0, 12);
        assertEquals("process.unsupported_format: HEIF/HEIC images are not supported; send JPEG, PNG, WebP, GIF,"
                + " BMP or TIFF", failure(heic));
        heic[8] = 'a';
        heic[9] = 'v';
        heic[10] = 'i';
        heic[11] = 'f';
        assertTrue(failure(heic).startsWith("process.unsupported_format: AVIF"), failure(heic));
        assertTrue(failure("%PDF-1.7 ...".getBytes()).startsWith("process.unsupported_format: PDF"));
    }

    @Test
    void deeplyNestedJsonLine_isAMalformedLine_notAStackOverflow() {
        String nested = "{\"kind\":\"Image\",\"url\":\"https://example.com/a.jpg\",\"x\":" + "[".repeat(5000)
                + "]".repeat(5000) + "}";
        var result = new ItemParser(false).parse(0, new NdjsonReader.Line(nested, null, null, 0));
        assertEquals("item.malformed_json", result.errorCode(), result.errorReason());
    }

    @Test
    void animatedGif_decodesItsFirstFrame() throws Exception {
        ByteArrayOutputStream gif = new ByteArrayOutputStream();
        var writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (var out = ImageIO.createImageOutputStream(gif)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int frame = 0; frame < 3; frame++) {
                BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                image.setRGB(0, 0, frame == 0 ? 0xFF0000 : 0x00FF00);
                writer.writeToSequence(new javax.imageio.IIOImage(image, null, null), null);
            }
            writer.endWriteSequence();
        }
        RgbImage first = ImageDecoder.decode(gif.toByteArray());
        assertEquals(255, first.rgb()[0] & 0xff, "the first frame's red pixel");
        assertEquals(0, first.rgb()[1] & 0xff);
    }

    @Test
    void cmykJpeg_isDecodedOrRefusedWithACode_neverCrashes() throws Exception {
        // a four-channel (CMYK-style) JPEG, as print workflows write them
        var raster = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setPixel(x, y, new int[]{0, 255, 255, 0});
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        var writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (var out = ImageIO.createImageOutputStream(jpeg)) {
            writer.setOutput(out);
            writer.write(null, new javax.imageio.IIOImage(raster, null, null), null);
        }
        try {
            ImageDecoder.decode(jpeg.toByteArray());
        } catch (ImageDecoder.NotAnImageException e) {
            assertTrue(e.getMessage().matches("process\\.[a-z_]+: .+"), e.getMessage());
        }
    }
}
