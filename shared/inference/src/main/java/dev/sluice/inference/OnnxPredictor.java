package dev.sluice.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime image classification: decode and preprocess the batch's items in parallel (one task per image on a
 * pool of as many threads as vCPUs) into NCHW tensors of up to {@link #CHUNK_ITEMS} items, run the session once per
 * tensor, softmax, top-k. {@link #prepare} queues the decoding at once, so the next chunk or batch is decoded while
 * the session runs the current one. One session per model per container, keyed by model id and checksum.
 */
public final class OnnxPredictor implements Predictor, dev.sluice.core.inference.TabularPredictor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxPredictor.class);

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final Function<Model, byte[]> modelBytes;
    private final int threads;
    private final Map<String, OrtSession> sessions = new ConcurrentHashMap<>();
    private final boolean preferCuda;
    private volatile String executionProvider = "CPU";
    private final ExecutorService preprocessPool;
    private final java.util.concurrent.atomic.AtomicLong modelBusyNanos = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param modelBytes reads a Ready model's ONNX file
     * @param threads    CPU threads for preprocessing and for ONNX Runtime's intra-op pool (the vCPUs the function has)
     */
    public OnnxPredictor(Function<Model, byte[]> modelBytes, int threads) {
        this(modelBytes, threads, false);
    }

    /**
     * @param preferCuda the GPU pool: use ONNX Runtime's CUDA execution provider when the runtime and a GPU are
     *                   there, otherwise fall back to CPU and say why ({@link #executionProvider()})
     */
    public OnnxPredictor(Function<Model, byte[]> modelBytes, int threads, boolean preferCuda) {
        this.preferCuda = preferCuda;
        this.modelBytes = modelBytes;
        this.threads = threads;
        this.preprocessPool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "preprocess");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public List<Output> predict(Model model, List<Input> inputs) {
        return prepare(model, inputs).predict();
    }

    @Override
    public long modelBusyNanos() {
        return modelBusyNanos.get();
    }

    /**
     * Detection: each image is letterboxed and run on its own (YOLOX exports have a fixed batch of 1); decoding
     * and preprocessing of the batch's images still run in parallel.
     */
    private List<Output> detect(Model model, ImageTask.Detection task, List<Input> inputs) {
        Model.Preprocess p = task.preprocess();
        ObjectDetector detector = task.detector();
        ImageDecoder.Options decoding = task.decoding();
        int perItem = 3 * p.inputSize() * p.inputSize();
        List<Future<Output>> futures = new ArrayList<>();
        for (Input input : inputs) {
            futures.add(preprocessPool.submit(() -> {
                long start = System.nanoTime();
                float[] tensor = new float[perItem];
                ObjectDetector.Letterbox letterbox;
                try {
                    letterbox = detector.preprocess(ImageDecoder.decode(input.bytes(), decoding), tensor, 0);
                } catch (ImageDecoder.NotAnImageException e) {
                    return new Output(input.index(), null, PROCESS, e.getMessage(), (System.nanoTime() - start) / 1e6, 0);
                }
                double preMs = (System.nanoTime() - start) / 1e6;
                long t = System.nanoTime();
                try {
                    float[][][] out = runDetection(model, tensor, p.inputSize());
                    for (float[] anchor : out[0]) {
                        String wrong = outputProblem(anchor, model.labels(), 5);
                        if (wrong != null) {
                            return new Output(input.index(), null, PREDICT, wrong, preMs, (System.nanoTime() - t) / 1e6);
                        }
                    }
                    return new Output(input.index(), Map.of("objects", detector.decode(out[0], letterbox, model.labels())),
                            null, null, preMs, (System.nanoTime() - t) / 1e6);
                } catch (OrtException | RuntimeException e) {
                    return new Output(input.index(), null, PREDICT, failure(model, e), preMs,
                            (System.nanoTime() - t) / 1e6);
                }
            }));
        }
        List<Output> outputs = new ArrayList<>();
        for (Future<Output> f : futures) {
            try {
                outputs.add(f.get());
            } catch (Exception e) {
                throw new IllegalStateException("detection interrupted", e);
            }
        }
        return outputs;
    }

    private float[][][] runDetection(Model model, float[] tensor, int size) throws OrtException {
        OrtSession session = session(model);
        String inputName = session.getInputNames().iterator().next();
        long start = System.nanoTime();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[]{1, 3, size, size});
             OrtSession.Result result = session.run(Map.of(inputName, input))) {
            modelBusyNanos.addAndGet(System.nanoTime() - start);
            Object value = result.get(0).getValue();
            if (!(value instanceof float[][][] out)) {
                throw new IllegalStateException("the detector's first output is not a float [1, anchors, 5 + classes] tensor");
            }
            return out;
        }
    }

    /** ONNX Runtime's session configuration key for busy-waiting intra-op threads ("1" by default). */
    static final String INTRA_OP_SPINNING = "session.intra_op.allow_spinning";

    /** Items per model call in classification: one tensor per chunk, the next chunk decoded while this one runs. */
    static final int CHUNK_ITEMS = 64;

    @Override
    public Prepared prepare(Model model, List<Input> inputs) {
        ImageTask task;
        try {
            task = ImageTask.of(model);
        } catch (ImageTask.NotAnImageModel e) {
            List<Output> failed = inputs.stream()
                    .map(i -> new Output(i.index(), null, PREDICT, e.getMessage(), 0, 0)).toList();
            return () -> failed;
        }
        return switch (task) {
            case ImageTask.Detection detection -> () -> detect(model, detection, inputs);
            case ImageTask.Classification classification -> classify(model, classification, inputs);
        };
    }

    private Prepared classify(Model model, ImageTask.Classification task, List<Input> inputs) {
        ClassificationPreprocessor pre = new ClassificationPreprocessor(task.preprocess());
        ImageDecoder.Options decoding = task.decoding();
        List<Chunk> chunks = new ArrayList<>();
        for (int from = 0; from < inputs.size(); from += CHUNK_ITEMS) {
            chunks.add(startChunk(pre, decoding, inputs.subList(from, Math.min(inputs.size(), from + CHUNK_ITEMS))));
        }
        return () -> {
            List<Output> outputs = new ArrayList<>(inputs.size());
            for (Chunk chunk : chunks) {
                outputs.addAll(finishChunk(model, pre, chunk));
            }
            return outputs;
        };
    }

    /** One model call's items: their decoding tasks (queued in order on the preprocessing pool) and tensor. */
    private record Chunk(List<Input> inputs, FloatBuffer tensor, String[] processError, double[] preprocessMs,
                         List<Future<?>> futures) {
    }

    /**
     * Spare model inputs: direct, native-order buffers that ONNX Runtime reads in place. A heap array would be copied
     * by ONNX Runtime's Java binding into a fresh direct buffer at every call (OrtUtil.prepareBuffer), and both are
     * the size of the whole chunk (19 MB for 32 items of 224 x 224): the profile of issue 26 found that allocation
     * and copy on every batch. A buffer goes back here after its call; one whose chunk is never run (a batch put back)
     * is left to the garbage collector. At most {@link #SPARE_TENSORS} are kept.
     */
    private final java.util.ArrayDeque<FloatBuffer> spareTensors = new java.util.ArrayDeque<>();
    static final int SPARE_TENSORS = 2;
    /** One item's floats, written by a preprocessing thread before they go into the chunk's tensor. */
    private static final ThreadLocal<float[]> ITEM = new ThreadLocal<>();

    private FloatBuffer tensor(int floats) {
        synchronized (spareTensors) {
            for (java.util.Iterator<FloatBuffer> it = spareTensors.iterator(); it.hasNext(); ) {
                FloatBuffer b = it.next();
                if (b.capacity() >= floats) {
                    it.remove();
                    return b;
                }
            }
        }
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    private void release(FloatBuffer tensor) {
        synchronized (spareTensors) {
            if (spareTensors.size() < SPARE_TENSORS) {
                spareTensors.push(tensor);
            }
        }
    }

    private static float[] itemBuffer(int floats) {
        float[] item = ITEM.get();
        if (item == null || item.length != floats) {
            item = new float[floats];
            ITEM.set(item);
        }
        return item;
    }

    private Chunk startChunk(ClassificationPreprocessor pre, ImageDecoder.Options decoding, List<Input> inputs) {
        int perItem = pre.floatsPerItem();
        Chunk chunk = new Chunk(inputs, tensor(inputs.size() * perItem), new String[inputs.size()],
                new double[inputs.size()], new ArrayList<>());
        for (int i = 0; i < inputs.size(); i++) {
            int slot = i;
            chunk.futures().add(preprocessPool.submit(() -> {
                long start = System.nanoTime();
                try {
                    RgbImage image = ImageDecoder.decode(inputs.get(slot).bytes(), decoding);
                    float[] item = itemBuffer(perItem);
                    pre.preprocess(image, item, 0);
                    chunk.tensor().put(slot * perItem, item, 0, perItem); // absolute: threads write apart
                } catch (ImageDecoder.NotAnImageException e) {
                    chunk.processError()[slot] = e.getMessage();
                } catch (RuntimeException e) {
                    chunk.processError()[slot] = "process.failed: " + e;
                } catch (OutOfMemoryError e) {
                    // one item's buffers, dropped with the item: the batch goes on (ImageDecoder bounds memory, so
                    // this means the function has too little memory for its images)
                    chunk.processError()[slot] = "process.out_of_memory: decoding this image ran out of memory";
                }
                chunk.preprocessMs()[slot] = (System.nanoTime() - start) / 1e6;
            }));
        }
        return chunk;
    }

    private List<Output> finishChunk(Model model, ClassificationPreprocessor pre, Chunk chunk) {
        for (Future<?> f : chunk.futures()) {
            try {
                f.get();
            } catch (Exception e) {
                throw new IllegalStateException("preprocessing interrupted", e);
            }
        }
        List<Input> inputs = chunk.inputs();
        int perItem = pre.floatsPerItem();
        FloatBuffer tensor = chunk.tensor();
        String[] processError = chunk.processError();
        double[] preprocessMs = chunk.preprocessMs();
        // Only the items that preprocessed go into the tensor, packed.
        List<Integer> ok = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (processError[i] == null) {
                if (ok.size() != i) {
                    tensor.put(ok.size() * perItem, tensor, i * perItem, perItem);
                }
                ok.add(i);
            }
        }
        Object[] predictions = new Object[inputs.size()];
        String predictError = null;
        double predictMsEach = 0;
        if (!ok.isEmpty()) {
            long start = System.nanoTime();
            try {
                float[][] logits = run(model, tensor, ok.size(), pre.cropSize());
                for (int j = 0; j < ok.size(); j++) {
                    String wrong = outputProblem(logits[j], model.labels(), 0);
                    predictions[ok.get(j)] = wrong != null ? new ItemProblem(wrong) : topK(logits[j], model);
                }
            } catch (OrtException | RuntimeException e) {
                predictError = failure(model, e);
                LOG.warn("prediction failed for model {}: {}", model.id(), e.toString());
            }
            predictMsEach = (System.nanoTime() - start) / 1e6 / ok.size();
        }
        release(tensor);
        List<Output> outputs = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            long index = inputs.get(i).index();
            if (processError[i] != null) {
                outputs.add(new Output(index, null, PROCESS, processError[i], preprocessMs[i], 0));
            } else if (predictError != null) {
                outputs.add(new Output(index, null, PREDICT, predictError, preprocessMs[i], predictMsEach));
            } else if (predictions[i] instanceof ItemProblem problem) {
                outputs.add(new Output(index, null, PREDICT, problem.reason(), preprocessMs[i], predictMsEach));
            } else {
                outputs.add(new Output(index, predictions[i], null, null, preprocessMs[i], predictMsEach));
            }
        }
        return outputs;
    }

    /** @param tensor a direct buffer: ONNX Runtime reads its first n items in place */
    private float[][] run(Model model, FloatBuffer tensor, int n, int size) throws OrtException {
        OrtSession session = session(model);
        String inputName = session.getInputNames().iterator().next();
        long[] shape = {n, 3, size, size};
        long start = System.nanoTime();
        try (OnnxTensor input = OnnxTensor.createTensor(env, tensor.slice(0, n * 3 * size * size), shape);
             OrtSession.Result result = session.run(Map.of(inputName, input))) {
            modelBusyNanos.addAndGet(System.nanoTime() - start);
            Object value = result.get(0).getValue();
            if (!(value instanceof float[][] logits)) {
                throw new IllegalStateException("the model's first output is not a float [N, classes] tensor");
            }
            return logits;
        }
    }

    /**
     * A tabular model: the rows as one [rows, features] float tensor into its first input; every output comes back by
     * name as [rows, width] floats (1-D outputs, such as a class index, as width 1; integer outputs as floats).
     */
    @Override
    public Map<String, float[][]> run(Model model, float[][] features) {
        try {
            OrtSession session = session(model);
            String inputName = session.getInputNames().iterator().next();
            int n = features.length;
            int width = n == 0 ? 0 : features[0].length;
            float[] flat = new float[n * width];
            for (int r = 0; r < n; r++) {
                System.arraycopy(features[r], 0, flat, r * width, width);
            }
            try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), new long[]{n, width});
                 OrtSession.Result result = session.run(Map.of(inputName, input))) {
                Map<String, float[][]> outputs = new java.util.LinkedHashMap<>();
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> output : result) {
                    outputs.put(output.getKey(), rowsOf(output.getKey(), output.getValue().getValue(), n));
                }
                return outputs;
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public int inputWidth(Model model) {
        try {
            ai.onnxruntime.NodeInfo input = session(model).getInputInfo().values().iterator().next();
            if (input.getInfo() instanceof ai.onnxruntime.TensorInfo tensor && tensor.getShape().length == 2) {
                long width = tensor.getShape()[1];
                return width > 0 && width <= Integer.MAX_VALUE ? (int) width : -1;
            }
            return -1;
        } catch (OrtException | RuntimeException e) {
            return -1;
        }
    }

    private static float[][] rowsOf(String name, Object value, int n) {
        float[][] rows = new float[n][];
        switch (value) {
            case float[][] v -> {
                return v;
            }
            case float[] v -> {
                for (int r = 0; r < n; r++) {
                    rows[r] = new float[]{v[r]};
                }
            }
            case long[] v -> {
                for (int r = 0; r < n; r++) {
                    rows[r] = new float[]{v[r]};
                }
            }
            case double[][] v -> {
                for (int r = 0; r < n; r++) {
                    rows[r] = new float[v[r].length];
                    for (int k = 0; k < v[r].length; k++) {
                        rows[r][k] = (float) v[r][k];
                    }
                }
            }
            case long[][] v -> {
                for (int r = 0; r < n; r++) {
                    rows[r] = new float[v[r].length];
                    for (int k = 0; k < v[r].length; k++) {
                        rows[r][k] = v[r][k];
                    }
                }
            }
            default -> throw new IllegalStateException("output " + name + " is not a [rows] or [rows, width] tensor"
                    + " of numbers (" + value.getClass().getSimpleName() + ")");
        }
        return rows;
    }

    /**
     * An item's reason when the model did not run: {@code model.changed} when its file is no longer the one validated
     * (the loader reads it with If-Match on the validated ETag), else {@code predict.failed} with the cause.
     */
    private static String failure(Model model, Exception e) {
        return e instanceof dev.sluice.core.port.ObjectStore.ObjectChangedException
                ? dev.sluice.core.model.ModelService.CHANGED + ": " + dev.sluice.core.model.ModelService.changedMessage(model)
                : "predict.failed: " + e.getMessage();
    }

    OrtSession session(Model model) throws OrtException {
        String key = sessionKey(model);
        OrtSession session = sessions.get(key);
        if (session != null) {
            return session;
        }
        synchronized (sessions) {
            session = sessions.get(key);
            if (session == null) {
                session = newSession(modelBytes.apply(model));
                sessions.put(key, session);
            }
            return session;
        }
    }

    private static String sessionKey(Model model) {
        return model.id() + "@" + model.status().checksum();
    }

    private OrtSession newSession(byte[] onnx) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        // decoding runs on every core while the session runs (prepare): ORT's idle intra-op threads must
        // sleep, not spin, or they take the decoders' CPU (ONNX Runtime's session option; issue 26)
        options.addConfigEntry(INTRA_OP_SPINNING, "0");
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        if (preferCuda) {
            try {
                options.addCUDA(0);
                executionProvider = "CUDA";
            } catch (OrtException | RuntimeException | LinkageError e) {
                executionProvider = "CPU (CUDA unavailable: " + e.getMessage() + ")";
                LOG.warn("CUDA execution provider unavailable, running on CPU: {}", e.getMessage());
            }
        }
        return env.createSession(onnx, options);
    }

    /** What {@link #prime} did: the priming classifier's top-1 class id (2 for its photo) and its wall time. */
    public record Priming(int top1ClassId, double millis) {
    }

    /** The priming classifier's model record; its id cannot be a stored model's (those are "model_" + hex). */
    static final Model PRIMING_MODEL = new Model("sluice-priming", Model.OBJECT, "priming", "sluice-priming",
            Model.Task.ImageClassification, new Model.Source(Model.Source.UPLOADED_ONNX),
            new Model.Preprocess(40, 32, Model.Preprocess.IMAGENET.mean(), Model.Preprocess.IMAGENET.std(), 1, null,
                    null, null, true, Model.Preprocess.DECODE_FAST),
            List.of("0", "1", "2", "3"), new Model.Status(Model.State.Ready, null, "bundled", null, null), 0, 0);

    /**
     * Warms the whole classification path once before a SnapStart snapshot (issue 26 item 5;
     * https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html): ONNX Runtime's
     * native library, environment and intra-op pool, a session, one inference, the DCT-scaled JPEG decoder's natives
     * (Leptonica's libjpeg-turbo), EXIF reading, the resize and normalisation, the tensor buffers and top-k, over a
     * bundled 1.3 KB classifier and an 11.7 KB photo (resources {@code priming/}, made by
     * {@code shared/inference/priming/make_priming.py}). Touches no user data and no network.
     *
     * <p>Leaves nothing behind that a job could see or that would differ between restored copies: the priming
     * session is closed and forgotten, the spare tensors it used are dropped, the model-busy clock is back at zero.
     *
     * @return the priming inference's top-1 class and its wall time
     * @throws IllegalStateException when the priming inference fails (the function must not snapshot a broken path)
     */
    public Priming prime() {
        long start = System.nanoTime();
        String key = sessionKey(PRIMING_MODEL);
        try {
            OrtSession session = newSession(resource("priming/classifier.onnx"));
            sessions.put(key, session);
            Output out = predict(PRIMING_MODEL, List.of(new Input(0, resource("priming/photo.jpg")))).get(0);
            if (out.prediction() == null) {
                throw new IllegalStateException("priming inference failed: " + out.reason());
            }
            @SuppressWarnings("unchecked")
            var classes = (List<Map<String, Object>>) ((Map<String, Object>) out.prediction()).get("classes");
            return new Priming((Integer) classes.get(0).get("classId"), (System.nanoTime() - start) / 1e6);
        } catch (OrtException e) {
            throw new IllegalStateException("priming session failed: " + e.getMessage(), e);
        } finally {
            OrtSession session = sessions.remove(key);
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException e) {
                    LOG.debug("closing the priming session: {}", e.toString());
                }
            }
            synchronized (spareTensors) {
                spareTensors.clear();
            }
            modelBusyNanos.set(0);
        }
    }

    /** Sessions open (for tests: priming leaves none). */
    int openSessions() {
        return sessions.size();
    }

    /** Spare tensors held (for tests: priming leaves none). */
    int spareTensors() {
        synchronized (spareTensors) {
            return spareTensors.size();
        }
    }

    private static byte[] resource(String name) {
        try (var in = OnnxPredictor.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " next to " + OnnxPredictor.class.getName());
            }
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** "CUDA", "CPU", or "CPU (CUDA unavailable: why)", once a session exists. */
    public String executionProvider() {
        return executionProvider;
    }

    /** An item whose model output cannot be read as a prediction: its reason. */
    private record ItemProblem(String reason) {
    }

    /**
     * Why one item's output row cannot give an exact prediction, or null when it can: a NaN or infinite value (a
     * softmax over it would report scores of 0.0 as if they were answers), or a number of class scores (after
     * {@code leading} box and objectness values) other than the model's number of labels (labelling 3 outputs with
     * the first 3 of 1,000 labels would name the wrong classes).
     */
    static String outputProblem(float[] row, List<String> labels, int leading) {
        for (float v : row) {
            if (!Float.isFinite(v)) {
                return "predict.non_finite: the model's output for this item holds " + v
                        + "; scores cannot be computed from it";
            }
        }
        int classes = row.length - leading;
        if (labels != null && !labels.isEmpty() && classes != labels.size()) {
            return "predict.labels_mismatch: the model gives " + classes + " class scores but has " + labels.size()
                    + " labels; register it with one label per output";
        }
        return null;
    }

    /** Softmax probabilities of the k best classes, best first. */
    static Map<String, Object> topK(float[] logits, Model model) {
        int k = Math.min(model.preprocess().withDefaults().topK(), logits.length);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < logits.length; i++) {
            for (int j = 0; j < k; j++) {
                if (best[j] < 0 || logits[i] > logits[best[j]]) {
                    System.arraycopy(best, j, best, j + 1, k - j - 1);
                    best[j] = i;
                    break;
                }
            }
        }
        List<Map<String, Object>> classes = new ArrayList<>(k);
        for (int classId : best) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("classId", classId);
            c.put("label", classId < model.labels().size() ? model.labels().get(classId) : String.valueOf(classId));
            c.put("score", Math.round(Math.exp(logits[classId] - max) / sum * 1e6) / 1e6);
            classes.add(c);
        }
        return Map.of("classes", classes);
    }

    @Override
    public void close() {
        preprocessPool.shutdownNow();
        sessions.values().forEach(s -> {
            try {
                s.close();
            } catch (OrtException e) {
                LOG.debug("closing session: {}", e.toString());
            }
        });
    }
}
