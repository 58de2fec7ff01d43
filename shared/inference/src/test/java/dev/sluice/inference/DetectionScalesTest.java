package dev.sluice.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * YOLOX boxes are in the full-size upright picture's pixels whatever scale the picture was decoded at: per decode
 * scale (1, 1/2, 1/4, 1/8), for EXIF-rotated photos (orientation 6 and 8) and for a photo over the 24 MP full-decode
 * limit, each box within 1 px of Pillow + ONNX Runtime's (at scale 1 within one model pixel: see {@link #tolerance}) (resources/detection/reference.json, made by
 * make_reference.py there with the tool versions it records). Issue 21 item 1: before, a reduced decode gave boxes
 * 2, 4 or 8 times too small.
 */
class DetectionScalesTest {
    /** Largest difference of a box coordinate from the reference, in full-size pixels, for a reduced decode. */
    static final double BOX_TOLERANCE_PX = 1.0;

    /**
     * At scale 1 Sluice decodes with the JDK's libjpeg 6b, Pillow with libjpeg-turbo: their pixels differ by 1 level
     * at most (ImageFormatsTest.JPEG_TOLERANCE), which moves a weakly-bounded edge by up to one model pixel (1 / the
     * letterbox ratio: 8.3 full-size px on the 3456 px photo; measured 3.6 px there, 1.3 px on the 1536 px one).
     * Reduced decodes are libjpeg-turbo's on both sides and agree within {@link #BOX_TOLERANCE_PX}.
     */
    static double tolerance(Case c) {
        return c.scale == 1 ? Math.max(BOX_TOLERANCE_PX, Math.max(c.fullWidth, c.fullHeight) / 416.0) : BOX_TOLERANCE_PX;
    }
    /** Objects scoring this close to the 0.3 threshold may be kept on one side only (last-bit differences). */
    static final double BORDERLINE_SCORE = 0.35;

    record Case(String file, int scale, int fullWidth, int fullHeight, int decodedWidth, int decodedHeight,
                JsonNode objects) {
        @Override
        public String toString() {
            return file + " at 1/" + scale;
        }
    }

    static List<Case> cases() throws Exception {
        JsonNode root = Json.MAPPER.readTree(ImageFormatsTest.resource("detection/reference.json"));
        return StreamSupport.stream(root.get("cases").spliterator(), false).map(c -> new Case(c.get("file").asText(),
                c.get("scale").asInt(), c.get("fullWidth").asInt(), c.get("fullHeight").asInt(),
                c.get("decodedWidth").asInt(), c.get("decodedHeight").asInt(), c.get("objects"))).toList();
    }

    static Case reference(String file, int scale) throws Exception {
        return cases().stream().filter(c -> c.file.equals(file) && c.scale == scale).findFirst().orElseThrow();
    }

    static OrtEnvironment env;
    static OrtSession session;

    @BeforeAll
    static void session() throws Exception {
        env = OrtEnvironment.getEnvironment();
        session = env.createSession(Samples.bytes(Samples.root().resolve("models/yolox_nano.onnx")),
                new OrtSession.SessionOptions());
    }

    @AfterAll
    static void close() throws Exception {
        session.close();
    }

    static Stream<Case> allCases() throws Exception {
        return cases().stream();
    }

