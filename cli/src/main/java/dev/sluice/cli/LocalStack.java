package dev.sluice.cli;

import dev.sluice.aws.Components;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.function.api.ApiHandler;
import dev.sluice.function.api.ApiRouter;
import dev.sluice.function.api.ApiServices;
import dev.sluice.function.delivery.DeliveryHandler;
import dev.sluice.function.fanout.FanoutHandler;
import dev.sluice.function.gpu.GpuWorker;
import dev.sluice.function.inference.InferenceHandler;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalEventSource;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.StageWrapper;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The whole of Sluice in one JVM: the emulators, the resources CDK would create, the api function behind a local
 * HTTP API, and the fanout, inference and delivery handlers driven by local event source mappings.
 */
public final class LocalStack implements AutoCloseable {
    /**
     * How the stack is built; tests change the queue settings and wrap the stages to inject faults. access: what users
     * may reach ({@link Access}). dataDir: where the stack keeps its state (tables, queues and messages, objects, and its project id, resource
     * names and key) so that a restart on it resumes the running jobs; null keeps everything in memory. tunables:
     * sizes and times of the pipeline, as the functions read them from their environment ({@link Tunables}).
     * inferenceBatchMessages: the inference event source's batch size, 1 to 10 SQS messages per invocation (the
     * {@code BatchSize} of Lambda's SQS event source mapping; {@link #INFERENCE_BATCH_MESSAGES} by default, as the
     * deployment sets it); an invocation's messages are committed together when it returns.
     */
    public record Options(int port, String apiKey, LocalProvisioner.QueueSettings queues,
                          List<ExecutionInterceptor> interceptors, StageWrapper stages, Access access, Path dataDir,
                          Tunables tunables, int inferenceBatchMessages) {
        /** The inference event source mapping's {@code BatchSize} on AWS; SQS receives at most 10 messages a call. */
        public static final int INFERENCE_BATCH_MESSAGES = 10;

        public Options {
            if (inferenceBatchMessages < 1 || inferenceBatchMessages > 10) {
                throw new IllegalArgumentException("--inference-batch-messages is 1 to 10 (SQS receives at most 10"
                        + " messages a call), not " + inferenceBatchMessages);
            }
        }

        public Options(int port, String apiKey, LocalProvisioner.QueueSettings queues,
                       List<ExecutionInterceptor> interceptors, StageWrapper stages, Access access) {
            this(port, apiKey, queues, interceptors, stages, access, null, Tunables.DEFAULTS, INFERENCE_BATCH_MESSAGES);
        }

        public static Options defaults(int port, String apiKey, Access access) {
            return new Options(port, apiKey, LocalProvisioner.QueueSettings.LOCAL, List.of(), StageWrapper.NONE, access);
        }

        public Options withDataDir(Path dir) {
            return new Options(port, apiKey, queues, interceptors, stages, access, dir, tunables, inferenceBatchMessages);
        }

        public Options withQueues(LocalProvisioner.QueueSettings settings) {
            return new Options(port, apiKey, settings, interceptors, stages, access, dataDir, tunables, inferenceBatchMessages);
        }

        public Options withTunables(Tunables values) {
            return new Options(port, apiKey, queues, interceptors, stages, access, dataDir, values, inferenceBatchMessages);
        }

        public Options withInferenceBatchMessages(int messages) {
            return new Options(port, apiKey, queues, interceptors, stages, access, dataDir, tunables, messages);
        }
    }

    /**
     * What users of the local stack may reach, as a deployment's operator decides it on AWS.
     *
     * @param allowLocalUrls   {@code SLUICE_ALLOW_LOCAL_URLS=true}: the outbound guard lets loopback and private
     *                         addresses through (webhooks, {@code http://} items), and {@code file://} items and
     *                         execution folders of this machine are read and written. Off by default
     * @param itemBuckets      {@code SLUICE_ITEM_BUCKETS}: buckets of the local S3 that {@code s3://} items may name
     * @param executionBuckets {@code SLUICE_EXECUTION_BUCKETS}: buckets executions may reach without stored credentials
     */
    public record Access(boolean allowLocalUrls, List<String> itemBuckets, List<String> executionBuckets) {
        public Access {
            itemBuckets = List.copyOf(itemBuckets);
            executionBuckets = List.copyOf(executionBuckets);
        }

