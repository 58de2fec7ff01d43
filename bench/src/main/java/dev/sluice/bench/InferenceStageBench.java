package dev.sluice.bench;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.net.OutboundGuard;
import dev.sluice.inference.ClassificationPreprocessor;
import dev.sluice.inference.ImageDecoder;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.local.StaticFiles;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The inference stage alone, as one Lambda instance runs it, without the emulators: invocations of 10 batches of 32
 * photos served over loopback HTTP; every item fetched at once on virtual threads through the function's
 * {@link ItemFetcher} (8 connections to the host), each batch decoded on the predictor's pool as soon as its items are
 * in while ONNX Runtime runs the one before ({@link OnnxPredictor#prepare}, as {@code BatchProcessor} does). Beside it,
 * in the same run, the physical limit of the machine: cores ÷ (decode + preprocess CPU + ONNX Runtime CPU per photo),
 * each measured alone (one thread's CPU clock for the decode; the process's CPU clock around the session's runs, which
 * counts ONNX Runtime's own threads). The stage's process CPU per photo is what Lambda bills (see
 * {@link dev.sluice.core.usage.LambdaSizing}).
 */
final class InferenceStageBench {
    private InferenceStageBench() {
    }

    /**
     * @param decodeCpuMs           decode + preprocess CPU per photo, one thread, mean over the photos
     * @param ortCpuMs              ONNX Runtime CPU per photo (batches of 32, all its threads)
     * @param limitItemsPerSecond   cores ÷ (decode + ORT CPU per photo)
     * @param itemsPerSecond        the stage's throughput
     * @param cpuMsPerPhoto         the process's CPU per photo during the stage (everything: fetch, serve, decode, ORT)
     * @param utilisation           CPU ÷ (wall × cores) during the stage
     * @param idleMsPerInvocation   mean wall time from an invocation's start until its first batch's items were in
     * @param photosPerInvocation   photos per invocation
     */
    record Result(double decodeCpuMs, double ortCpuMs, double limitItemsPerSecond, double itemsPerSecond,
                  double cpuMsPerPhoto, double utilisation, double idleMsPerInvocation, int photosPerInvocation) {
        double ofLimit() {
            return itemsPerSecond / limitItemsPerSecond;
        }

        /**
         * The limit's CPU per photo ÷ the stage's: the share of the stage's CPU that is decode + ORT. The stage's
         * share of the limit is this × its utilisation, so this is the share it reaches when it has its cores to
         * itself; unlike the wall-clock share it survives other work on a shared machine (both are CPU clocks).
         */
        double cpuOfLimit() {
            return (decodeCpuMs + ortCpuMs) / cpuMsPerPhoto;
        }
    }

    static final int BATCH = 32;
    static final int BATCHES_PER_INVOCATION = 10;

    static Result run(Path folder, List<String> names, byte[] onnx, Model model, int invocations, int cores)
            throws Exception {
        return run(folder, names, onnx, model, invocations, cores, PipelineBench.Probe.NONE);
    }

    /** As above, with {@code probe} told when the timed invocations start and end (a profiler's window). */
    static Result run(Path folder, List<String> names, byte[] onnx, Model model, int invocations, int cores,
                      PipelineBench.Probe probe) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<byte[]> photos = new ArrayList<>();
        for (String n : names) {
            photos.add(Files.readAllBytes(folder.resolve(n)));
        }
        // decode + preprocess CPU per photo, one thread
        ClassificationPreprocessor pre = new ClassificationPreprocessor(model.preprocess());
        ImageDecoder.Options options = ImageDecoder.Options.of(model);
        float[] out = new float[pre.floatsPerItem()];
        for (int i = 0; i < 3 * photos.size(); i++) {
            pre.preprocess(ImageDecoder.decode(photos.get(i % photos.size()), options), out, 0);
        }
        int rounds = 5 * photos.size();
        long cpu = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < rounds; i++) {
            pre.preprocess(ImageDecoder.decode(photos.get(i % photos.size()), options), out, 0);
        }
        double decodeCpuMs = (threads.getCurrentThreadCpuTime() - cpu) / 1e6 / rounds;

        try (OnnxPredictor predictor = new OnnxPredictor(m -> onnx, cores);
             StaticFiles server = new StaticFiles(folder)) {
            double ortCpuMs = ortCpuMs(onnx, cores, os);
            double limit = cores / ((decodeCpuMs + ortCpuMs) / 1000);

            ItemFetcher fetcher = new ItemFetcher(null, Duration.ofSeconds(5), Duration.ofSeconds(30), 50L << 20,
                    true, new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true), AllowedBuckets.none("bench"));
            ExecutorService gather = Executors.newVirtualThreadPerTaskExecutor();
            invocation(fetcher, gather, predictor, model, server, names); // warm-up
            long idle = 0;
            probe.start();
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            for (int i = 0; i < invocations; i++) {
                idle += invocation(fetcher, gather, predictor, model, server, names);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double stageCpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
            probe.stop();
            gather.shutdown();
            int items = invocations * BATCHES_PER_INVOCATION * BATCH;
            return new Result(decodeCpuMs, ortCpuMs, limit, items / wall, stageCpu * 1000 / items,
                    Math.min(1, stageCpu / (wall * cores)), idle / 1e6 / invocations, BATCHES_PER_INVOCATION * BATCH);
        }
    }

    /** One invocation: gather everything, decode each batch once it is in, predict in order. Nanos until batch 0 was in. */
    private static long invocation(ItemFetcher fetcher, ExecutorService gather, OnnxPredictor predictor, Model model,
                                   StaticFiles server, List<String> names) throws Exception {
        long start = System.nanoTime();
        List<CompletableFuture<List<Predictor.Input>>> batches = new ArrayList<>();
        int k = 0;
        for (int b = 0; b < BATCHES_PER_INVOCATION; b++) {
            List<Future<ItemFetcher.Fetched>> items = new ArrayList<>();
            for (int i = 0; i < BATCH; i++, k++) {
                String url = server.url(names.get(k % names.size()));
                items.add(gather.submit(() -> fetcher.fetch(url, "bench", dev.sluice.core.inference.ItemFetcher.DEFAULT_MAX_CONNECTIONS_PER_HOST)));
            }
            int base = k - BATCH;
            batches.add(CompletableFuture.supplyAsync(() -> {
                List<Predictor.Input> inputs = new ArrayList<>();
                for (int i = 0; i < items.size(); i++) {
                    ItemFetcher.Fetched f = join(items.get(i));
                    if (!f.ok()) {
                        throw new IllegalStateException("bench fetch failed: " + f.errorCode() + " " + f.reason());
                    }
                    inputs.add(new Predictor.Input(base + i, f.bytes()));
                }
                return inputs;
            }, gather));
        }
        List<CompletableFuture<Predictor.Prepared>> staged = batches.stream()
                .map(f -> f.thenApply(inputs -> predictor.prepare(model, inputs))).toList();
        long firstIn = 0;
        for (int b = 0; b < staged.size(); b++) {
            Predictor.Prepared p = staged.get(b).get();
            if (b == 0) {
                firstIn = System.nanoTime() - start;
            }
            for (Predictor.Output o : p.predict()) {
                if (o.failedStage() != null) {
                    throw new IllegalStateException("bench item failed: " + o.reason());
                }
            }
        }
        return firstIn;
    }

    /**
     * ONNX Runtime's CPU per photo over batches of 32 already made into tensors, with {@code threads} intra-op threads
     * that sleep when idle (as {@link OnnxPredictor} sets them): the process's CPU clock, which counts ORT's threads.
     */
    static double ortCpuMs(byte[] onnx, int threads, com.sun.management.OperatingSystemMXBean os) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        options.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (ai.onnxruntime.OrtSession session = env.createSession(onnx, options)) {
            String input = session.getInputNames().iterator().next();
            float[] data = new float[BATCH * 3 * 224 * 224];
            java.util.Arrays.fill(data, 0.1f);
            int rounds = 6;
            long cpu = 0;
            for (int r = -2; r < rounds; r++) {
                if (r == 0) {
                    cpu = os.getProcessCpuTime();
                }
                try (ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(env,
                        java.nio.FloatBuffer.wrap(data), new long[]{BATCH, 3, 224, 224});
                     ai.onnxruntime.OrtSession.Result result = session.run(java.util.Map.of(input, t))) {
                    result.get(0);
                }
            }
            return (os.getProcessCpuTime() - cpu) / 1e6 / (rounds * BATCH);
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
