package dev.sluice.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.inference.ClassificationPreprocessor;
import dev.sluice.inference.ImageDecoder;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.inference.RgbImage;
import dev.sluice.local.Samples;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The compute floor: the same decode, preprocessing and ONNX Runtime code as the inference function, in a tight loop
 * over the photos' bytes held in memory, same batch size and thread settings. Also the cost of each step alone.
 */
final class FloorBench {
    record Result(double itemsPerSecond, double decodeMs, double preprocessMs, double ortMsPerItem) {
    }

    static Model model() {
        return new Model("model_bench", Model.OBJECT, "mobilenet", "proj_bench", Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, Samples.imagenetLabels(),
                new Model.Status(Model.State.Ready, null, "bench", 1L, null), 0, 0);
    }

    static List<byte[]> photos() {
        List<byte[]> photos = new ArrayList<>();
        for (String[] p : Samples.PHOTOS) {
            photos.add(Samples.bytes(Samples.image(p[0])));
        }
        return photos;
    }

    static Result run(int items, int batchSize, int threads) throws Exception {
        List<byte[]> photos = photos();
        Model model = model();
        byte[] onnx = Samples.bytes(Samples.classifier());
        try (OnnxPredictor predictor = new OnnxPredictor(m -> onnx, threads)) {
            List<Predictor.Input> batch = new ArrayList<>();
            for (int i = 0; i < batchSize; i++) {
                batch.add(new Predictor.Input(i, photos.get(i % photos.size())));
            }
            for (int w = 0; w < 5; w++) {
                predictor.predict(model, batch); // warm-up: session creation, JIT
            }
            long start = System.nanoTime();
            int done = 0;
            while (done < items) {
                List<Predictor.Input> inputs = new ArrayList<>();
                for (int i = 0; i < batchSize && done + i < items; i++) {
                    inputs.add(new Predictor.Input(done + i, photos.get((done + i) % photos.size())));
                }
                predictor.predict(model, inputs);
                done += inputs.size();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(items / seconds, decodeMs(photos), preprocessMs(photos), ortMs(onnx, batchSize, threads));
        }
    }

    /** Mean single-thread decode time per photo. */
    static double decodeMs(List<byte[]> photos) throws Exception {
        int rounds = 40;
        for (byte[] p : photos) {
            ImageDecoder.decode(p);
        }
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            for (byte[] p : photos) {
                ImageDecoder.decode(p);
            }
        }
        return (System.nanoTime() - start) / 1e6 / (rounds * photos.size());
    }

    /** Mean single-thread resize + crop + normalise time per decoded photo. */
    static double preprocessMs(List<byte[]> photos) throws Exception {
        ClassificationPreprocessor pre = new ClassificationPreprocessor(Model.Preprocess.IMAGENET);
        List<RgbImage> images = new ArrayList<>();
        for (byte[] p : photos) {
            images.add(ImageDecoder.decode(p));
        }
        float[] out = new float[pre.floatsPerItem()];
        int rounds = 100;
        for (RgbImage image : images) {
            pre.preprocess(image, out, 0);
        }
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            for (RgbImage image : images) {
                pre.preprocess(image, out, 0);
            }
        }
        return (System.nanoTime() - start) / 1e6 / (rounds * images.size());
    }

    /** ONNX Runtime alone, per image, at the batch size, on a ready tensor. */
    static double ortMs(byte[] onnx, int batchSize, int threads) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession session = env.createSession(onnx, options)) {
            float[] data = new float[batchSize * 3 * 224 * 224];
            java.util.Arrays.fill(data, 0.1f);
            int rounds = 10;
            long start = 0;
            for (int r = -3; r < rounds; r++) {
                if (r == 0) {
                    start = System.nanoTime();
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), new long[]{batchSize, 3, 224, 224});
                     OrtSession.Result result = session.run(Map.of("input", t))) {
                    result.get(0);
                }
            }
            return (System.nanoTime() - start) / 1e6 / (rounds * batchSize);
        }
    }
}