        /**
         * From the environment of `sluice local`. strict ({@code --strict}): the rules of a deployment on AWS, whatever
         * the environment says: the guard refuses loopback, private and metadata addresses, only {@code https://} and
         * allowed {@code s3://} items, no {@code file://} items or folders. {@code SLUICE_ALLOW_LOCAL_URLS=true} with
         * {@code --strict} is refused rather than silently ignored.
         */
        public static Access fromEnvironment(java.util.Map<String, String> env, boolean strict) {
            boolean allowLocal = Boolean.parseBoolean(env.getOrDefault("SLUICE_ALLOW_LOCAL_URLS", "false"));
            if (strict && allowLocal) {
                throw new IllegalArgumentException("--strict keeps local URLs refused: unset SLUICE_ALLOW_LOCAL_URLS"
                        + " (it is true in this environment) or leave out --strict");
            }
            return new Access(allowLocal, dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_ITEM_BUCKETS")),
                    dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_EXECUTION_BUCKETS")));
        }
    }

    /**
     * The system property naming the file the stack appends its metrics to, as Embedded Metric Format lines
     * ({@code sluice local --metrics-file}); unset, metrics are not kept.
     */
    public static final String METRICS_FILE_PROPERTY = "sluice.local.metricsFile";

    /** The metrics of a local stack: EMF lines appended to {@link #METRICS_FILE_PROPERTY}'s file, or none. */
    static dev.sluice.core.observe.Metrics localMetrics() {
        String file = System.getProperty(METRICS_FILE_PROPERTY);
        if (file == null || file.isBlank()) {
            return dev.sluice.core.observe.Metrics.NONE;
        }
        java.nio.file.Path path = java.nio.file.Path.of(file);
        return new dev.sluice.aws.observe.EmfMetrics("local", line -> {
            synchronized (LocalStack.class) {
                try {
                    java.nio.file.Files.writeString(path, line + "\n", java.nio.charset.StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }, System::currentTimeMillis);
    }

    /** The file in a data directory that names the stack's project, resource prefix and key. */
    static final String IDENTITY_FILE = "local.properties";

    public final EmulatorStack emulators;
    public final LocalProvisioner.Clients clients;
    /** The stack's one composition: every handler, the scheduler and the API share its parts. */
    public final Components services;
    public final String projectId;
    public final String apiKey;
    private final OnnxPredictor predictor;
    private OnnxPredictor gpuPredictor;
    private GpuWorker gpuWorker;
    /**
     * The local task pool's worker (a child JVM; null until a file task is first sent to a pool queue) and the file it
     * logs to.
     */
    volatile LocalTaskWorker taskWorker;
    Path taskWorkerLog;
    private java.util.function.Supplier<LocalTaskWorker> taskWorkers;
    /** The pool queues' URLs: a message sent to one starts the task worker ({@link #poolSends}). */
    private volatile java.util.Set<String> poolQueueUrls = java.util.Set.of();
    private volatile boolean closing;

    /** A new task worker child in place of the current one (which is sent SIGTERM first, if alive): a new ECS task. */
    synchronized void restartTaskWorker() {
        if (taskWorker != null) {
            taskWorker.close();
        }
        taskWorker = taskWorkers.get();
    }

    /**
     * Starts the task worker child unless it runs: as ECS scales a pool's service up from zero on its queue's backlog.
     * A stack that never runs a pool execution never starts the child (most `sluice local` runs: a JVM less).
     */
    synchronized void ensureTaskWorker() {
        if (!closing && taskWorkers != null && (taskWorker == null || !taskWorker.isAlive())) {
            taskWorker = taskWorkers.get();
        }
    }

    /** An SQS interceptor that starts the task worker when a message is sent to a pool queue. */
    private software.amazon.awssdk.core.interceptor.ExecutionInterceptor poolSends() {
        return new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
            @Override
            public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
                                        software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
                String url = context.request() instanceof software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest b
                        ? b.queueUrl() : context.request() instanceof software.amazon.awssdk.services.sqs.model.SendMessageRequest m
                        ? m.queueUrl() : null;
                if (url != null && poolQueueUrls.contains(url)) {
                    ensureTaskWorker();
                }
            }
        };
    }

    /** Whether the queue holds a message, visible, in flight or delayed (ElasticMQ's counts are exact). */
    private boolean holdsMessages(String queueUrl) {
        return clients.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(
                software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))
                .attributes().values().stream().anyMatch(v -> !"0".equals(v));
    }

