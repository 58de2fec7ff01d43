package dev.sluice.aws;

import dev.sluice.core.Clock;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.deployment.DeploymentService;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.inference.TabularPredictor;
import dev.sluice.core.job.JobLifecycle;
import dev.sluice.core.job.JobEventSink;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.net.OutboundGuard;
import dev.sluice.core.net.PinnedAddresses;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;
import dev.sluice.core.port.SecretStore;
import dev.sluice.core.schedule.Scheduler;
import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.execution.ExecutionRunner;
import dev.sluice.execution.ExecutionService;
import dev.sluice.execution.ExecutionStore;
import dev.sluice.execution.FileList;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.TableFormat;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root, built on demand: every part (adapter or service) is made on its first use, with only the
 * parts it needs, and once: whoever asks again (the scheduler's dead-letter handling asking for the fan-out and
 * delivery services, the API asking for the job service) gets the same instance, with its pools and HTTP clients.
 * So a function that asks for the delivery service builds the job store, webhooks, queue, objects and completion,
 * and nothing of executions, API keys, models or Secrets Manager. Each function's wiring class asks for what its
 * handler uses; `sluice local` and the tests build one for the whole stack from clients pointed at the emulators.
 *
 * <p>Thread-safe: parts are made under this object's lock (a part's constructor makes no request).
 */
public final class Components {
    private static final Logger LOG = LoggerFactory.getLogger(Components.class);

    private final DynamoDbClient dynamo;
    private final SqsClient sqs;
    private final S3Client s3;
    private final S3Presigner presigner;
    private final SluiceConfig config;
    private final Tunables tunables;
    private final Clock clock;
    private final Map<String, Object> parts = new LinkedHashMap<>();
    private volatile dev.sluice.core.observe.Metrics metrics = dev.sluice.core.observe.Metrics.NONE;

    /**
     * Builds nothing yet.
     *
     * @param presigner signs upload URLs (the api function's datasets and models); null where nothing is uploaded
     */
    public Components(DynamoDbClient dynamo, SqsClient sqs, S3Client s3, S3Presigner presigner, SluiceConfig config,
                      Tunables tunables, Clock clock) {
        this.dynamo = dynamo;
        this.sqs = sqs;
        this.s3 = s3;
        this.presigner = presigner;
        this.config = config;
        this.tunables = tunables;
        this.clock = clock;
    }

    /**
     * A function's composition: resource names ({@link SluiceConfig#fromEnv}) and tunables ({@link Tunables#fromEnv})
     * from the process environment, the system clock.
     *
     * @throws IllegalStateException naming the variable that is missing or malformed
     */
    /**
     * A Lambda function's composition ({@link #fromEnvironment(DynamoDbClient, SqsClient, S3Client, S3Presigner)}),
     * with its JSON log lines installed ({@link dev.sluice.aws.observe.Logs}) and its metrics written as Embedded
     * Metric Format lines on standard output, both named by the function.
     *
     * @param function the function's short name: the {@code service} of its log lines and the {@code Function}
     *                 dimension of its metrics (api, fanout, inference, delivery, scheduler)
     */
    public static Components forFunction(String function, DynamoDbClient dynamo, SqsClient sqs, S3Client s3,
                                         S3Presigner presigner) {
        dev.sluice.aws.observe.Logs.install(function, dev.sluice.aws.observe.LogFormat.JSON);
        Components components = fromEnvironment(dynamo, sqs, s3, presigner);
        components.useMetrics(dev.sluice.aws.observe.EmfMetrics.toStandardOutput(function));
        return components;
    }

    /**
     * Where the parts made from now on report their metrics ({@link dev.sluice.core.observe.Metrics#NONE} until
     * this is called). Call it before the first part is made.
     *
     * @throws IllegalStateException when a part was made already (it would keep the old sink)
     */
    public synchronized Components useMetrics(dev.sluice.core.observe.Metrics sink) {
        if (!parts.isEmpty()) {
            throw new IllegalStateException("metrics are set before any part is made; made already: " + parts.keySet());
        }
        this.metrics = java.util.Objects.requireNonNull(sink);
        return this;
    }

    /** Where this composition's parts report their metrics. */
    public dev.sluice.core.observe.Metrics metrics() {
        return metrics;
    }

    public static Components fromEnvironment(DynamoDbClient dynamo, SqsClient sqs, S3Client s3, S3Presigner presigner) {
        Map<String, String> env = System.getenv();
        return new Components(dynamo, sqs, s3, presigner, SluiceConfig.fromEnv(env), Tunables.fromEnv(env),
                Clock.SYSTEM);
    }

    public SluiceConfig config() {
        return config;
    }

    public Tunables tunables() {
        return tunables;
    }

    public Clock clock() {
        return clock;
    }

    /** The names of the parts made so far, in the order they were made (what a function really built). */
    public synchronized List<String> built() {
        return List.copyOf(parts.keySet());
    }

    // --- adapters

