package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import dev.sluice.testing.ReferenceOrt;
import dev.sluice.testing.TensorProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared case jpeg-grey (resources/cases/jpeg-grey, make_case.py there; issue 26 item 4): a greyscale camera
 * photo made by ImageMagick's {@code -colorspace Gray} (a one-component JPEG) gives, on the exact path and on the
 * DCT-scaled fast path alike, the preprocessed tensor of Pillow's {@code convert("RGB")} (with {@code draft} for
 * fast) within ClassificationReferenceTest's 1e-6, and the top-1 that Python's ONNX Runtime gives for Pillow's tensor.
 */
class GreyJpegCaseTest {
    static final byte[] GREY = ImageFormatsTest.resource("cases/jpeg-grey/ladybird_gray.jpg");
    static OnnxPredictor predictor;

    @BeforeAll
    static void load() {
        predictor = new OnnxPredictor(m -> Samples.bytes(Samples.classifier()), 2);
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"exact", "fast"})
    @SuppressWarnings("unchecked")
    void greyJpeg_tensorAndTopOneArePillows(String decode) throws Exception {
        if ("fast".equals(decode)) {
            Assumptions.assumeTrue(TurboJpeg.available(), "reduced JPEG decoding needs libjpeg-turbo (Linux x86-64)");
        }
        Model model = LargePhotosTest.classifier(decode);
        float[] pillow = TensorProto.parse(ImageFormatsTest.resource("cases/jpeg-grey/" + decode + ".pb")).data();
        ClassificationPreprocessor pre = new ClassificationPreprocessor(Model.Preprocess.IMAGENET);
        float[] ours = new float[pre.floatsPerItem()];
        RgbImage image = ImageDecoder.decode(GREY, ImageDecoder.Options.of(model));
        assertEquals("fast".equals(decode) ? 512 : 1024, image.width(), "fast decodes at 1/2 as Pillow's draft does");
        pre.preprocess(image, ours, 0);
        assertEquals(pillow.length, ours.length);
        double maxDiff = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(pillow[i] - ours[i]));
        }
        assertTrue(maxDiff <= 1e-6, decode + ": max |diff| from Pillow's tensor " + maxDiff + " > 1e-6");

        Predictor.Output out = predictor.predict(model, List.of(new Predictor.Input(0, GREY))).get(0);
        assertNull(out.failedStage(), out.reason());
        var classes = (List<Map<String, Object>>) ((Map<String, Object>) out.prediction()).get("classes");
        // the reference top-1: Python's ONNX Runtime on Pillow's tensor (int8 results depend on the CPU: ReferenceOrt)
        Assumptions.assumeTrue(ReferenceOrt.available(), "no python3 onnxruntime for the reference top-1");
        float[] logits = ReferenceOrt.firstOutput(Samples.classifier(), pillow, 1, 3, 224, 224);
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            best = logits[i] > logits[best] ? i : best;
        }
        assertEquals(best, classes.get(0).get("classId"), decode + ": " + classes.get(0));
    }
}