    /** The decoder at a forced scale (the "fast" target chosen so that exactly 1/scale covers it), then YOLOX. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void boxes_atEveryDecodeScale_matchPillowInFullSizePixels(Case c) throws Exception {
        byte[] jpeg = ImageFormatsTest.resource("detection/" + c.file);
        boolean overLimit = (long) c.fullWidth * c.fullHeight > ImageDecoder.FULL_DECODE_PIXELS;
        assumeTrue(c.scale == 1 || TurboJpeg.available(), "reduced JPEG decoding needs libjpeg-turbo (Linux x86-64)");
        int longSide = Math.max(c.fullWidth, c.fullHeight);
        ImageDecoder.Options options = c.scale == 1 || overLimit ? new ImageDecoder.Options(true, false, 0, 0)
                : new ImageDecoder.Options(true, true, 0, longSide / c.scale);
        RgbImage image = ImageDecoder.decode(jpeg, options);
        assertEquals(List.of(c.decodedWidth, c.decodedHeight, c.fullWidth, c.fullHeight),
                List.of(image.width(), image.height(), image.fullWidth(), image.fullHeight()), "decoded and full size");

        ObjectDetector detector = new ObjectDetector(416, 0.3, 0.45);
        float[] tensor = new float[3 * 416 * 416];
        ObjectDetector.Letterbox letterbox = detector.preprocess(image, tensor, 0);
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[]{1, 3, 416, 416});
             OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
            float[][] out = ((float[][][]) result.get(0).getValue())[0];
            assertMatches(c, detector.decode(out, letterbox, List.of()));
        }
    }

    static Stream<Object[]> predictorPaths() {
        return Stream.of(
                new Object[]{"dog_3456.jpg", "fast", 8}, new Object[]{"dog_1536_o6.jpg", "fast", 2},
                new Object[]{"dog_1536_o8.jpg", "fast", 2}, new Object[]{"dog_3456.jpg", "exact", 1},
                new Object[]{"dog_1536_o6.jpg", "exact", 1}, new Object[]{"dog_5760.jpg", "exact", 2});
    }

    /** The predictor's own path (decode "fast" by default, "exact", and the 24 MP guard in exact mode). */
    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0} decode {1} -> 1/{2}")
    @MethodSource("predictorPaths")
    void predictor_boxes_areInFullSizePixels_forFastExactAndOverTheLimit(String file, String decode, int scale)
            throws Exception {
        assumeTrue(scale == 1 || TurboJpeg.available(), "reduced JPEG decoding needs libjpeg-turbo (Linux x86-64)");
        List<String> labels = Files.readAllLines(Samples.root().resolve("models/coco.names")).stream()
                .filter(l -> !l.isBlank()).toList();
        Model.Preprocess p = Model.Preprocess.YOLOX;
        Model model = OrientationTest.model(Model.Task.ObjectDetection, new Model.Preprocess(null, null, null, null,
                null, p.inputSize(), p.scoreThreshold(), p.nmsIou(), null, decode), labels);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.root().resolve("models/yolox_nano.onnx")), 1)) {
            List<Predictor.Output> out = predictor.predict(model,
                    List.of(new Predictor.Input(0, ImageFormatsTest.resource("detection/" + file))));
            assertEquals(null, out.get(0).reason());
            assertMatches(reference(file, scale),
                    (List<Map<String, Object>>) ((Map<String, Object>) out.get(0).prediction()).get("objects"));
        }
    }

    /** A Tabular model's image items fail with a code: a task without an image kind never runs as classification. */
    @Test
    void tabularModel_onImages_failsEachItem_neverClassifies() {
        Model model = OrientationTest.model(Model.Task.Tabular, null, List.of());
        try (OnnxPredictor predictor = new OnnxPredictor(m -> {
            throw new AssertionError("no session for a model that is not an image model");
        }, 1)) {
            List<Predictor.Output> out = predictor.predict(model, List.of(new Predictor.Input(4, new byte[]{1})));
            assertEquals(Predictor.PREDICT, out.get(0).failedStage());
            assertTrue(out.get(0).reason().startsWith("predict.not_an_image_model:"), out.get(0).reason());
        }
    }

    @SuppressWarnings("unchecked")
    static void assertMatches(Case c, List<Map<String, Object>> objects) {
        List<String> problems = new ArrayList<>();
        for (JsonNode ref : c.objects) {
            double[] box = new double[4];
            for (int k = 0; k < 4; k++) {
                box[k] = ref.get("box").get(k).asDouble();
            }
            boolean found = objects.stream().anyMatch(o -> ((Number) o.get("classId")).intValue()
                    == ref.get("classId").asInt() && within((Map<String, Object>) o.get("box"), box, tolerance(c)));
            if (!found && ref.get("score").asDouble() >= BORDERLINE_SCORE) {
                problems.add("reference " + ref + " has no box within " + tolerance(c) + " px");
            }
        }
        for (Map<String, Object> o : objects) {
            boolean known = StreamSupport.stream(c.objects.spliterator(), false).anyMatch(ref ->
                    ref.get("classId").asInt() == ((Number) o.get("classId")).intValue());
            if (!known && ((Number) o.get("score")).doubleValue() >= BORDERLINE_SCORE) {
                problems.add("object not in the reference: " + o);
            }
        }
        assertTrue(problems.isEmpty(), c + ": " + problems + "; Sluice gave " + objects);
    }

    static boolean within(Map<String, Object> box, double[] ref, double tolerance) {
        String[] keys = {"x1", "y1", "x2", "y2"};
        for (int k = 0; k < 4; k++) {
            // Sluice rounds to 0.1 px, the reference to 0.01 px
            if (Math.abs(((Number) box.get(keys[k])).doubleValue() - ref[k]) > tolerance + 0.05) {
                return false;
            }
        }
        return true;
    }
}