    /** {@code GET /usage}: projects' daily usage sums in the jobs table ({@link DynamoUsageStore}). */
    public dev.sluice.core.usage.UsageService usage() {
        return part("usage", () -> new dev.sluice.core.usage.UsageService(new DynamoUsageStore(dynamo, config), clock));
    }

    public JobStore jobStore() {
        return part("jobStore", () -> new DynamoJobStore(dynamo, config, metrics));
    }

    public Catalog catalog() {
        return part("catalog", () -> new DynamoCatalog(dynamo, config));
    }

    public BatchQueue queue() {
        return part("queue", () -> new SqsBatchQueue(sqs, config));
    }

    public ObjectStore objects() {
        return part("objects", () -> new S3ObjectStore(s3, presigner, config));
    }

    public ExecutionStore executionStore() {
        return part("executionStore", () -> new DynamoExecutionStore(dynamo, config));
    }

    public FolderStore folders() {
        return part("folders", () -> new UserFolders(s3));
    }

    /** Stored secrets, from the backend {@link SluiceConfig#secretsBackend()} names. */
    public SecretStore secrets() {
        return part("secrets", () -> switch (config.secretsBackend()) {
            case FILES -> LocalSecrets.fromEnvironment();
            // a client made on first read only
            case SECRETS_MANAGER -> new SecretsManagerStore(() ->
                    software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.builder()
                            .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                            .build());
        });
    }

    /** The API's secrets: a project's own, values write-only. */
    public dev.sluice.core.secret.SecretService secretService() {
        return part("secretService", () -> new dev.sluice.core.secret.SecretService(secrets(), clock));
    }

    /** Every user-given URL (items, webhook endpoints) passes this before a request goes out. */
    public OutboundGuard guard() {
        return part("guard", () -> {
            if (!PinnedAddresses.active()) {
                LOG.warn("the address pinning resolver is not installed in this JVM: outbound requests are checked, but DNS"
                        + " rebinding is not excluded");
            }
            return new OutboundGuard(OutboundGuard.Resolver.SYSTEM, config.allowLocalUrls());
        });
    }

    /** The one HTTP client of webhook POSTs (deliveries and {@code :test}). */
    public WebhookClient webhookClient() {
        return part("webhookClient", () -> new dev.sluice.aws.observe.MeteredWebhookClient(tunables.webhookConnectTimeout(),
                guard(), metrics));
    }

    /** The one HTTP client of item fetches (every batch processor and execution runner of this process). */
    public ItemFetcher itemFetcher() {
        return part("itemFetcher", () -> new ItemFetcher(objects(), tunables.itemConnectTimeout(),
                tunables.itemDeadline(), tunables.maxItemBytes(), config.allowLocalUrls(), guard(),
                config.allowedItemBuckets()));
    }

    // --- services

    /** Idempotent creates of the API (the {@code Idempotency-Key} header), their records in the catalog table. */
    public dev.sluice.core.idempotency.IdempotentRequests idempotentRequests() {
        return part("idempotentRequests", () -> new dev.sluice.core.idempotency.IdempotentRequests(
                new DynamoIdempotencyStore(dynamo, config), clock));
    }

    public ApiKeys apiKeys() {
        return part("apiKeys", () -> new ApiKeys(new DynamoApiKeyStore(dynamo, config), catalog(), clock));
    }

    public DatasetService datasets() {
        return part("datasets", () -> new DatasetService(catalog(), objects(), queue(), clock));
    }

    public ModelService models() {
        return part("models", () -> new ModelService(catalog(), objects(), clock));
    }

    public WebhookService webhooks() {
        return part("webhooks", () -> new WebhookService(catalog(), clock, config.allowLocalUrls(), webhookClient()));
    }

    /** The owner of every job's state moves and events; it writes S3 destinations' results too. */
    public JobLifecycle lifecycle() {
        return part("lifecycle", () -> new JobLifecycle(jobStore(), objects(), new dev.sluice.core.delivery.WebhookEvents(queue()), eventSink(), clock,
                new dev.sluice.core.destination.S3Results(new S3DestinationBuckets(s3, config.bucket()), objects(),
                        config.allowedExecutionBuckets()), new dev.sluice.core.job.Throughput.History(catalog(), clock)));
    }

    /**
     * Where job events go besides webhooks: EventBridge when {@link SluiceConfig#eventBusName()} is set (a client made
     * on the first event only), else the log ({@code sluice local}).
     */
    public JobEventSink eventSink() {
        return part("eventSink", () -> config.eventBusName() == null ? JobEventSink.LOG
                : new EventBridgeJobEventSink(() -> software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                        .build(), config.eventBusName()));
    }

    public DeploymentService deployments() {
        return part("deployments", () -> new DeploymentService(catalog(), models(), clock));
    }

    public JobService jobs() {
        return part("jobs", () -> new JobService(jobStore(), datasets(), models(), webhooks(), queue(), clock,
                lifecycle(), objects(), deployments(), new dev.sluice.core.dataset.DatasetScan(objects(),
                new ItemParser(config.allowLocalUrls()), guard()), config.allowedExecutionBuckets()));
    }

