package dev.sluice.bench;

import dev.sluice.client.SluiceClient;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.LocalStack;

import dev.sluice.core.Json;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.PipelineRequests;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A real job on the local stack: items/s from job creation to Finished, requests per 1,000 items, where time goes. */
final class PipelineBench {
    record Result(int items, double seconds, double itemsPerSecond, Map<String, Long> requests, double gatherMs,
                  double preprocessMs, double predictMs, long verifiedPosts, String overview, UsageCheck usage) {
        // verifiedPosts: the distinct items whose POSTs all carried a valid signature (-1 when one did not)
    }

    /**
     * The job's {@code status.usage} beside what the bench's own interceptor ({@link PipelineRequests}) counted for
     * it, per request class, once the pipeline is idle after the job ended: both sides count the same set (the
     * pipeline's requests that served the job, by the job each one served; not the API's, the scheduler's, empty
     * polls, the daily usage sum, or another job's).
     *
     * @param classes   per class: the job's figure beside the interceptor's
     * @param remainder what the process counted for the job that no write of it carried (the cost of its last write
     *                  and what followed it): shown + remainder = seen, exactly, when nothing is missed
     * @param seen      the interceptor's count by operation, of the requests that served the job
     * @param othersInWindow what the interceptor counted between the job's create and the idle pipeline after it
     *                  that served other jobs (the warm-up's late tail): in no job's comparison
     */
    record UsageCheck(List<PipelineRequests.ClassCheck> classes, dev.sluice.core.usage.Usage shown,
                      dev.sluice.core.usage.Usage remainder, dev.sluice.core.usage.Usage seenTotal,
                      Map<String, dev.sluice.core.usage.Usage> seen, dev.sluice.core.usage.Usage othersInWindow) {
        double worstGap() {
            return classes.stream().mapToDouble(PipelineRequests.ClassCheck::gap).max().orElse(0);
        }

        /** Whether every class's count plus the remainder is the interceptor's, exactly: no request unattributed. */
        boolean exact() {
            return PipelineRequests.compare(shown.plus(remainder), seenTotal).stream().allMatch(c -> c.gap() == 0);
        }
    }

    static Result run(int items, int batchSize) {
        return run(items, batchSize, Samples.root().resolve("images"), Samples.PHOTOS.stream().map(p -> p[0]).toList());
    }

    /** A job of {@code items} items cycled over the named photos of {@code folder}, served over HTTP. */
    static Result run(int items, int batchSize, java.nio.file.Path folder, List<String> photos) {
        return run(items, batchSize, folder, photos, Probe.NONE);
    }

    /** Told when the timed job starts (just before its create) and ends (once it is Finished): a profiler's window. */
    interface Probe {
        Probe NONE = new Probe() {
        };

        default void start() {
        }

        default void stop() {
        }
    }

