package dev.sluice.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The reference tool in the same run: Python's ONNX Runtime (the `onnxruntime` wheel users run) fed the very tensor
 * Sluice built, so a test compares Sluice's inference with the reference on the same machine and CPU.
 *
 * <p>Why not only committed outputs: int8 models (QLinearConv, u8×s8) give CPU-dependent results on x86_64. Without
 * VNNI (AVX2 only, e.g. AMD EPYC before Zen 4) ONNX Runtime's MLAS kernels use `vpmaddubsw`, whose 16-bit
 * intermediate sums saturate, so the logits of MobileNetV2-12-int8 differ by up to ~8 from a VNNI machine's and a top-1
 * can change (onnxruntime#14642, onnx/models#568; oneDNN "Nuances of int8 computations"). Outputs committed from one
 * machine therefore hold only on CPUs of the same kind ({@link #int8MatchesCommittedReference()}).
 */
public final class ReferenceOrt {
    private ReferenceOrt() {
    }

    private static final String SCRIPT = """
            import sys, numpy as np, onnxruntime as ort
            model, inp, shape, out = sys.argv[1], sys.argv[2], [int(d) for d in sys.argv[3].split(',')], sys.argv[4]
            s = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
            x = np.fromfile(inp, dtype='<f4').reshape(shape)
            y = s.run(None, {s.get_inputs()[0].name: x})[0]
            np.asarray(y, dtype='<f4').tofile(out)
            """;

    /** Whether python3 with onnxruntime and numpy is on this machine. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import onnxruntime, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@code model} on one float input of {@code shape} with Python's ONNX Runtime (CPU) and returns its first
     * output, flattened.
     *
     * @throws IllegalStateException when Python fails (check {@link #available()} first)
     */
    public static float[] firstOutput(Path model, float[] input, long... shape) {
        try {
            Path dir = Files.createTempDirectory("reference-ort");
            try {
                Path in = dir.resolve("input.f32");
                Path out = dir.resolve("output.f32");
                ByteBuffer bytes = ByteBuffer.allocate(input.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(input);
                Files.write(in, bytes.array());
                String dims = String.join(",", Arrays.stream(shape).mapToObj(Long::toString).toList());
                Process p = new ProcessBuilder("python3", "-c", SCRIPT, model.toString(), in.toString(), dims, out.toString())
                        .redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes());
                if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException("python3 onnxruntime failed: " + log);
                }
                ByteBuffer result = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
                float[] values = new float[result.remaining() / 4];
                result.asFloatBuffer().get(values);
                return values;
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * True where int8 convolutions compute as on the machine that made the committed reference outputs: not x86_64,
     * or an x86_64 CPU with VNNI (`avx512_vnni` or `avx_vnni` in /proc/cpuinfo). False on AVX2-only x86_64.
     */
    public static boolean int8MatchesCommittedReference() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return true;
        }
        try {
            String cpu = Files.readString(Path.of("/proc/cpuinfo"));
            return cpu.contains("avx512_vnni") || cpu.contains("avx_vnni");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