    public ExecutionService executions() {
        return part("executions", () -> new ExecutionService(executionStore(), models(), folders(),
                new FileList(objects()), queue(), clock, config.allowLocalUrls(), secrets(),
                config.allowedExecutionBuckets(), executionRoles(), computeOffer(config.pools())));
    }

    /**
     * The projects' external ids and the principals customers' roles trust: the roles named by
     * {@value #ROLE_PRINCIPALS} (comma-separated ARNs, set by the CDK app and SAM template to the functions' and
     * tasks' roles; none in {@code sluice local}).
     */
    public dev.sluice.core.auth.ExecutionRoles executionRoles() {
        return part("executionRoles", () -> new dev.sluice.core.auth.ExecutionRoles(catalog(),
                java.util.Arrays.stream(System.getenv().getOrDefault(ROLE_PRINCIPALS, "").split(","))
                        .map(String::strip).filter(p -> !p.isEmpty()).toList(), clock));
    }

    /** The environment variable naming the roles that assume customers' roles for executions. */
    public static final String ROLE_PRINCIPALS = "SLUICE_ROLE_PRINCIPALS";

    public FanoutService fanout() {
        return part("fanout", () -> new FanoutService(jobStore(), catalog(), datasets(), objects(), queue(),
                new ItemParser(config.allowLocalUrls()), clock, tunables.fanoutReserve().toMillis(), lifecycle()));
    }

    public DeliveryService delivery() {
        return part("delivery", () -> new DeliveryService(jobStore(), webhooks(), webhookClient(), queue(), objects(), clock,
                lifecycle(), deliveryLog()));
    }

    /** Each webhook's recent POST attempts, in the data bucket. */
    public dev.sluice.core.delivery.DeliveryLog deliveryLog() {
        return part("deliveryLog", () -> new dev.sluice.core.delivery.DeliveryLog(objects(), clock));
    }

    /** The API's listing and replay of a webhook's delivery attempts. */
    public dev.sluice.core.delivery.WebhookDeliveries webhookDeliveries() {
        return part("webhookDeliveries", () -> new dev.sluice.core.delivery.WebhookDeliveries(webhooks(), deliveryLog(),
                webhookClient(), clock));
    }

    public DeadLetterService deadLetters() {
        return part("deadLetters", () -> new DeadLetterService(jobStore(), catalog(), queue(), fanout(), delivery(),
                jobs(), lifecycle(), clock, executions(), metrics));
    }

    public Scheduler scheduler() {
        return part("scheduler", () -> new Scheduler(jobStore(), clock, lifecycle(), deadLetters(), executions(),
                catalog(), datasets(), models()));
    }

    // --- made per predictor (each its own, as each predictor is its own)

    /** A processor over the inference queue (Lambda: one tensor per batch). */
    public BatchProcessor batchProcessor(Predictor predictor) {
        return batchProcessor(predictor, false);
    }

    /** @param oneTensorPerCall the GPU pool's mode: one tensor across all batches of a call */
    public BatchProcessor batchProcessor(Predictor predictor, boolean oneTensorPerCall) {
        return new BatchProcessor(jobStore(), catalog(), itemFetcher(), predictor, objects(), queue(), clock,
                oneTensorPerCall, lifecycle(), tunables.gatherPatience().toMillis(),
                dev.sluice.core.inference.GatherBudget.ofHeap(), metrics);
    }

    /** The worker of execution file tasks: tabular models through tabular, image models through images. */
    /** What executions may ask for ({@code compute}): Lambda's memory sizes, and each pool this deployment has. */
    static dev.sluice.execution.Compute.Offer computeOffer(SluiceConfig.Pools pools) {
        return dev.sluice.execution.Compute.Offer.lambda(pools.lambdaInstances())
                .with(dev.sluice.execution.Compute.Target.GpuPool, pools.gpuInstances())
                .with(dev.sluice.execution.Compute.Target.CpuPool, pools.cpuInstances());
    }

    public ExecutionRunner executionRunner(TabularPredictor tabular, Predictor images, TableFormat formats) {
        return executionRunner(tabular, images, formats, 1);
    }

    /** @param filesAtOnce the file tasks the process runs at once at most (their memory budgets share the heap) */
    public ExecutionRunner executionRunner(TabularPredictor tabular, Predictor images, TableFormat formats,
                                           int filesAtOnce) {
        return new ExecutionRunner(executionStore(), executions(), models(), formats, tabular, images, itemFetcher(),
                clock, filesAtOnce);
    }

    @SuppressWarnings("unchecked")
    private synchronized <T> T part(String name, Supplier<T> make) {
        Object made = parts.get(name);
        if (made == null) {
            made = make.get(); // may make the parts it needs first (same thread: the lock is reentrant)
            parts.put(name, made);
        }
        return (T) made;
    }
}
