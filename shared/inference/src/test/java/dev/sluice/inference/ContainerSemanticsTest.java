package dev.sluice.inference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same words mean different things in different containers (issue 21 items 2, 3, 7): files written by
 * ImageMagick, Pillow and exiftool (resources/containers, make_fixtures.py there, versions in expected.tsv) decode to
 * Pillow's {@code convert("RGB")} pixels: CMYK TIFFs as ink (not Adobe-inverted as CMYK JPEGs), ProPhoto- and Adobe
 * RGB-tagged JPEGs with their profile ignored on the exact and the fast path alike, a Motion-JPEG frame without
 * Huffman tables with the standard tables.
 */
class ContainerSemanticsTest {
    static Stream<ImageFormatsTest.Fixture> fixtures() {
        return ImageFormatsTest.fixtures("containers").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void realToolsFiles_decodeToPillowsPixels_onTheExactPath(ImageFormatsTest.Fixture f) throws Exception {
        RgbImage image = ImageDecoder.decode(ImageFormatsTest.resource("containers/" + f.file()),
                new ImageDecoder.Options(true, false, 0, 0));
        assertEquals(f.width(), image.width(), "width");
        assertEquals(f.height(), image.height(), "height");
        int diff = ImageFormatsTest.maxDiff(ImageFormatsTest.resource("containers/" + f.file() + ".rgb"), image.rgb());
        int tolerance = f.file().endsWith(".jpg") ? ImageFormatsTest.JPEG_TOLERANCE : 0;
        assertTrue(diff <= tolerance, f.file() + ": max |difference| from Pillow " + diff + " > " + tolerance);
    }

    /** decode "fast" reduces the 160x120 photo by 2 for a short side of 60: still Pillow's draft pixels, profile ignored. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jpeg_prophoto.jpg", "jpeg_adobergb.jpg"})
    void taggedJpeg_onTheFastPath_isPillowsDraft_profileIgnored(String file) throws Exception {
        assumeTrue(TurboJpeg.available(), "reduced JPEG decoding needs libjpeg-turbo (Linux x86-64)");
        RgbImage image = ImageDecoder.decode(ImageFormatsTest.resource("containers/" + file),
                new ImageDecoder.Options(true, true, 60, 0));
        assertEquals(80, image.width());
        int diff = ImageFormatsTest.maxDiff(ImageFormatsTest.resource("containers/" + file + ".half.rgb"), image.rgb());
        assertTrue(diff <= ImageFormatsTest.JPEG_TOLERANCE, file + ": max |difference| from Pillow's draft " + diff);
    }

    /** Why the segments are changed: without it the exact path converts the profile and refuses the MJPEG frame. */
    @Test
    void withoutJpegSegments_theExactPathConvertsTheProfile_andRefusesTheFrame() throws Exception {
        byte[] tagged = ImageFormatsTest.resource("containers/jpeg_prophoto.jpg");
        int converted = ImageFormatsTest.maxDiff(ImageFormatsTest.resource("containers/jpeg_prophoto.jpg.rgb"),
                ImageDecoder.decodeWithImageIO(tagged).rgb());
        assertTrue(converted > 10, "TwelveMonkeys converts ProPhoto to sRGB when given the profile: " + converted);
        assertThrows(ImageDecoder.NotAnImageException.class, () -> ImageDecoder.decodeWithImageIO(
                ImageFormatsTest.resource("containers/jpeg_no_dht.jpg")));
    }

    @Test
    void jpegSegments_dropIccAndAddTablesOnlyWhereNeeded() {
        byte[] plain = ImageFormatsTest.resource("formats/jpeg_baseline420.jpg");
        assertEquals(plain, JpegSegments.forDecoding(plain), "nothing to change: the same array");
        byte[] tagged = ImageFormatsTest.resource("containers/jpeg_prophoto.jpg");
        byte[] stripped = JpegSegments.forDecoding(tagged);
        assertNotSame(tagged, stripped);
        assertTrue(stripped.length < tagged.length - 500, "the ROMM RGB profile is gone");
        byte[] frame = ImageFormatsTest.resource("containers/jpeg_no_dht.jpg");
        assertEquals(frame.length + 2 + 2 + 4 * 17 + 12 + 12 + 162 + 162, JpegSegments.forDecoding(frame).length,
                "one DHT segment with the four Annex K.3 tables");
    }
}
