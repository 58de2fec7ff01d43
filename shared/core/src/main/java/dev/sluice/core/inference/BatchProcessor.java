package dev.sluice.core.inference;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Item;
import dev.sluice.core.delivery.DeliveryMessage;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.model.Model;
import dev.sluice.core.port.BatchQueue;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.JobStore;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * Runs one batch: gather every item (concurrently), preprocess and predict the gathered ones as one tensor, write
 * the batch's results part, commit counters and log entries once, and hand the predictions to delivery.
 *
 * <p>Order matters for exactly-once accounting: the commit comes before the delivery message, and the delivery
 * message is sent even when the commit finds the batch already committed. A handler that dies after committing
 * and before sending is redelivered, commits nothing twice, and sends the deliveries it owes; the delivery ledger
 * drops a second copy.
 */
public final class BatchProcessor {
    public static final String STAGE = "inference";
    private static final Logger LOG = Logger.getLogger(BatchProcessor.class.getName());

    private final JobStore jobs;
    private final Catalog catalog;
    private final ItemFetcher fetcher;
    private final Predictor predictor;
    private final ObjectStore objects;
    private final BatchQueue queue;
    private final Clock clock;
    private final ExecutorService gatherPool = Executors.newVirtualThreadPerTaskExecutor();
    /** Ready models are immutable; cache them per container by id. */
    private final Map<String, Model> models = new ConcurrentHashMap<>();

    public BatchProcessor(JobStore jobs, Catalog catalog, ItemFetcher fetcher, Predictor predictor,
                          ObjectStore objects, BatchQueue queue, Clock clock) {
        this.jobs = jobs;
        this.catalog = catalog;
        this.fetcher = fetcher;
        this.predictor = predictor;
        this.objects = objects;
        this.queue = queue;
        this.clock = clock;
    }

    public static String resultsPartKey(Job job, String batchId) {
        return "results/" + job.projectId() + "/" + job.id() + "/parts/" + batchId + ".ndjson";
    }

    public void process(BatchMessage batch) {
        Job job = jobs.get(batch.jobId()).orElse(null);
        if (job == null) {
            LOG.warning(() -> "batch " + batch.batchId() + " of unknown job " + batch.jobId() + " dropped");
            return;
        }
        long now = clock.nowMillis();
        if (job.status().overview().isTerminal()) {
            List<LogEntry> skipped = batch.items().stream().map(i -> LogEntry.failure("ItemSkipped", now, i.url(),
                    i.index(), "Skipped", "job.terminal: the job was " + job.status().overview())).toList();
            commit(job, batch.batchId(), new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, batch.items().size()), skipped);
            return;
        }
        Model model = model(job);
        String webhookId = job.spec().webhookId();

        List<Future<Gathered>> futures = new ArrayList<>();
        for (Item item : batch.items()) {
            futures.add(gatherPool.submit(() -> gather(item)));
        }
        List<Gathered> gathered = new ArrayList<>();
        List<LogEntry> entries = new ArrayList<>();
        List<Predictor.Input> inputs = new ArrayList<>();
        long failedGather = 0;
        for (Future<Gathered> f : futures) {
            Gathered g = join(f);
            if (g.fetched.ok()) {
                gathered.add(g);
                inputs.add(new Predictor.Input(g.item.index(), g.fetched.bytes()));
                entries.add(LogEntry.info("ItemGathered", clock.nowMillis(), g.item.url(), g.item.index(), "Gathered", g.ms));
            } else {
                failedGather++;
                entries.add(LogEntry.failure("ItemFailedGather", clock.nowMillis(), g.item.url(), g.item.index(),
                        "FailedGather", g.fetched.errorCode() + ": " + g.fetched.reason()));
            }
        }
        List<Predictor.Output> outputs = inputs.isEmpty() ? List.of() : predictor.predict(model, inputs);
        inputs.clear();

