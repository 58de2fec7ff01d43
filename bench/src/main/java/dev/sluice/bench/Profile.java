package dev.sluice.bench;

import dev.sluice.local.Samples;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * `./sluice bench --profile [--stage] [FILE.jfr]`: the local job over the real photos of samples/large (or, with
 * {@code --stage}, the inference stage alone: {@link InferenceStageBench}, photos over loopback HTTP, no emulators)
 * under JDK Flight Recorder, then where its CPU and its waits went, per item, the hottest methods and the allocation
 * sites. The recording (written to FILE, by default {@code bench/target/photo-job.jfr} or {@code photo-stage.jfr})
 * holds every sample: open it in JDK Mission Control or {@code jfr print}.
 *
 * <p>How CPU is split: JDK 25's CPU-time sampler ({@code jdk.CPUTimeSample}, one sample per 10 ms of a Java thread's
 * CPU, in Java or native code) attributes the JVM's threads by their stacks ({@link Category#of}); the OS's per-thread
 * clocks ({@code /proc/self/task}) give the JIT and GC threads, and what neither accounts for is ONNX Runtime's own
 * intra-op threads (native threads the JVM does not sample). S3Mock runs in a child process: its CPU is the child's
 * clock. Waits are the JVM's park, monitor-wait and socket-read events of 10 ms or more, summed over threads by the
 * first Sluice frame that waited (waits with none, idle pool threads, are left out); pinned virtual threads are
 * counted.
 */
final class Profile {
    private Profile() {
    }

    /** Where a sample's CPU went, decided by its stack (the first rule that matches, in this order). */
    enum Category {
        ONNX_RUNTIME("ONNX Runtime (the calling thread; its intra-op pool is below)"),
        DECODE("decode (libjpeg-turbo, PNG, ImageIO)"),
        RESIZE_NORMALISE("resize, crop, normalise"),
        FETCH("fetch (ItemFetcher, HTTP client)"),
        HOSTS("image server and webhook receiver (stand-ins for the users' hosts)"),
        EMULATORS("emulators in the JVM (ElasticMQ, DynamoDB Local)"),
        COMMIT("inference commit, results part, SQS (BatchProcessor and its AWS calls)"),
        DELIVERY("delivery (payloads, signed POSTs, its commit)"),
        FANOUT("fan-out"),
        POLLERS("event-source pollers, API and the bench's status polls"),
        OTHER("other JVM work (AWS SDK, logging, JDK)");

        final String label;

        Category(String label) {
            this.label = label;
        }

        static Category of(List<RecordedFrame> frames) {
            for (Category c : List.of(ONNX_RUNTIME, DECODE, RESIZE_NORMALISE, HOSTS, EMULATORS)) {
                for (RecordedFrame f : frames) {
                    if (c.matches(type(f))) {
                        return c;
                    }
                }
            }
            for (RecordedFrame f : frames) {
                String t = type(f);
                if (t.startsWith("dev.sluice.core.inference.ItemFetcher") || t.startsWith("dev.sluice.core.net.")) {
                    return FETCH;
                }
                if (t.contains(".delivery.")) {
                    return DELIVERY;
                }
                if (t.contains(".fanout.")) {
                    return FANOUT;
                }
                if (t.startsWith("dev.sluice.core.inference.") || t.startsWith("dev.sluice.function.inference.")) {
                    return COMMIT;
                }
                if (t.startsWith("dev.sluice.local.") || t.startsWith("dev.sluice.function.api.")
                        || t.startsWith("dev.sluice.cli.") || t.startsWith("dev.sluice.client.")) {
                    return POLLERS;
                }
            }
            for (RecordedFrame f : frames) {
                if (type(f).startsWith("jdk.internal.net.http.")) {
                    return FETCH; // the JDK HTTP client's selector threads (fetches, and the webhook POSTs too)
                }
            }
            return OTHER;
        }

