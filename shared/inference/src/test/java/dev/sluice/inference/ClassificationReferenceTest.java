package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import dev.sluice.testing.ReferenceOrt;
import dev.sluice.testing.TensorProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The preprocessing and the classifier against the reference tensors made with Pillow 9.4 + torchvision and ONNX
 * Runtime (samples/reference). Tolerances: the preprocessed input must match to 1e-6 (it is bit-exact when the
 * resize reproduces Pillow's fixed-point arithmetic); the logits to 1e-3 of Python's ONNX Runtime on the same machine
 * (int8 results depend on the CPU: {@link ReferenceOrt}).
 */
class ClassificationReferenceTest {
    static final Path REFERENCE = Samples.root().resolve("reference/mobilenetv2-12-int8");
    static Model model;
    static OnnxPredictor predictor;

    @BeforeAll
    static void load() {
        model = new Model("model_test", Model.OBJECT, "mobilenet", "proj_test", Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, Samples.imagenetLabels(),
                new Model.Status(Model.State.Ready, null, "sum", 1L, null), 0, 0);
        predictor = new OnnxPredictor(m -> Samples.bytes(Samples.classifier()), 2);
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"goldfish.jpg", "pineapple.png"})
    void preprocessing_matchesPillowReference(String photo) throws Exception {
        String name = photo.substring(0, photo.indexOf('.'));
        float[] expected = TensorProto.parse(Samples.bytes(REFERENCE.resolve(name + "/input_0.pb"))).data();
        ClassificationPreprocessor pre = new ClassificationPreprocessor(Model.Preprocess.IMAGENET);
        float[] actual = new float[pre.floatsPerItem()];
        pre.preprocess(ImageDecoder.decode(Samples.bytes(Samples.image(photo))), actual, 0);
        assertEquals(expected.length, actual.length);
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= 1e-6, photo + ": max |diff| " + maxDiff + " > 1e-6");
    }

    @Test
    @SuppressWarnings("unchecked")
    void batchOfFourPhotos_topOneAndLogitsMatchReference() {
        List<Predictor.Input> inputs = new ArrayList<>();
        for (int i = 0; i < Samples.PHOTOS.size(); i++) {
            inputs.add(new Predictor.Input(i, Samples.bytes(Samples.image(Samples.PHOTOS.get(i)[0]))));
        }
        List<Predictor.Output> outputs = predictor.predict(model, inputs);
        for (int i = 0; i < outputs.size(); i++) {
            Predictor.Output out = outputs.get(i);
            assertNotNull(out.prediction(), out.reason());
            List<Map<String, Object>> classes = (List<Map<String, Object>>) ((Map<String, Object>) out.prediction()).get("classes");
            assertEquals(Samples.PHOTOS.get(i)[1], classes.get(0).get("label"), Samples.PHOTOS.get(i)[0]);
            assertEquals(5, classes.size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"coffee.png", "goldfish.jpg", "squirrel_cls.jpg", "pineapple.png"})
    void logits_matchReferenceWithin1e3(String photo) throws Exception {
        String name = photo.substring(0, photo.indexOf('.'));
        ClassificationPreprocessor pre = new ClassificationPreprocessor(Model.Preprocess.IMAGENET);
        float[] input = new float[pre.floatsPerItem()];
        pre.preprocess(ImageDecoder.decode(Samples.bytes(Samples.image(photo))), input, 0);
        // The reference: Python's ONNX Runtime on this machine, fed the same tensor (int8 results depend on the CPU:
        // ReferenceOrt); the committed outputs only where this CPU computes int8 as the one that made them.
        float[] expected;
        if (ReferenceOrt.available()) {
            expected = ReferenceOrt.firstOutput(Samples.classifier(), input, 1, 3, 224, 224);
        } else {
            Assumptions.assumeTrue(ReferenceOrt.int8MatchesCommittedReference(),
                    "no python3 onnxruntime, and this x86_64 CPU has no VNNI: the committed int8 logits do not apply");
            expected = TensorProto.parse(Samples.bytes(REFERENCE.resolve(name + "/output_0.pb"))).data();
        }
        try (var env = ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(Samples.bytes(Samples.classifier()));
             var tensor = ai.onnxruntime.OnnxTensor.createTensor(ai.onnxruntime.OrtEnvironment.getEnvironment(),
                     java.nio.FloatBuffer.wrap(input), new long[]{1, 3, 224, 224});
             var result = env.run(Map.of("input", tensor))) {
            float[] logits = ((float[][]) result.get(0).getValue())[0];
            double maxDiff = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - logits[i]));
            }
            assertTrue(maxDiff <= 1e-3, photo + ": max |logit diff| " + maxDiff);
        }
    }

    @Test
    void notAnImage_isAProcessFailureWithReason() {
        List<Predictor.Output> outputs = predictor.predict(model, List.of(
                new Predictor.Input(7, "this is not an image".getBytes()),
                new Predictor.Input(8, Samples.bytes(Samples.image("goldfish.jpg")))));
        assertEquals(Predictor.PROCESS, outputs.get(0).failedStage());
        assertTrue(outputs.get(0).reason().startsWith("process.not_an_image"), outputs.get(0).reason());
        assertNotNull(outputs.get(1).prediction());
    }

    @Test
    void truncatedJpeg_isAProcessFailure() {
        byte[] full = Samples.bytes(Samples.image("goldfish.jpg"));
        byte[] truncated = java.util.Arrays.copyOf(full, full.length / 2);
        List<Predictor.Output> outputs = predictor.predict(model, List.of(new Predictor.Input(0, truncated)));
        assertEquals(Predictor.PROCESS, outputs.get(0).failedStage(), String.valueOf(outputs.get(0).prediction()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"coffee.png", "pineapple.png"})
    void pngFastPath_decodesExactlyAsImageIO(String photo) throws Exception {
        byte[] bytes = Samples.bytes(Samples.image(photo));
        RgbImage fast = PngFastPath.decode(bytes);
        RgbImage general = ImageDecoder.decodeWithImageIO(bytes);
        assertNotNull(fast, "an 8-bit RGB/RGBA PNG takes the fast path");
        assertEquals(general.width(), fast.width());
        assertEquals(general.height(), fast.height());
        org.junit.jupiter.api.Assertions.assertArrayEquals(general.rgb(), fast.rgb());
    }

    @Test
    void truncatedPng_isAProcessFailure() {
        byte[] full = Samples.bytes(Samples.image("coffee.png"));
        List<Predictor.Output> outputs = predictor.predict(model, List.of(
                new Predictor.Input(0, java.util.Arrays.copyOf(full, full.length / 2))));
        assertEquals(Predictor.PROCESS, outputs.get(0).failedStage());
        assertTrue(outputs.get(0).reason().startsWith("process.corrupt_image"), outputs.get(0).reason());
    }
}
