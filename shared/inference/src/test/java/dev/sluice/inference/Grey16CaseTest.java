package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The shared case png-grey16 (resources/cases/png-grey16/README.md): a 16-bit greyscale PNG decodes to the pixels of
 * its 8-bit twin, on the fast path and on ImageIO's, and the classifier gives the same answer for both.
 */
class Grey16CaseTest {
    static final byte[] GREY16 = ImageFormatsTest.resource("cases/png-grey16/goldfish_gray16.png");
    static final byte[] GREY8 = ImageFormatsTest.resource("cases/png-grey16/goldfish_gray8.png");

    @Test
    void grey16_decodesToTheSamePixelsAsItsEightBitTwin() throws Exception {
        RgbImage eight = ImageDecoder.decode(GREY8);
        RgbImage fast = PngFastPath.decode(GREY16);
        assertNotNull(fast, "a non-interlaced 16-bit grey PNG takes the fast path");
        assertArrayEquals(eight.rgb(), fast.rgb());
        assertArrayEquals(eight.rgb(), ImageDecoder.decodeWithImageIO(GREY16).rgb(), "ImageIO's path agrees");
        assertArrayEquals(eight.rgb(), ImageDecoder.decode(GREY16).rgb());
        assertEquals(3, ImageDecoder.decode(GREY16).rgb()[firstSampleOf(eight, 3)] & 0xff, "a pixel 3 stays 3");
    }

    private static int firstSampleOf(RgbImage image, int value) {
        for (int i = 0; i < image.rgb().length; i++) {
            if ((image.rgb()[i] & 0xff) == value) {
                return i;
            }
        }
        throw new AssertionError("no sample " + value);
    }

    @SuppressWarnings("unchecked")
    @Test
    void grey16_isClassifiedAsItsEightBitTwin() {
        Model model = new Model("model_test", Model.OBJECT, "mobilenet", "proj_test", Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, Samples.imagenetLabels(),
                new Model.Status(Model.State.Ready, null, "sum", 1L, null), 0, 0);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.classifier()), 2)) {
            List<Predictor.Output> out = predictor.predict(model, List.of(new Predictor.Input(0, GREY8),
                    new Predictor.Input(1, GREY16)));
            Object eight = ((List<Map<String, Object>>) ((Map<String, Object>) out.get(0).prediction()).get("classes"));
            Object sixteen = ((List<Map<String, Object>>) ((Map<String, Object>) out.get(1).prediction()).get("classes"));
            assertEquals(eight, sixteen, "the same classes and scores");
        }
    }
}
