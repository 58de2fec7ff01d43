package dev.sluice.core.fakes;

import dev.sluice.core.Ids;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobLifecycle;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.ExecutionTasks;
import dev.sluice.core.schedule.Scheduler;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookService;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Every port of the core as an in-memory fake, the services built over them the way the functions build them over
 * the AWS adapters, and the records a test starts from (a ready model, a webhook, a dataset, a job). One instance per
 * test; nothing is shared between tests.
 */
public final class FakeCore {
    public static final String PROJECT = "proj_test";

    public final FakeClock clock = new FakeClock();
    public final FakeJobStore jobs;
    public final FakeCatalog catalog = new FakeCatalog();
    public final FakeObjectStore objects = new FakeObjectStore();
    public final FakeBatchQueue queue = new FakeBatchQueue();
    /**
     * What the scheduler and the dead-letter drain reach executions through: none here, nothing to sweep (executions
     * live in their own module, whose test fakes set this to their ExecutionService); a recording fake in the core's
     * own tests.
     */
    public ExecutionTasks executionTasks = new ExecutionTasks() {
        @Override
        public int sweep() {
            return 0;
        }

        @Override
        public void abandon(dev.sluice.core.pipeline.ExecutionTask task, String reason) {
            throw new AssertionError("no executions in this test; task of " + task.execution() + " abandoned");
        }
    };
    /** The bucket executions and s3:// items may reach with the functions' own role. */
    public static final String USER_BUCKET = "user-bucket";
    public static final String DATA_BUCKET = "data";
    public final FakePredictor predictor = new FakePredictor();
    /** Users' buckets; {@link #DESTINATION_BUCKET} is the one S3 destinations may name. */
    public final FakeDestinationBuckets destinationBuckets = new FakeDestinationBuckets();
    public static final String DESTINATION_BUCKET = "user-results";
    public final dev.sluice.core.AllowedBuckets allowedDestinations =
            new dev.sluice.core.AllowedBuckets(java.util.Set.of(DESTINATION_BUCKET, DATA_BUCKET), DATA_BUCKET);
    public final FakeItemFetcher fetcher = new FakeItemFetcher();
    public final FakeWebhookClient webhookClient = new FakeWebhookClient();

    public FakeCore() {
        this(FakeJobStore.DYNAMO_TRANSACT_ACTIONS);
    }

    /** @param transactionActions the job store's actions per transaction (DynamoDB: 100) */
    public FakeCore(int transactionActions) {
        this.jobs = new FakeJobStore(clock, transactionActions);
    }

    // ---- services ----

    public final java.util.List<dev.sluice.core.job.JobEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();

    public JobLifecycle lifecycle() {
        return new JobLifecycle(jobs, objects, new dev.sluice.core.delivery.WebhookEvents(queue), published::add, clock,
                new dev.sluice.core.destination.S3Results(destinationBuckets, objects, allowedDestinations));
    }

    /** The Lambda mode: one tensor per batch. */
    public BatchProcessor batchProcessor() {
        return batchProcessor(fetcher);
    }

    public BatchProcessor batchProcessor(ItemFetcher itemFetcher) {
        return new BatchProcessor(jobs, catalog, itemFetcher, predictor, objects, queue, clock, false, lifecycle());
    }

    public WebhookService webhookService() {
        return new WebhookService(catalog, clock, false, webhookClient);
    }

    public DeliveryService delivery() {
        return new DeliveryService(jobs, webhookService(), webhookClient, queue, objects, clock, lifecycle(), deliveryLog());
    }

    public dev.sluice.core.delivery.DeliveryLog deliveryLog() {
        return new dev.sluice.core.delivery.DeliveryLog(objects, clock);
    }

    public dev.sluice.core.delivery.WebhookDeliveries webhookDeliveries() {
        return new dev.sluice.core.delivery.WebhookDeliveries(webhookService(), deliveryLog(), webhookClient, clock);
    }

    public DatasetService datasetService() {
        return new DatasetService(catalog, objects, queue, clock);
    }

    /** @param reserveMillis the time left at which the fan-out hands over to a continuation */
    public FanoutService fanout(long reserveMillis) {
        return new FanoutService(jobs, catalog, datasetService(), objects, queue, new ItemParser(false), clock,
                reserveMillis, lifecycle());
    }

    public JobService jobService() {
        return new JobService(jobs, datasetService(), new ModelService(catalog, objects, clock), webhookService(),
                queue, clock, lifecycle(), objects, null,
                new dev.sluice.core.dataset.DatasetScan(objects, new dev.sluice.core.dataset.ItemParser(true), null),
                allowedDestinations);
    }

    public DeadLetterService deadLetters() {
        return new DeadLetterService(jobs, catalog, queue, fanout(0), delivery(), jobService(), lifecycle(), clock,
                executionTasks);
    }

    public Scheduler scheduler() {
        return new Scheduler(jobs, clock, lifecycle(), deadLetters(), executionTasks, catalog,
                datasetService(), new ModelService(catalog, objects, clock));
    }

    // ---- records to start from ----

    public Model readyModel() {
        long now = clock.nowMillis();
        Model model = new Model(Ids.newId(Ids.MODEL, now), Model.OBJECT, "m", PROJECT, Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, List.of("cat", "dog"),
                new Model.Status(Model.State.Ready, null, "sha256:0", 10L, null), now, now);
        catalog.put(PROJECT, model.id(), model);
        return model;
    }

    public Webhook webhook(Integer maxRetries, Long maxBackoffMs) {
        long now = clock.nowMillis();
        Webhook webhook = new Webhook(Ids.newId(Ids.WEBHOOK, now), Webhook.OBJECT, "hook", PROJECT,
                new Webhook.Spec("https://hooks.example.com/in", new Webhook.Retries(maxRetries, maxBackoffMs)),
                dev.sluice.core.webhook.WebhookSignature.newSecret(), now, now);
        catalog.put(PROJECT, webhook.id(), webhook);
        return webhook;
    }

    /** A Ready dataset of these NDJSON lines (each followed by a newline), stored where the fan-out reads it. */
    public Dataset dataset(List<String> lines) {
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.DATASET, now);
        String key = Dataset.objectKey(PROJECT, id);
        String body = String.join("\n", lines) + "\n";
        objects.put(key, body.getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
        Dataset dataset = new Dataset(id, Dataset.OBJECT, "d", PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                new Dataset.Status(Dataset.State.Ready, null, (long) lines.size(), (long) body.length(),
                        objects.etag(key), null), now, now);
        catalog.put(PROJECT, id, dataset);
        return dataset;
    }

    /** A job in the given state over itemCount lines; webhookId may be null (results are then delivered by S3). */
    public Job job(JobState state, long itemCount, String webhookId, int batchSize, String datasetId) {
        long now = clock.nowMillis();
        JobSpec spec = new JobSpec(datasetId == null ? Ids.newId(Ids.DATASET, now) : datasetId,
                new JobSpec.Deployment(readyModel().id()),
                webhookId == null ? null : new JobSpec.ResultDelivery(List.of(new dev.sluice.core.destination.Destination.Webhook(webhookId))),
                null, null, batchSize);
        Job job = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "job", PROJECT, spec,
                new Job.Status(state, state.name(), null, ItemCounters.ZERO, itemCount, now), now, now);
        jobs.create(job);
        return job;
    }

    public Job runningJob(long itemCount, String webhookId) {
        return job(JobState.Running, itemCount, webhookId, JobSpec.DEFAULT_BATCH_SIZE, null);
    }
}