        private boolean matches(String type) {
            return switch (this) {
                case ONNX_RUNTIME -> type.startsWith("ai.onnxruntime.");
                case DECODE -> type.startsWith("dev.sluice.inference.ImageDecoder") || type.startsWith("dev.sluice.inference.TurboJpeg")
                        || type.startsWith("dev.sluice.inference.PngFastPath") || type.startsWith("dev.sluice.inference.JpegSegments")
                        || type.startsWith("dev.sluice.inference.Orientation") || type.startsWith("org.bytedeco.")
                        || type.startsWith("javax.imageio.") || type.startsWith("com.twelvemonkeys.");
                case RESIZE_NORMALISE -> type.startsWith("dev.sluice.inference.ClassificationPreprocessor")
                        || type.startsWith("dev.sluice.inference.PillowResize") || type.startsWith("dev.sluice.inference.ObjectDetector");
                case HOSTS -> type.startsWith("dev.sluice.local.StaticFiles") || type.startsWith("dev.sluice.local.WebhookReceiver")
                        || type.startsWith("sun.net.httpserver.");
                case EMULATORS -> type.startsWith("org.elasticmq.") || type.startsWith("org.apache.pekko.")
                        || type.startsWith("com.amazonaws.services.dynamodbv2.") || type.startsWith("com.almworks.sqlite4java.")
                        || type.startsWith("org.eclipse.jetty.") || type.startsWith("scala.");
                default -> false;
            };
        }
    }

    private static String type(RecordedFrame f) {
        return f.getMethod() == null ? "" : f.getMethod().getType().getName();
    }

    /** CPU ticks of each OS thread of this process by thread, with its name (Linux; empty elsewhere). */
    private static Map<String, long[]> threadTicks() {
        Map<String, long[]> ticks = new HashMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return ticks;
        }
        try (var dirs = Files.list(tasks)) {
            for (Path t : dirs.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(t.getFileName() + " " + name, new long[]{Long.parseLong(f[11]) + Long.parseLong(f[12])});
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            return ticks;
        }
        return ticks;
    }

    private static long childCpuNanos() {
        return ProcessHandle.current().descendants().mapToLong(p -> p.info().totalCpuDuration()
                .map(Duration::toNanos).orElse(0L)).sum();
    }

