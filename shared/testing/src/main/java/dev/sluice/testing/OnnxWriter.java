package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes small ONNX models (ModelProto, opset 13) for tests, reproducibly: the graphs are written here in code,
 * field by field as onnx.proto3 numbers them, with weights given by the caller. Just enough protobuf for a handful
 * of float ops; ONNX Runtime is the judge of the result.
 */
public final class OnnxWriter {
    public static final int OPSET = 13;

    /** A graph input or output: a float tensor whose first dimension is the batch ("N"). */
    public record Value(String name, long... dims) {
    }

    /** One node: op type, inputs, outputs and integer attributes (name, value pairs). */
    public record Node(String opType, List<String> inputs, List<String> outputs, Object... intAttributes) {
    }

    /** A float weight tensor. */
    public record Weight(String name, long[] dims, float[] values) {
    }

    private OnnxWriter() {
    }

    public static byte[] model(String graphName, List<Value> inputs, List<Value> outputs, List<Node> nodes,
                               List<Weight> weights) {
        Proto graph = new Proto();
        int n = 0;
        for (Node node : nodes) {
            Proto p = new Proto();
            node.inputs().forEach(i -> p.string(1, i));
            node.outputs().forEach(o -> p.string(2, o));
            p.string(3, node.opType().toLowerCase() + "_" + n++);
            p.string(4, node.opType());
            for (int a = 0; a + 1 < node.intAttributes().length; a += 2) {
                p.message(5, new Proto().string(1, (String) node.intAttributes()[a])
                        .varint(3, ((Number) node.intAttributes()[a + 1]).longValue()).varint(20, 2));
            }
            graph.message(1, p);
        }
        graph.string(2, graphName);
        for (Weight w : weights) {
            Proto t = new Proto();
            for (long d : w.dims()) {
                t.varint(1, d);
            }
            t.varint(2, 1);
            t.string(8, w.name());
            ByteBuffer raw = ByteBuffer.allocate(w.values().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : w.values()) {
                raw.putFloat(v);
            }
            t.bytes(9, raw.array());
            graph.message(5, t);
        }
        inputs.forEach(v -> graph.message(11, valueInfo(v)));
        outputs.forEach(v -> graph.message(12, valueInfo(v)));
        Proto model = new Proto().varint(1, 7).string(2, "sluice-tests (OnnxWriter)").message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, OPSET));
        return model.toByteArray();
    }

    private static Proto valueInfo(Value v) {
        Proto shape = new Proto();
        shape.message(1, new Proto().string(2, "N"));
        for (long d : v.dims()) {
            shape.message(1, new Proto().varint(1, d));
        }
        Proto tensor = new Proto().varint(1, 1).message(2, shape);
        return new Proto().string(1, v.name()).message(2, new Proto().message(1, tensor));
    }

    /**
     * A tiny image classifier for load tests: the mean of each channel of a [N, 3, size, size] image, then a dense
     * layer to one logit per class (GlobalAveragePool, Flatten, Gemm).
     */
    public static byte[] tinyClassifier(int size, float[][] weights, float[] bias) {
        int classes = bias.length;
        float[] w = new float[3 * classes];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(weights[c], 0, w, c * classes, classes);
        }
        return model("tiny-classifier", List.of(new Value("image", 3, size, size)), List.of(new Value("logits", classes)),
                List.of(new Node("GlobalAveragePool", List.of("image"), List.of("pooled")),
                        new Node("Flatten", List.of("pooled"), List.of("means"), "axis", 1),
                        new Node("Gemm", List.of("means", "w", "b"), List.of("logits"))),
                List.of(new Weight("w", new long[]{3, classes}, w), new Weight("b", new long[]{classes}, bias)));
    }

    /** A linear model over named features: scores = features x W + b ([N, F] to [N, K]). */
    public static byte[] linear(String input, String output, float[][] weights, float[] bias) {
        int features = weights.length;
        int outputs = bias.length;
        float[] w = new float[features * outputs];
        for (int f = 0; f < features; f++) {
            System.arraycopy(weights[f], 0, w, f * outputs, outputs);
        }
        return model("linear", List.of(new Value(input, features)), List.of(new Value(output, outputs)),
                List.of(new Node("MatMul", List.of(input, "w"), List.of("xw")),
                        new Node("Add", List.of("xw", "b"), List.of(output))),
                List.of(new Weight("w", new long[]{features, outputs}, w), new Weight("b", new long[]{outputs}, bias)));
    }

    /**
     * The float sum of three features, added left to right: {@code output = (f0 + f1) + f2} ([N, 3] to [N, 1]; Split,
     * Add, Add: each add one IEEE float addition, so a test can compute every output exactly).
     */
    public static byte[] sum3(String input, String output) {
        return model("sum3", List.of(new Value(input, 3)), List.of(new Value(output, 1)),
                List.of(new Node("Split", List.of(input), List.of("f0", "f1", "f2"), "axis", 1),
                        new Node("Add", List.of("f0", "f1"), List.of("f01")),
                        new Node("Add", List.of("f01", "f2"), List.of(output))),
                List.of());
    }

    /** A protobuf message being written. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto bytes(int field, byte[] value) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void writeVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
