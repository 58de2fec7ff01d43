package dev.sluice.cli;

import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.SluiceServices;
import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.function.api.ApiHandler;
import dev.sluice.function.api.ApiRouter;
import dev.sluice.function.delivery.DeliveryHandler;
import dev.sluice.function.fanout.FanoutHandler;
import dev.sluice.function.gpu.GpuWorker;
import dev.sluice.function.inference.InferenceHandler;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.testing.EmulatorStack;
import dev.sluice.testing.LocalEventSource;
import dev.sluice.testing.LocalProvisioner;
import dev.sluice.testing.StageWrapper;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole of Sluice in one JVM: the emulators, the resources CDK would create, the api function behind a local
 * HTTP API, and the fanout, inference and delivery handlers driven by local event source mappings.
 */
public final class LocalStack implements AutoCloseable {
    /** How the stack is built; tests change the queue settings and wrap the stages to inject faults. */
    public record Options(int port, String apiKey, LocalProvisioner.QueueSettings queues,
                          List<ExecutionInterceptor> interceptors, StageWrapper stages, Access access) {
        public static Options defaults(int port, String apiKey, Access access) {
            return new Options(port, apiKey, LocalProvisioner.QueueSettings.LOCAL, List.of(), StageWrapper.NONE, access);
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

    public final EmulatorStack emulators;
    public final LocalProvisioner.Clients clients;
    public final SluiceServices services;
    public final String projectId;
    public final String apiKey;
    private final OnnxPredictor predictor;
    private OnnxPredictor gpuPredictor;
    private GpuWorker gpuWorker;
    private final LocalApiServer api;
    private final List<LocalEventSource> sources = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService schedule =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "scheduler");
                t.setDaemon(true);
                return t;
            });

    private LocalStack(Options options) {
        this.emulators = EmulatorStack.start();
        try {
            this.clients = LocalProvisioner.clients(emulators, options.interceptors());
            SluiceConfig config = LocalProvisioner.provision(clients,
                    "sluice-" + Long.toHexString(System.nanoTime() & 0xffffffL) + "-", options.queues(),
                    options.access().allowLocalUrls())
                    .withBuckets(options.access().itemBuckets(), options.access().executionBuckets());
            this.services = new SluiceServices(clients.dynamo(), clients.sqs(), clients.s3(), clients.presigner(),
                    config, Clock.SYSTEM);
            this.projectId = Ids.newId(Ids.PROJECT, System.currentTimeMillis());
            this.apiKey = services.apiKeys.register(projectId,
                    options.apiKey() == null ? ApiKeys.newKey() : options.apiKey());
            int cpus = Runtime.getRuntime().availableProcessors();
            this.predictor = new OnnxPredictor(m -> services.objects.read(m.objectKey()), cpus);
            // Batch sizes, batching windows and timeouts as the event source mappings on AWS set them.
            sources.add(new LocalEventSource(clients.sqs(), config.fanoutQueueUrl(), 1, 1,
                    options.stages().wrap(StageWrapper.Stage.FANOUT, new FanoutHandler(services.fanout(), services.executions)), 60_000, 0).start());
            sources.add(new LocalEventSource(clients.sqs(), config.inferenceQueueUrl(), 10,
                    Integer.getInteger("sluice.local.inferenceConcurrency", Math.max(1, cpus / 2)),
                    options.stages().wrap(StageWrapper.Stage.INFERENCE, new InferenceHandler(services.batchProcessor(predictor),
                            services.executionRunner(predictor, predictor, new dev.sluice.tables.Tables()))),
                    120_000, 500).start());
            sources.add(new LocalEventSource(clients.sqs(), config.deliveryQueueUrl(), 10, 2,
                    options.stages().wrap(StageWrapper.Stage.DELIVERY, new DeliveryHandler(services.delivery())), 60_000, 1000).start());
            // The GPU pool: the same worker as the ECS task, on this machine's CPU (CUDA falls back).
            this.gpuPredictor = new OnnxPredictor(m -> services.objects.read(m.objectKey()), cpus, true);
            this.gpuWorker = new GpuWorker(clients.sqs(), config.inferenceGpuQueueUrl(),
                    services.batchProcessor(gpuPredictor, true), new GpuWorker.Settings(256, 200, 120, 1));
            Thread gpu = new Thread(gpuWorker, "gpu-worker");
            gpu.setDaemon(true);
            gpu.start();
            // EventBridge's schedule: the scheduler's sweep, every few seconds here (every minute on AWS).
            long period = Long.getLong("sluice.local.schedulerPeriodMillis", 5_000);
            var scheduler = services.scheduler();
            Runnable sweep = options.stages().wrapSweep(scheduler::sweep);
            schedule.scheduleWithFixedDelay(() -> {
                try {
                    sweep.run();
                } catch (RuntimeException e) {
                    java.util.logging.Logger.getLogger(LocalStack.class.getName()).warning("scheduler sweep failed: " + e);
                }
            }, period, period, java.util.concurrent.TimeUnit.MILLISECONDS);
            this.api = new LocalApiServer(new ApiHandler(new ApiRouter(services)), options.port());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static LocalStack start(Options options) {
        return new LocalStack(options);
    }

    public String apiUrl() {
        return api.url();
    }

    @Override
    public void close() {
        schedule.shutdownNow();
        sources.forEach(LocalEventSource::close);
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