    /**
     * @param stage the inference stage alone ({@link InferenceStageBench}: photos over loopback HTTP, no emulators)
     *              instead of the local job
     */
    static void run(Path file, boolean quick, boolean stage) throws Exception {
        List<String> names = PhotoBench.photos();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long[] cpu = new long[4];
        Instant[] window = new Instant[2];
        Map<String, Map<String, long[]>> ticks = new HashMap<>();
        Files.createDirectories(file.toAbsolutePath().getParent());
        PipelineBench.Probe probe = new PipelineBench.Probe() {
            @Override
            public void start() {
                window[0] = Instant.now();
                ticks.put("before", threadTicks());
                cpu[0] = os.getProcessCpuTime();
                cpu[1] = childCpuNanos();
            }

            @Override
            public void stop() {
                cpu[2] = os.getProcessCpuTime();
                cpu[3] = childCpuNanos();
                ticks.put("after", threadTicks());
                window[1] = Instant.now();
            }
        };
        PipelineBench.Result job = null;
        InferenceStageBench.Result stageResult = null;
        int items;
        try (Recording recording = new Recording()) {
            recording.enable("jdk.CPUTimeSample").with("throttle", "10ms").withStackTrace();
            recording.enable("jdk.ThreadPark").withThreshold(Duration.ofMillis(10)).withStackTrace();
            recording.enable("jdk.JavaMonitorWait").withThreshold(Duration.ofMillis(10)).withStackTrace();
            recording.enable("jdk.SocketRead").withThreshold(Duration.ofMillis(10)).withStackTrace();
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ofMillis(1)).withStackTrace();
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "150/s").withStackTrace();
            recording.enable("jdk.GarbageCollection");
            recording.start();
            if (stage) {
                int invocations = quick ? 2 : 4;
                items = invocations * InferenceStageBench.BATCHES_PER_INVOCATION * InferenceStageBench.BATCH;
                stageResult = InferenceStageBench.run(PhotoBench.folder(), names, Samples.bytes(Samples.classifier()),
                        PhotoBench.model(dev.sluice.core.model.Model.Preprocess.DECODE_FAST), invocations,
                        Runtime.getRuntime().availableProcessors(), probe);
            } else {
                items = quick ? 480 : 960;
                job = PipelineBench.run(items, 32, PhotoBench.folder(), names, probe);
            }
            recording.stop();
            recording.dump(file);
        }
        double perItem = 1.0 / items;
        Map<Category, Double> cpuMs = new EnumMap<>(Category.class);
        Map<String, Double> waits = new TreeMap<>();
        Map<String, Double> hottest = new HashMap<>();
        Map<String, Double> allocated = new HashMap<>();
        long pinned = 0;
        double pinnedMs = 0;
        double sampledMs = 0;
        long lost = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getStartTime().isBefore(window[0]) || e.getStartTime().isAfter(window[1])) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace() == null ? List.of() : e.getStackTrace().getFrames();
            switch (e.getEventType().getName()) {
                case "jdk.CPUTimeSample" -> {
                    double ms = e.getDuration("samplingPeriod").toNanos() / 1e6;
                    cpuMs.merge(Category.of(frames), ms, Double::sum);
                    sampledMs += ms;
                    if (!frames.isEmpty()) {
                        hottest.merge(frameName(frames.get(0)), ms, Double::sum);
                    }
                }
                case "jdk.CPUTimeSamplesLost" -> lost += e.getInt("lostSamples");
                case "jdk.ObjectAllocationSample" -> allocated.merge(allocationSite(frames),
                        (double) e.getLong("weight"), Double::sum);
                case "jdk.VirtualThreadPinned" -> {
                    pinned++;
                    pinnedMs += e.getDuration().toNanos() / 1e6;
                }
                case "jdk.ThreadPark", "jdk.JavaMonitorWait", "jdk.SocketRead" -> {
                    String site = waitSite(frames);
                    if (site != null) { // not an idle pool thread waiting for work
                        waits.merge(e.getEventType().getName().substring(4) + " " + site,
                                e.getDuration().toNanos() / 1e6, Double::sum);
                    }
                }
                default -> {
                }
            }
        }
        double processMs = (cpu[2] - cpu[0]) / 1e6;
        double childMs = (cpu[3] - cpu[1]) / 1e6;
        double jitMs = 0;
        double gcMs = 0;
        long hz = 100; // USER_HZ: /proc's clock ticks per second on Linux
        for (Map.Entry<String, long[]> t : ticks.get("after").entrySet()) {
            long before = ticks.get("before").getOrDefault(t.getKey(), new long[]{0})[0];
            double ms = (t.getValue()[0] - before) * 1000.0 / hz;
            String name = t.getKey().substring(t.getKey().indexOf(' ') + 1);
            if (name.startsWith("C1 Compi") || name.startsWith("C2 Compi")) {
                jitMs += ms;
            } else if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
                gcMs += ms;
            }
        }
        double unsampled = Math.max(0, processMs - sampledMs - jitMs - gcMs);

        Table table = new Table();
        String section = "profile";
        double seconds = java.time.Duration.between(window[0], window[1]).toNanos() / 1e9;
        String what = stage
                ? String.format("inference stage alone, %d photos over loopback HTTP, %.1f s, %.1f items/s"
                        + " (%.2f of the limit)", items, seconds, stageResult.itemsPerSecond(), stageResult.ofLimit())
                : String.format("local job of %d photos (create → %s), %.1f s, %.1f items/s", items, job.overview(),
                        job.seconds(), job.itemsPerSecond());
        table.add(section, what + "; recording: " + file, String.format(
                "%.1f CPU-ms per item in the JVM + %.1f in child processes (%d cores: %.0f%% busy)", processMs * perItem,
                childMs * perItem, Runtime.getRuntime().availableProcessors(), 100 * (processMs + childMs)
                        / (seconds * 1000 * Runtime.getRuntime().availableProcessors())), null, null);
        for (Category c : Category.values()) {
            double ms = cpuMs.getOrDefault(c, 0.0);
            table.add(section, "CPU: " + c.label, String.format("%.2f ms per item (%.0f%%)", ms * perItem,
                    100 * ms / (processMs + childMs)), null, null);
        }
        table.add(section, "CPU: ONNX Runtime's intra-op threads and other native threads (not sampled: the rest of the"
                + " process clock)", String.format("%.2f ms per item (%.0f%%)", unsampled * perItem,
                100 * unsampled / (processMs + childMs)), null, null);
        table.add(section, "CPU: JIT compiler / GC threads", String.format("%.2f / %.2f ms per item", jitMs * perItem,
                gcMs * perItem), null, null);
        table.add(section, "CPU: S3Mock (child process)", String.format("%.2f ms per item (%.0f%%)", childMs * perItem,
                100 * childMs / (processMs + childMs)), null, null);
        if (lost > 0) {
            table.add(section, "CPU samples lost (attributed to nothing)", lost + " samples", null, null);
        }
        waits.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(8)
                .forEach(w -> table.add(section, "wait (thread-ms summed over threads): " + w.getKey(),
                        String.format("%.1f ms per item", w.getValue() * perItem), null, null));
        table.add(section, "virtual threads pinned ≥ 1 ms", String.format("%d times, %.0f ms in all", pinned, pinnedMs),
                null, null);
        hottest.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(12)
                .forEach(h -> table.add(section, "hottest (sampled CPU by the running method): " + h.getKey(),
                        String.format("%.2f ms per item", h.getValue() * perItem), null, null));
        double allocatedAll = allocated.values().stream().mapToDouble(Double::doubleValue).sum();
        allocated.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(8)
                .forEach(a -> table.add(section, "allocated (JFR's sampled weight) at: " + a.getKey(),
                        String.format("%.0f KiB per item (%.0f%%)", a.getValue() * perItem / 1024,
                                100 * a.getValue() / allocatedAll), null, null));
        if (stage) {
            table.add(section, "per photo CPU measured alone: decode + preprocess (1 thread) / ONNX Runtime",
                    String.format("%.2f / %.2f ms → limit %.1f items/s", stageResult.decodeCpuMs(),
                            stageResult.ortCpuMs(), stageResult.limitItemsPerSecond()), null, null);
        } else {
            table.add(section, "job per item: gather / preprocess / predict (payload timings)",
                    String.format("%.2f / %.2f / %.2f ms", job.gatherMs(), job.preprocessMs(), job.predictMs()), null, null);
        }
        System.out.println(table.render());
    }

    /** The first Sluice frame of a waiting stack (Class.method), or null when none is Sluice's (an idle pool thread). */
    private static String waitSite(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (type(f).startsWith("dev.sluice.")) {
                String t = type(f);
                return t.substring(t.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
            }
        }
        return null;
    }

    /** Class.method of a frame. */
    private static String frameName(RecordedFrame f) {
        String t = type(f);
        return t.substring(t.lastIndexOf('.') + 1) + "." + (f.getMethod() == null ? "?" : f.getMethod().getName());
    }

    /** Where an allocation was made: the first Sluice frame (Class.method), else the allocating frame. */
    private static String allocationSite(List<RecordedFrame> frames) {
        String site = waitSite(frames);
        return site != null ? site : frames.isEmpty() ? "?" : frameName(frames.get(0));
    }

    static Path defaultFile(boolean stage) {
        return Samples.root().getParent().resolve(stage ? "bench/target/photo-stage.jfr" : "bench/target/photo-job.jfr");
    }
}
