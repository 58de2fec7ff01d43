package dev.sluice.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sluice.testing.OnnxWriter;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The models OnnxWriter writes load in ONNX Runtime and compute what their definition says. */
class OnnxWriterTest {
    @Test
    void linearModel_computesXTimesWPlusB() throws Exception {
        byte[] onnx = OnnxWriter.linear("features", "scores", new float[][]{{1, 2}, {3, 4}, {5, 6}}, new float[]{0.5f, -1});
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, new float[][]{{1, 0, 0}, {1, 1, 1}});
             OrtSession.Result result = session.run(Map.of("features", x))) {
            float[][] scores = (float[][]) result.get(0).getValue();
            assertArrayEquals(new float[]{1.5f, 1}, scores[0]);
            assertArrayEquals(new float[]{9.5f, 11}, scores[1]);
        }
    }

    @Test
    void tinyClassifier_scoresTheChannelMeans() throws Exception {
        byte[] onnx = OnnxWriter.tinyClassifier(2, new float[][]{{1, 0}, {0, 1}, {0, 0}}, new float[]{0, 0});
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][][][] image = {{{{1, 1}, {1, 1}}, {{0, 0}, {0, 2}}, {{9, 9}, {9, 9}}}};
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, image);
             OrtSession.Result result = session.run(Map.of("image", x))) {
            assertArrayEquals(new float[]{1, 0.5f}, ((float[][]) result.get(0).getValue())[0]);
        }
    }
}
