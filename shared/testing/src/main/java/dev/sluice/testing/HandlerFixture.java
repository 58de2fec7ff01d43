package dev.sluice.testing;

import dev.sluice.aws.Components;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Clock;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.model.Model;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import software.amazon.awssdk.core.sync.RequestBody;

import java.util.List;

/**
 * What a handler test needs: the emulators, the provisioned resources, the services, and the records that the
 * sample events in events/ refer to (project proj_events, key sk_events_example_key_0001, job batchjob_events0001,
 * model model_events0001, webhook webhook_events0001, items in bucket sluice-events-items, the one bucket s3:// items
 * may be read from here; executions may reach sluice-events-executions).
 */
public final class HandlerFixture implements AutoCloseable {
    public static final String PROJECT = "proj_events";
    public static final String API_KEY = "sk_events_example_key_0001";
    public static final String JOB = "batchjob_events0001";
    public static final String MODEL = "model_events0001";
    public static final String WEBHOOK = "webhook_events0001";
    public static final String DATASET = "dataset_events0001";
    public static final String ITEMS_BUCKET = "sluice-events-items";
    /** The bucket executions of the handler tests may name (allowed as an operator allows one). */
    public static final String EXECUTIONS_BUCKET = "sluice-events-executions";

    /**
     * The JVM's emulators, shared by its fixtures: each fixture provisions tables, queues and a data bucket of its own
     * prefix on them (as fixtures share one external emulator with -Plocalstack), and starting them was most of a
     * fixture's cost (S3Mock's boot). Started by the first fixture, stopped when the JVM exits.
     */
    public final EmulatorStack emulators = sharedEmulators();
    public final LocalProvisioner.Clients clients;
    /** A prefix of its own, so fixtures can share one external emulator (-Plocalstack). */
    public final SluiceConfig config;
    /** The composition the handlers under test get their services from (default tunables). */
    public final Components services;

    public HandlerFixture() {
        this(List.of());
    }

    /** @param interceptors see every AWS request of the clients (to count or check them) */
    public HandlerFixture(List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> interceptors) {
        clients = LocalProvisioner.clients(emulators, interceptors);
        config = LocalProvisioner.provision(clients,
                "sluice-" + Long.toHexString(System.nanoTime() & 0xffffffL) + "-", LocalProvisioner.QueueSettings.TEST, true)
                .withBuckets(List.of(ITEMS_BUCKET), List.of(EXECUTIONS_BUCKET));
        services = new Components(clients.dynamo(), clients.sqs(), clients.s3(), clients.presigner(), config,
                Tunables.DEFAULTS, Clock.SYSTEM);
        services.apiKeys().register(PROJECT, API_KEY);
    }

    /** The sample classifier, uploaded and Ready, as model_events0001. */
    public Model readyModel() {
        Model model = new Model(MODEL, Model.OBJECT, "mobilenet", PROJECT, Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, Samples.imagenetLabels(),
                null, 0, 0);
        clients.s3().putObject(b -> b.bucket(config.bucket()).key(model.objectKey()),
                RequestBody.fromBytes(Samples.bytes(Samples.classifier())));
        Model ready = model.withStatus(new Model.Status(Model.State.Ready, null, "etag", 1L, null), 0);
        services.catalog().put(PROJECT, MODEL, ready);
        return ready;
    }

    public Webhook webhook(String endpoint, String secret) {
        Webhook webhook = new Webhook(WEBHOOK, Webhook.OBJECT, "hook", PROJECT,
                new Webhook.Spec(endpoint, new Webhook.Retries(2, 1000L)), secret, 0, 0);
        services.catalog().put(PROJECT, WEBHOOK, webhook);
        return webhook;
    }

    public Job job(long itemCount, String webhookId) {
        return job(JOB, itemCount, webhookId);
    }

    /** A Waiting job of the given id (several in one fixture), batchSize 32. */
    public Job job(String jobId, long itemCount, String webhookId) {
        JobSpec spec = new JobSpec(DATASET, new JobSpec.Deployment(MODEL), webhookId == null ? null
                : new JobSpec.ResultDelivery(List.of(new dev.sluice.core.destination.Destination.Webhook(webhookId))), null, null, 32);
        Job job = new Job(jobId, Job.OBJECT, "events", PROJECT, spec,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, itemCount, 1), 1, 1);
        services.jobStore().create(job);
        return job;
    }

    /** The bucket of the sample events' s3:// items, created if it is not there yet. */
    public void itemsBucket() {
        try {
            clients.s3().createBucket(b -> b.bucket(ITEMS_BUCKET));
        } catch (software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException
                 | software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException e) {
            // there already, from an earlier fixture on the same emulator
        }
    }

    /** The bucket executions of the handler tests may name, created if it is not there yet. */
    public void executionsBucket() {
        try {
            clients.s3().createBucket(b -> b.bucket(EXECUTIONS_BUCKET));
        } catch (software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException
                 | software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException e) {
            // there already, from an earlier fixture on the same emulator
        }
    }

    public int queueDepth(String queueUrl) {
        return Integer.parseInt(clients.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl)
                        .attributeNamesWithStrings("ApproximateNumberOfMessages"))
                .attributesAsStrings().get("ApproximateNumberOfMessages"));
    }

    private static EmulatorStack shared;

    private static synchronized EmulatorStack sharedEmulators() {
        if (shared == null) {
            EmulatorStack started = EmulatorStack.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "handler-fixture-emulators"));
            shared = started;
        }
        return shared;
    }

    /**
     * Removes this fixture's tables and queues from the shared emulators (what the next fixture in this JVM would
     * otherwise carry in memory) and closes its clients; the emulators keep running for the next fixture.
     */
    @Override
    public void close() {
        for (String table : List.of(config.jobsTable(), config.catalogTable(), config.keysTable(), config.ledgerTable(),
                config.logsTable())) {
            try {
                clients.dynamo().deleteTable(b -> b.tableName(table));
            } catch (RuntimeException gone) {
                // a test removed it already
            }
        }
        for (String queue : java.util.stream.Stream.of(config.fanoutQueueUrl(), config.inferenceQueueUrl(),
                config.deliveryQueueUrl(), config.inferenceGpuQueueUrl()).filter(java.util.Objects::nonNull).toList()) {
            try {
                clients.sqs().deleteQueue(b -> b.queueUrl(queue));
            } catch (RuntimeException gone) {
                // a test removed it already
            }
        }
        clients.dynamo().close();
        clients.sqs().close();
        clients.s3().close();
        clients.presigner().close();
    }
}