    /** Whether a pool queue holds messages (file tasks left by a previous run of this data directory). */
    private boolean poolTasksWaiting() {
        for (String url : poolQueueUrls) {
            if (holdsMessages(url)) {
                return true;
            }
        }
        return false;
    }
    private final LocalApiServer api;
    private final List<LocalEventSource> sources = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService schedule =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "scheduler");
                t.setDaemon(true);
                return t;
            });

    private LocalStack(Options options) {
        this.emulators = EmulatorStack.start(options.dataDir());
        try {
            List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> interceptors =
                    new ArrayList<>(options.interceptors());
            interceptors.add(poolSends());
            this.clients = LocalProvisioner.clients(emulators, interceptors);
            Properties identity = identity(options.dataDir());
            SluiceConfig config = LocalProvisioner.provision(clients, identity.getProperty("prefix"), options.queues(),
                    options.access().allowLocalUrls())
                    .withBuckets(options.access().itemBuckets(), options.access().executionBuckets());
            LocalProvisioner.createBuckets(clients.s3(), java.util.stream.Stream.concat(
                    options.access().itemBuckets().stream(), options.access().executionBuckets().stream())
                    .distinct().toList());
            this.services = new Components(clients.dynamo(), clients.sqs(), clients.s3(), clients.presigner(),
                    config, options.tunables(), Clock.SYSTEM).useMetrics(localMetrics());
            this.projectId = identity.getProperty("projectId");
            String stored = identity.getProperty("apiKey");
            if (stored != null && (options.apiKey() == null || options.apiKey().equals(stored))) {
                this.apiKey = stored; // registered by the first start, kept in the keys table
            } else {
                this.apiKey = services.apiKeys().register(projectId,
                        options.apiKey() == null ? ApiKeys.newKey() : options.apiKey());
                if (options.dataDir() != null) {
                    identity.setProperty("apiKey", apiKey);
                    saveIdentity(options.dataDir(), identity);
                }
            }
            int cpus = Runtime.getRuntime().availableProcessors();
            var objects = services.objects();
            this.predictor = new OnnxPredictor(m -> objects.read(m.objectKey(), m.status().checksum()), cpus);
            // Batch sizes, batching windows and timeouts as the event source mappings on AWS set them.
            // Each source has one poller more than a project may hold (LocalEventSource's fair shares): the spare
            // one serves the other projects while one project's invocations are slow.
            sources.add(new LocalEventSource(clients.sqs(), config.fanoutQueueUrl(), 1, 2,
                    named("fanout", options.stages().wrap(StageWrapper.Stage.FANOUT, new FanoutHandler(services.fanout(), services.executions()))), 60_000, 0, true).start());
            sources.add(new LocalEventSource(clients.sqs(), config.inferenceQueueUrl(), options.inferenceBatchMessages(),
                    Integer.getInteger("sluice.local.inferenceConcurrency", Math.max(1, cpus / 2) + 1),
                    named("inference", options.stages().wrap(StageWrapper.Stage.INFERENCE, new InferenceHandler(services.batchProcessor(predictor),
                            services.executionRunner(predictor, predictor, new dev.sluice.tables.Tables())))),
                    120_000, 500, true).start());
            sources.add(new LocalEventSource(clients.sqs(), config.deliveryQueueUrl(), 10, 3,
                    named("delivery", options.stages().wrap(StageWrapper.Stage.DELIVERY, new DeliveryHandler(services.delivery()))), 60_000, 1000).start());
            // The GPU pool: the same worker as the ECS task, on this machine's CPU (CUDA falls back).
            this.gpuPredictor = new OnnxPredictor(m -> objects.read(m.objectKey(), m.status().checksum()), cpus, true);
            this.gpuWorker = new GpuWorker(clients.sqs(), config.inferenceGpuQueueUrl(),
                    services.batchProcessor(gpuPredictor, true), new GpuWorker.Settings(256, 200, 120, 1));
            Thread gpu = new Thread(() -> {
                try (var scope = LogScope.of(LogKey.SERVICE, "gpu-worker")) {
                    gpuWorker.run();
                }
            }, "gpu-worker");
            gpu.setDaemon(true);
            gpu.start();
            // The task pools (executions with compute.target GpuPool or CpuPool): a child JVM, as an ECS task runs
            // the worker on AWS, started when a file task is first sent to a pool queue (or now, when a previous run
            // of this data directory left some); its log beside the data (or in a temporary file without a data
            // directory)
            this.taskWorkerLog = options.dataDir() != null ? options.dataDir().resolve("task-worker.log")
                    : tempLog();
            this.taskWorkers = () -> LocalTaskWorker.start(config, emulators.dynamoEndpoint, emulators.sqsEndpoint,
                    emulators.s3Endpoint, Integer.getInteger("sluice.local.taskSlots", 2),
                    System.getProperty("sluice.local.taskWorkerHeap", "512m"), taskWorkerLog);
            this.poolQueueUrls = java.util.Set.copyOf(config.pools().taskQueueUrls().values());
            if (poolTasksWaiting()) {
                ensureTaskWorker();
            }
            // EventBridge's schedule: the scheduler's sweep, every few seconds here (every minute on AWS).
            long period = Long.getLong("sluice.local.schedulerPeriodMillis", 5_000);
            var scheduler = services.scheduler();
            Runnable sweep = options.stages().wrapSweep(scheduler::sweep);
            schedule.scheduleWithFixedDelay(() -> {
                try (var scope = LogScope.of(LogKey.SERVICE, "scheduler")) {
                    sweep.run();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(LocalStack.class).warn("scheduler sweep failed: {}", e.toString());
                }
            }, period, period, java.util.concurrent.TimeUnit.MILLISECONDS);
            this.api = new LocalApiServer(new ApiHandler(new ApiRouter(ApiServices.of(services))), options.port());
        } catch (RuntimeException e) {
            String emulatorState = emulators.diagnostics();
            if (!emulatorState.isEmpty()) {
                e.addSuppressed(new IllegalStateException(emulatorState));
            }
            close();
            throw e;
        }
    }

    /**
     * The handler with its function's name in the MDC while it runs ({@link LogKey#SERVICE}): one process runs every
     * function here, and each line says which one wrote it, as on Lambda.
     */
    private static RequestHandler<SQSEvent, SQSBatchResponse> named(String service,
                                                                   RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        return (event, context) -> {
            try (var scope = LogScope.of(LogKey.SERVICE, service)) {
                return handler.handleRequest(event, context);
            }
        };
    }

    private static Path tempLog() {
        try {
            return Files.createTempFile("sluice-task-worker", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stack's project id and resource prefix: read from the data directory, or new (and written there). */
    private static Properties identity(Path dataDir) {
        Properties identity = new Properties();
        Path file = dataDir == null ? null : dataDir.resolve(IDENTITY_FILE);
        if (file != null && Files.isRegularFile(file)) {
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                identity.load(in);
                return identity;
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        }
        identity.setProperty("prefix", "sluice-" + Long.toHexString(System.nanoTime() & 0xffffffL) + "-");
        identity.setProperty("projectId", Ids.newId(Ids.PROJECT, System.currentTimeMillis()));
        return identity;
    }

    /** Written owner-only: it holds the local stack's API key. */
    private static void saveIdentity(Path dataDir, Properties identity) {
        Path file = dataDir.resolve(IDENTITY_FILE);
        try {
            Files.createDirectories(dataDir);
            Path tmp = Files.createTempFile(dataDir, IDENTITY_FILE, ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the folder's own permissions apply
            }
            try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                identity.store(out, "sluice local: this stack's project, resource prefix and API key");
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    public static LocalStack start(Options options) {
        return new LocalStack(options);
    }

    public String apiUrl() {
        return api.url();
    }

    /**
     * True when the pipeline has nothing left to do: no event source runs an invocation or holds a received message,
     * and the fan-out, inference and delivery queues hold no message, visible or in flight (ElasticMQ's counts are
     * exact). Its GetQueueAttributes calls are the caller's, no job's. The GPU worker is not looked at.
     */
    public boolean idle() {
        if (!sources.stream().allMatch(LocalEventSource::idle)) {
            return false;
        }
        var config = services.config();
        for (String queue : List.of(config.fanoutQueueUrl(), config.inferenceQueueUrl(), config.deliveryQueueUrl())) {
            if (holdsMessages(queue)) {
                return false;
            }
        }
        return sources.stream().allMatch(LocalEventSource::idle);
    }

    /** Waits until {@link #idle}; throws when it is not within the timeout. */
    public void awaitIdle(java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!idle()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the local pipeline was still busy after " + timeout);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the pipeline to be idle", e);
            }
        }
    }

    /** The local S3 (S3Mock, path-style, any access key): where the allowed item and execution buckets are. */
    public java.net.URI s3Endpoint() {
        return emulators.s3Endpoint;
    }

    @Override
    public void close() {
        schedule.shutdownNow();
        sources.forEach(LocalEventSource::close);
        synchronized (this) {
            closing = true;
        }
        if (taskWorker != null) {
            taskWorker.close();
        }
        if (gpuWorker != null) {
            try {
                gpuWorker.stop(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gpuPredictor.close();
        }
        if (api != null) {
            api.close();
        }
        if (predictor != null) {
            predictor.close();
        }
        emulators.close();
    }
}
