package dev.sluice.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.model.OnnxOutputShape;
import dev.sluice.testing.OnnxWriter;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first output's declared shape, read from the ONNX file's metadata without loading the model, is the shape
 * ONNX Runtime reports (the reference); the weights are skipped, not read; and the labels check that refuses a
 * model at registration reads it as the predictor will.
 */
class OnnxOutputShapeTest {
    /** What ONNX Runtime says the first output's shape is (-1 for a symbolic dim). */
    static List<Long> reference(byte[] onnx) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            String first = session.getOutputNames().iterator().next();
            long[] shape = ((TensorInfo) session.getOutputInfo().get(first).getInfo()).getShape();
            return Arrays.stream(shape).boxed().toList();
        }
    }

    static Optional<List<Long>> read(byte[] onnx, AtomicInteger opens, AtomicLong bytesRead) {
        return OnnxOutputShape.firstOutput(offset -> {
            opens.incrementAndGet();
            return new ByteArrayInputStream(onnx, (int) offset, onnx.length - (int) offset) {
                @Override
                public synchronized int read() {
                    int b = super.read();
                    if (b >= 0) {
                        bytesRead.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public synchronized int read(byte[] into, int off, int len) {
                    int n = super.read(into, off, len);
                    bytesRead.addAndGet(Math.max(0, n));
                    return n;
                }
            };
        });
    }

    @Test
    void sampleClassifier_sameShapeAsOnnxRuntime_weightsSkipped() throws Exception {
        byte[] onnx = Samples.bytes(Samples.classifier());
        AtomicInteger opens = new AtomicInteger();
        AtomicLong bytesRead = new AtomicLong();
        List<Long> dims = read(onnx, opens, bytesRead).orElseThrow();
        assertEquals(reference(onnx), dims);
        assertEquals(1000L, dims.get(dims.size() - 1));
        assertTrue(opens.get() > 1, "large weights skipped by opening past them");
        assertTrue(bytesRead.get() < onnx.length / 2, bytesRead + " of " + onnx.length + " bytes read");
    }

    @Test
    void writtenModels_staticAndSymbolicDims_sameAsOnnxRuntime() throws Exception {
        byte[] tiny = OnnxWriter.tinyClassifier(8, new float[][]{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, new float[3]);
        assertEquals(reference(tiny), read(tiny, new AtomicInteger(), new AtomicLong()).orElseThrow());
        assertEquals(List.of(-1L, 3L), read(tiny, new AtomicInteger(), new AtomicLong()).orElseThrow());
        byte[] linear = OnnxWriter.linear("x", "y", new float[][]{{1, 2}, {3, 4}, {5, 6}}, new float[]{0, 0});
        assertEquals(reference(linear), read(linear, new AtomicInteger(), new AtomicLong()).orElseThrow());
    }

    @Test
    void notOnnx_orCutShort_isUnknown_notARefusal() {
        byte[] tiny = OnnxWriter.tinyClassifier(8, new float[][]{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, new float[3]);
        assertEquals(Optional.empty(), read(Arrays.copyOf(tiny, tiny.length / 2), new AtomicInteger(), new AtomicLong()));
        assertEquals(Optional.empty(), read("<html>not a model</html>".getBytes(), new AtomicInteger(), new AtomicLong()));
        assertEquals(Optional.empty(), read(new byte[0], new AtomicInteger(), new AtomicLong()));
    }

    @Test
    void labelsProblem_asThePredictorReadsOutputs() {
        List<String> three = List.of("a", "b", "c");
        List<String> thousand = Samples.imagenetLabels();
        assertNull(ModelService.labelsProblem(Model.Task.ImageClassification, List.of(-1L, 3L), three));
        assertTrue(ModelService.labelsProblem(Model.Task.ImageClassification, List.of(-1L, 3L), thousand)
                .startsWith("model.labels_mismatch: the model's first output is [N, 3], 3 class scores, but it has 1000 labels"));
        assertNull(ModelService.labelsProblem(Model.Task.ImageClassification, List.of(-1L, -1L), three), "dynamic");
        assertNull(ModelService.labelsProblem(Model.Task.ImageClassification, List.of(-1L, 3L, 1L, 1L), thousand),
                "a shape the predictor does not read this way is left to the item check");
        assertNull(ModelService.labelsProblem(Model.Task.ObjectDetection, List.of(1L, 3549L, 85L),
                java.util.Collections.nCopies(80, "x")));
        assertTrue(ModelService.labelsProblem(Model.Task.ObjectDetection, List.of(1L, 3549L, 85L), three)
                .startsWith("model.labels_mismatch: the model's first output is [1, 3549, 85], 80 class scores"));
        assertNull(ModelService.labelsProblem(Model.Task.Tabular, List.of(-1L, 2L), three));
    }
}
