package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EXIF orientation 1-8 (resources/orientation, made by formats/make_fixtures.py): each stored_vN.jpg is the upright
 * picture turned by the inverse of orientation N and saved with the tag N. Decoded upright, it matches Pillow's
 * ImageOps.exif_transpose pixels (within the JPEG tolerance of ImageFormatsTest), the squirrel is a fox squirrel in all
 * eight, and YOLOX's boxes on the sideways dog photo are in the upright picture's pixels.
 */
class OrientationTest {
    static Model model(Model.Task task, Model.Preprocess preprocess, List<String> labels) {
        return new Model("model_" + task, Model.OBJECT, "m", "proj_test", task,
                new Model.Source(Model.Source.UPLOADED_ONNX), preprocess, labels,
                new Model.Status(Model.State.Ready, null, "sum", 1L, null), 0, 0);
    }

    static Model.Preprocess withOrientation(Model.Preprocess p, boolean apply) {
        return new Model.Preprocess(p.resizeShortSide(), p.cropSize(), p.mean(), p.std(), p.topK(), p.inputSize(),
                p.scoreThreshold(), p.nmsIou(), apply, null);
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void everyOrientation_decodesUpright_asPillowsExifTranspose(int v) throws Exception {
        byte[] jpeg = ImageFormatsTest.resource("orientation/small_o" + v + ".jpg");
        assertEquals(v, ImageDecoder.exifOrientation(jpeg));
        RgbImage upright = ImageDecoder.decode(jpeg);
        assertEquals(40, upright.width());
        assertEquals(24, upright.height());
        int diff = ImageFormatsTest.maxDiff(ImageFormatsTest.resource("orientation/small_o" + v + ".jpg.rgb"), upright.rgb());
        assertTrue(diff <= ImageFormatsTest.JPEG_TOLERANCE, "orientation " + v + ": max |difference| " + diff);

        RgbImage stored = ImageDecoder.decode(jpeg, new ImageDecoder.Options(false, false, 0, 0));
        assertEquals(v >= 5 ? 24 : 40, stored.width(), "applyExifOrientation false keeps the stored frame");
    }

    @SuppressWarnings("unchecked")
    @Test
    void squirrel_isAFoxSquirrel_inAllEightOrientations() {
        Model model = model(Model.Task.ImageClassification, Model.Preprocess.IMAGENET, Samples.imagenetLabels());
        List<Predictor.Input> inputs = new ArrayList<>();
        for (int v = 1; v <= 8; v++) {
            inputs.add(new Predictor.Input(v, ImageFormatsTest.resource("orientation/squirrel_o" + v + ".jpg")));
        }
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.classifier()), 2)) {
            List<Predictor.Output> out = predictor.predict(model, inputs);
            for (Predictor.Output o : out) {
                var classes = (List<Map<String, Object>>) ((Map<String, Object>) o.prediction()).get("classes");
                assertEquals("fox squirrel", classes.get(0).get("label"), "orientation " + o.index());
            }
            // turned off, the sideways copies are seen as stored: at least one of them is not a fox squirrel
            Model off = model(Model.Task.ImageClassification, withOrientation(Model.Preprocess.IMAGENET, false),
                    Samples.imagenetLabels());
            long fox = predictor.predict(off, inputs).stream()
                    .map(o -> ((List<Map<String, Object>>) ((Map<String, Object>) o.prediction()).get("classes")).get(0).get("label"))
                    .filter("fox squirrel"::equals).count();
            assertTrue(fox < 8, "without orientation some stored frames are misread (" + fox + "/8 fox squirrel)");
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void sidewaysDog_detectsDogBicycleCar_withBoxesInTheUprightFrame() throws Exception {
        List<String> labels = Files.readAllLines(Samples.root().resolve("models/coco.names")).stream()
                .filter(l -> !l.isBlank()).toList();
        Model model = model(Model.Task.ObjectDetection, Model.Preprocess.YOLOX, labels);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.root().resolve("models/yolox_nano.onnx")), 2)) {
            List<Predictor.Output> out = predictor.predict(model, List.of(
                    new Predictor.Input(0, ImageFormatsTest.resource("orientation/dog_o1.jpg")),
                    new Predictor.Input(1, ImageFormatsTest.resource("orientation/dog_o6.jpg"))));
            var upright = (List<Map<String, Object>>) ((Map<String, Object>) out.get(0).prediction()).get("objects");
            var sideways = (List<Map<String, Object>>) ((Map<String, Object>) out.get(1).prediction()).get("objects");
            for (String label : List.of("dog", "bicycle", "car")) {
                Map<String, Object> a = best(upright, label);
                Map<String, Object> b = best(sideways, label);
                assertTrue(a != null && b != null, label + " found in both: " + upright + " / " + sideways);
                Map<String, Object> boxA = (Map<String, Object>) a.get("box");
                Map<String, Object> boxB = (Map<String, Object>) b.get("box");
                for (String k : List.of("x1", "y1", "x2", "y2")) {
                    double d = Math.abs(((Number) boxA.get(k)).doubleValue() - ((Number) boxB.get(k)).doubleValue());
                    // the same picture (stored turned, JPEG-saved again): the same box in the 768x576 upright frame
                    assertTrue(d <= 12, label + " " + k + " differs by " + d + ": " + boxA + " vs " + boxB);
                }
            }
        }
    }

    private static Map<String, Object> best(List<Map<String, Object>> objects, String label) {
        return objects.stream().filter(o -> label.equals(o.get("label"))).findFirst().orElse(null);
    }
}
