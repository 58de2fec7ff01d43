package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.testing.OnnxWriter;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model outputs that cannot give an exact prediction fail the item with a code instead of being delivered as an
 * answer. On old main a NaN output was delivered as a success with scores 0.0, and a model with 3 outputs and 1,000
 * labels was labelled with the first 3.
 */
class ModelOutputsTest {
    static final float[][] WEIGHTS = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

    static Model model(String id, List<String> labels) {
        return new Model(id, Model.OBJECT, id, "proj_x", Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX),
                new Model.Preprocess(8, 8, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), 1), labels,
                new Model.Status(Model.State.Ready, null, id, 1L, null), 0, 0);
    }

    static byte[] redPng() throws Exception {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                image.setRGB(x, y, 0xff0000);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    static Predictor.Output predict(float[] bias, List<String> labels) throws Exception {
        byte[] onnx = OnnxWriter.tinyClassifier(8, WEIGHTS, bias);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> onnx, 1)) {
            List<Predictor.Output> outputs = predictor.predict(model("model_" + Math.abs(bias[0]), labels),
                    List.of(new Predictor.Input(7, redPng())));
            assertEquals(1, outputs.size());
            return outputs.get(0);
        }
    }

    @Test
    void finiteOutputs_withOneLabelEach_arePredicted() throws Exception {
        Predictor.Output out = predict(new float[]{0, 0, 0}, List.of("red", "green", "blue"));
        assertNull(out.failedStage(), out.reason());
        @SuppressWarnings("unchecked")
        var classes = (List<Map<String, Object>>) ((Map<String, Object>) out.prediction()).get("classes");
        assertEquals("red", classes.get(0).get("label"));
    }

    @Test
    void nanOutput_failsTheItem_predictNonFinite() throws Exception {
        Predictor.Output out = predict(new float[]{Float.NaN, 0, 0}, List.of("red", "green", "blue"));
        assertEquals(Predictor.PREDICT, out.failedStage());
        assertTrue(out.reason().startsWith("predict.non_finite: "), out.reason());
        assertNull(out.prediction());
    }

    @Test
    void infiniteOutput_failsTheItem_predictNonFinite() throws Exception {
        Predictor.Output out = predict(new float[]{Float.POSITIVE_INFINITY, 0, 0}, List.of("red", "green", "blue"));
        assertEquals(Predictor.PREDICT, out.failedStage());
        assertTrue(out.reason().startsWith("predict.non_finite: "), out.reason());
    }

    @Test
    void threeOutputs_withAThousandLabels_failTheItem_predictLabelsMismatch() throws Exception {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            labels.add("class" + i);
        }
        Predictor.Output out = predict(new float[]{0, 0, 0}, labels);
        assertEquals(Predictor.PREDICT, out.failedStage());
        assertTrue(out.reason().startsWith("predict.labels_mismatch: the model gives 3 class scores but has 1000 labels"),
                out.reason());
    }
}