        long failedProcess = 0;
        long failedPredict = 0;
        List<DeliveryMessage.Payload> payloads = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        for (int i = 0; i < gathered.size(); i++) {
            Gathered g = gathered.get(i);
            Predictor.Output out = outputs.get(i);
            long t = clock.nowMillis();
            if (out.failedStage() == null) {
                entries.add(LogEntry.info("ItemPreprocessed", t, g.item.url(), g.item.index(), "Preprocessed", out.preprocessMs()));
                entries.add(LogEntry.info("ItemPredicted", t, g.item.url(), g.item.index(), "Predicted", out.predictMs()));
                String body = Json.write(payload(job, model, g, out));
                part.append(body).append('\n');
                payloads.add(new DeliveryMessage.Payload(g.item.index(), g.item.url(), body));
            } else if (Predictor.PROCESS.equals(out.failedStage())) {
                failedProcess++;
                entries.add(LogEntry.failure("ItemFailedProcess", t, g.item.url(), g.item.index(), "FailedProcess", out.reason()));
            } else {
                failedPredict++;
                entries.add(LogEntry.info("ItemPreprocessed", t, g.item.url(), g.item.index(), "Preprocessed", out.preprocessMs()));
                entries.add(LogEntry.failure("ItemFailedPredict", t, g.item.url(), g.item.index(), "FailedPredict", out.reason()));
            }
        }
        long predicted = payloads.size();
        if (predicted > 0) {
            objects.put(resultsPartKey(job, batch.batchId()), part.toString().getBytes(StandardCharsets.UTF_8),
                    "application/x-ndjson");
        }
        // Without a webhook the results part in S3 is the delivery.
        long deliveredHere = webhookId == null ? predicted : 0;
        ItemCounters delta = new ItemCounters(gathered.size(), failedGather, gathered.size() - failedProcess,
                failedProcess, predicted, failedPredict, deliveredHere, 0, 0);
        commit(job, batch.batchId(), delta, entries);
        if (webhookId != null && predicted > 0 && !jobs.isCommitted(job.id(), "delivery", batch.batchId())) {
            queue.send(BatchQueue.Name.DELIVERY,
                    Json.write(new DeliveryMessage(job.id(), batch.batchId(), webhookId, payloads)), 0);
        }
    }

    private void commit(Job job, String batchId, ItemCounters delta, List<LogEntry> entries) {
        jobs.commit(new JobStore.StageCommit(job.id(), STAGE, batchId, delta, entries, clock.nowMillis()));
        if (delta.terminal() > 0) {
            jobs.finishIfComplete(job.id(), clock.nowMillis());
        }
    }

    private Model model(Job job) {
        String id = job.spec().deployment().modelId();
        return models.computeIfAbsent(id, k -> catalog.get(job.projectId(), k, Model.class)
                .orElseThrow(() -> new IllegalStateException("model " + k + " of job " + job.id() + " is missing")));
    }

    private Gathered gather(Item item) {
        long start = System.nanoTime();
        ItemFetcher.Fetched fetched = fetcher.fetch(item.url());
        return new Gathered(item, fetched, (System.nanoTime() - start) / 1e6);
    }

    private static Gathered join(Future<Gathered> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while gathering", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("gather failed unexpectedly", e.getCause());
        }
    }

    private static Map<String, Object> payload(Job job, Model model, Gathered g, Predictor.Output out) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("index", g.item.index());
        if (g.item.id() != null) {
            item.put("id", g.item.id());
        }
        item.put("kind", g.item.kind());
        item.put("url", g.item.url());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", job.id());
        body.put("item", item);
        body.put("prediction", out.prediction());
        Map<String, Object> modelRef = new LinkedHashMap<>();
        modelRef.put("id", model.id());
        modelRef.put("task", model.task().name());
        body.put("model", modelRef);
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("gatherMs", round(g.ms));
        timings.put("preprocessMs", round(out.preprocessMs()));
        timings.put("predictMs", round(out.predictMs()));
        body.put("timings", timings);
        return body;
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private record Gathered(Item item, ItemFetcher.Fetched fetched, double ms) {
    }
}
