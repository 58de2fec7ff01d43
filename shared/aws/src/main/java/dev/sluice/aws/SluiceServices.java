package dev.sluice.aws;

import dev.sluice.core.Clock;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.net.OutboundGuard;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;
import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.webhook.WebhookService;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.time.Duration;

/**
 * The composition root: every service wired to the AWS adapters. The Lambda functions build it from the clients
 * Quarkus configures; `sluice local` and the tests build it from clients pointed at the emulators.
 */
public final class SluiceServices {
    /** Items larger than this are failedGather. */
    public static final long MAX_ITEM_BYTES = 32L * 1024 * 1024;
    /** Fan-out hands over to a continuation when less than this is left of its invocation. */
    public static final long FANOUT_RESERVE_MILLIS = 20_000;

    public final SluiceConfig config;
    public final Clock clock;
    public final JobStore jobStore;
    public final Catalog catalog;
    public final BatchQueue queue;
    public final ObjectStore objects;
    public final ApiKeys apiKeys;
    public final DatasetService datasets;
    public final ModelService models;
    public final WebhookService webhooks;
    public final JobService jobs;
    /** Every user-given URL (items, webhook endpoints) passes this before a request goes out. */
    public final OutboundGuard guard;
    public final dev.sluice.core.deployment.DeploymentService deployments;
    public final dev.sluice.core.job.JobCompletion completion;
    public final dev.sluice.core.execution.ExecutionStore executionStore;
    public final dev.sluice.core.execution.FolderStore folders;
    public final dev.sluice.core.port.SecretStore secrets;
    public final dev.sluice.core.execution.ExecutionService executions;

    public SluiceServices(DynamoDbClient dynamo, SqsClient sqs, S3Client s3, S3Presigner presigner,
                          SluiceConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.jobStore = new DynamoJobStore(dynamo, config);
        this.catalog = new DynamoCatalog(dynamo, config);
        this.queue = new SqsBatchQueue(sqs, config);
        this.objects = new S3ObjectStore(s3, presigner, config);
        this.apiKeys = new ApiKeys(new DynamoApiKeyStore(dynamo, config), catalog, clock);
        this.datasets = new DatasetService(catalog, objects, queue, clock);
        this.models = new ModelService(catalog, objects, clock);
        this.guard = new OutboundGuard(OutboundGuard.Resolver.SYSTEM, config.allowLocalUrls());
        if (!dev.sluice.core.net.PinnedAddresses.active()) {
            java.util.logging.Logger.getLogger(SluiceServices.class.getName()).warning("the address pinning resolver is"
                    + " not installed in this JVM: outbound requests are checked, but DNS rebinding is not excluded");
        }
        this.webhooks = new WebhookService(catalog, clock, config.allowLocalUrls(),
                new WebhookClient(Duration.ofSeconds(5), guard));
        this.completion = new dev.sluice.core.job.JobCompletion(jobStore, objects, queue, clock);
        this.deployments = new dev.sluice.core.deployment.DeploymentService(catalog, models, clock);
        this.jobs = new JobService(jobStore, datasets, models, webhooks, queue, clock, completion, objects, deployments);
        this.executionStore = new DynamoExecutionStore(dynamo, config);
        this.folders = new UserFolders(s3);
        // local mode keeps secrets in files; on AWS they are in Secrets Manager (a client made on first use only)
        this.secrets = config.localMode() ? LocalSecrets.fromEnvironment()
                : new SecretsManagerStore(() -> software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.builder()
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build());
        this.executions = new dev.sluice.core.execution.ExecutionService(executionStore, models, folders,
                new dev.sluice.core.execution.FileList(objects), queue, clock, config.allowLocalUrls(), secrets,
                config.allowedExecutionBuckets());
    }

    public FanoutService fanout() {
        return new FanoutService(jobStore, catalog, datasets, objects, queue,
                new ItemParser(config.allowLocalUrls()), clock, FANOUT_RESERVE_MILLIS, completion);
    }

    /** The worker of execution file tasks: tabular models through tabular, image models through images. */
    public dev.sluice.core.execution.ExecutionRunner executionRunner(dev.sluice.core.inference.TabularPredictor tabular,
                                                                     Predictor images,
                                                                     dev.sluice.core.execution.TableFormat formats) {
        return new dev.sluice.core.execution.ExecutionRunner(executionStore, executions, models, formats,
                tabular, images, itemFetcher(), clock);
    }

    /**
     * The whole fetch of one item (20 s). The system property {@value #GATHER_DEADLINE_PROPERTY} (milliseconds) sets
     * another for the local stack's tests: on a busy 2-core machine the tests' own image server can be slower than a
     * real host, and a test that expects every item to arrive must not depend on how busy the machine is.
     */
    static final String GATHER_DEADLINE_PROPERTY = "sluice.gather.deadlineMillis";

    private ItemFetcher itemFetcher() {
        return new ItemFetcher(objects, Duration.ofSeconds(5),
                Duration.ofMillis(Long.getLong(GATHER_DEADLINE_PROPERTY, 20_000)), MAX_ITEM_BYTES,
                config.allowLocalUrls(), guard, config.allowedItemBuckets());
    }

    public BatchProcessor batchProcessor(Predictor predictor) {
        return batchProcessor(predictor, false);
    }

    /** @param oneTensorPerCall the GPU pool's mode: one tensor across all batches of a call */
    public BatchProcessor batchProcessor(Predictor predictor, boolean oneTensorPerCall) {
        return new BatchProcessor(jobStore, catalog, itemFetcher(), predictor, objects, queue, clock, oneTensorPerCall,
                completion);
    }

    public dev.sluice.core.schedule.Scheduler scheduler() {
        return new dev.sluice.core.schedule.Scheduler(jobStore, clock, completion, deadLetters(), executions);
    }

    public dev.sluice.core.deadletter.DeadLetterService deadLetters() {
        return new dev.sluice.core.deadletter.DeadLetterService(jobStore, catalog, queue, fanout(), delivery(), jobs,
                completion, clock, executions);
    }

    public DeliveryService delivery() {
        return new DeliveryService(jobStore, webhooks, new WebhookClient(Duration.ofSeconds(5), guard),
                queue, objects, clock, completion);
    }
}