    /** As {@link #run(int, int, java.nio.file.Path, List)}, with {@code probe} told of the timed job's start and end. */
    static Result run(int items, int batchSize, java.nio.file.Path folder, List<String> photos, Probe probe) {
        RequestCounter counter = new RequestCounter();
        PipelineRequests pipeline = new PipelineRequests();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.LOCAL,
                List.of(counter, pipeline), dev.sluice.local.StageWrapper.NONE,
                // images and the webhook receiver are served on loopback
                new LocalStack.Access(true, List.of(), List.of())));
             StaticFiles images = new StaticFiles(folder);
             WebhookReceiver receiver = new WebhookReceiver()) {
            SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
            JsonNode model = client.createModel("mobilenet", Samples.imagenetLabels());
            client.upload(model.path("status").path("source").path("uploadUrl"), Samples.bytes(Samples.classifier()));
            String modelId = model.get("id").asText();
            client.waitFor(() -> client.model(modelId), Duration.ofSeconds(30), "Uploading");
            StringBuilder ndjson = new StringBuilder();
            for (int i = 0; i < items; i++) {
                ndjson.append(Json.write(Map.of("kind", "Image",
                        "url", images.url(photos.get(i % photos.size()))))).append('\n');
            }
            JsonNode dataset = client.createDataset("bench");
            client.upload(dataset.path("status").path("source").path("uploadUrl"),
                    ndjson.toString().getBytes(StandardCharsets.UTF_8));
            String datasetId = dataset.get("id").asText();
            client.waitFor(() -> client.dataset(datasetId), Duration.ofSeconds(60), "Uploading", "Validating");
            JsonNode webhook = client.createWebhook("bench", receiver.url(), 3, 10_000);
            receiver.secret(webhook.get("secret").asText());
            warmUp(client, images, photos, modelId, webhook.get("id").asText(), batchSize);

            // the warm-up's end (its completion event, its last deletes) out of the way: the window holds one job
            stack.awaitIdle(Duration.ofMinutes(2));
            Map<String, Long> before = counter.snapshot();
            Map<String, dev.sluice.core.usage.Usage> pipelineBefore = pipeline.snapshot();
            Map<String, Long> cpuBefore = threadCpu();
            probe.start();
            long start = System.nanoTime();
            JsonNode job = client.createJob("bench", datasetId, modelId, webhook.get("id").asText(), batchSize);
            String jobId = job.get("id").asText();
            while (true) {
                job = client.job(jobId);
                if (!job.path("status").path("overview").asText().matches("Waiting|Running")) {
                    break;
                }
                SluiceClient.sleep(100);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            probe.stop();
            cpuByThreadGroup = RequestCounter.since(threadCpu(), cpuBefore);
            Map<String, Long> requests = RequestCounter.since(counter.snapshot(), before);
            // the job's end event and its last deletes run after Finished: compare once nothing is left to do
            stack.awaitIdle(Duration.ofMinutes(2));
            // the job's own requests, by the job each served (not the window's: another job's late tail may fall in it)
            Map<String, dev.sluice.core.usage.Usage> seen = pipeline.of(jobId);
            dev.sluice.core.usage.Usage others = PipelineRequests.requests(
                    PipelineRequests.total(pipeline.since(pipelineBefore)).minus(PipelineRequests.total(seen)));
            dev.sluice.core.usage.Usage shown = PipelineRequests.shown(client.job(jobId).path("status").path("usage"));
            dev.sluice.core.usage.Usage remainder = PipelineRequests.requests(dev.sluice.core.usage.UsageMeter.process().pending(jobId));
            dev.sluice.core.usage.Usage seenTotal = PipelineRequests.total(seen);
            UsageCheck usage = new UsageCheck(PipelineRequests.compare(shown, seenTotal), shown, remainder, seenTotal, seen,
                    others);
            double gather = 0;
            double preprocess = 0;
            double predict = 0;
            // each item delivered once: the distinct items whose every POST verified. A POST may be made again
            // (at least once on the wire: an attempt that outlived its message's visibility under load; receivers
            // de-duplicate by request id, README "retries counted per item"), so POSTs are not items
            java.util.Set<Long> verifiedItems = new java.util.HashSet<>();
            boolean anyUnverified = false;
            long counted = 0;
            for (WebhookReceiver.Received r : receiver.received()) {
                JsonNode body = Json.tree(r.body());
                if (!jobId.equals(body.path("jobId").asText()) || !body.path("item").has("index")) {
                    continue; // another job's, or a job event (job.completed: no item), whenever it arrives
                }
                counted++;
                anyUnverified |= !r.verified();
                verifiedItems.add(body.path("item").path("index").asLong(-1));
                gather += body.path("timings").path("gatherMs").asDouble();
                preprocess += body.path("timings").path("preprocessMs").asDouble();
                predict += body.path("timings").path("predictMs").asDouble();
            }
            return new Result(items, seconds, items / seconds, requests, gather / counted, preprocess / counted,
                    predict / counted, anyUnverified ? -1 : verifiedItems.size(), job.path("status").path("overview").asText(),
                    usage);
        }
    }

    /** CPU ms of this JVM's threads during the last run, by thread name with digits removed (JVM threads only). */
    static Map<String, Long> cpuByThreadGroup = Map.of();

    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new java.util.TreeMap<>();
        for (long id : mx.getAllThreadIds()) {
            java.lang.management.ThreadInfo info = mx.getThreadInfo(id);
            long ns = mx.getThreadCpuTime(id);
            if (info != null && ns > 0) {
                cpu.merge(info.getThreadName().replaceAll("[0-9]+", "#"), ns / 1_000_000, Long::sum);
            }
        }
        return cpu;
    }

    /** One small job first, so that JIT, the ONNX session and the pollers are warm, as in a busy deployment. */
    private static void warmUp(SluiceClient client, StaticFiles images, List<String> photos, String modelId,
                               String webhookId, int batchSize) {
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < batchSize * 4; i++) {
            ndjson.append(Json.write(Map.of("kind", "Image", "url", images.url(photos.get(i % photos.size()))))).append('\n');
        }
        JsonNode dataset = client.createDataset("warm-up");
        client.upload(dataset.path("status").path("source").path("uploadUrl"), ndjson.toString().getBytes(StandardCharsets.UTF_8));
        String id = dataset.get("id").asText();
        client.waitFor(() -> client.dataset(id), Duration.ofSeconds(60), "Uploading", "Validating");
        String jobId = client.createJob("warm-up", id, modelId, webhookId, batchSize).get("id").asText();
        client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
    }
}
