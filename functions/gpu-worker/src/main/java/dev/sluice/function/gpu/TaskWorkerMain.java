package dev.sluice.function.gpu;

import dev.sluice.aws.Components;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Clock;
import dev.sluice.core.inference.CoalescingPredictor;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.inference.OnnxPredictor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task pool's execution worker process: the CPU pool's ECS task, and `sluice local`'s local task worker (a child
 * JVM). Resource names come from the SLUICE_* variables ({@link SluiceConfig#fromEnv}); {@code SLUICE_POOL}
 * ({@code gpu}, {@code gpu-spot}, {@code cpu}, {@code cpu-spot} or {@code all}, the default) picks which pool queues it
 * takes tasks from, and
 * {@code SLUICE_TASK_SLOTS} how many files it runs at once (default: one per processor). SIGTERM drains
 * ({@link TaskWorker#drain}): ECS waits up to the container's stopTimeout, and a spot interruption arrives as SIGTERM.
 */
public final class TaskWorkerMain {
    private static final Logger LOG = LoggerFactory.getLogger(TaskWorkerMain.class);

    private TaskWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        dev.sluice.aws.observe.Logs.install("task-worker", dev.sluice.aws.observe.LogFormat.JSON);
        // every request counted into the executions' status.usage, as on Lambda
        var usage = software.amazon.awssdk.core.client.config.ClientOverrideConfiguration.builder()
                .addExecutionInterceptor(new dev.sluice.aws.observe.UsageInterceptor()).build();
        serve(DynamoDbClient.builder().overrideConfiguration(usage).build(),
                SqsClient.builder().overrideConfiguration(usage).build(),
                S3Client.builder().overrideConfiguration(usage).build(), System.getenv());
    }

    /**
     * Runs the worker until SIGTERM has drained it (the process's end): with these clients (AWS's, or the emulators'
     * for `sluice local`'s child JVM).
     */
    public static void serve(DynamoDbClient dynamo, SqsClient sqs, S3Client s3, Map<String, String> env)
            throws InterruptedException {
        SluiceConfig config = SluiceConfig.fromEnv(env);
        Map<BatchQueue.Name, String> queues = queues(config, env.getOrDefault("SLUICE_POOL", "all"));
        if (queues.isEmpty()) {
            throw new IllegalStateException("no pool queue is configured (SLUICE_GPU_TASKS_QUEUE_URL, "
                    + "SLUICE_CPU_TASKS_QUEUE_URL, …)");
        }
        int slots = Integer.parseInt(env.getOrDefault("SLUICE_TASK_SLOTS", "" + TaskWorker.Settings.DEFAULTS.slots()));
        Components components = new Components(dynamo, sqs, s3, null, config,
                Tunables.fromEnv(env), Clock.SYSTEM)
                .useMetrics(dev.sluice.aws.observe.EmfMetrics.toStandardOutput("task-worker"));
        var objects = components.objects();
        OnnxPredictor predictor = new OnnxPredictor(m -> objects.read(m.objectKey(), m.status().checksum()),
                Runtime.getRuntime().availableProcessors(), env.getOrDefault("SLUICE_POOL", "all").startsWith("gpu"));
        TaskWorker worker = start(sqs, queues, components, predictor, slots);
        // SIGTERM (ECS stopping the task; a spot interruption) drains BEFORE the JVM's shutdown starts: in a shutdown
        // hook the drain raced the JVM's own hooks (java.util.logging's reset dropped its log lines, and the files in
        // hand never went back), so the signal is handled here and the JVM exits once the files in hand are back
        Runnable drainAndExit = () -> {
            try {
                LOG.info("SIGTERM: draining");
                boolean ended = worker.drain(100_000);
                LOG.info("drained ({}); exiting", ended ? "every file in hand handed back or finished" : "timed out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.exit(0);
        };
        for (String signal : java.util.List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> Thread.ofPlatform().name("drain").start(drainAndExit));
        }
        Thread.currentThread().join();
    }

    /** Starts a task worker thread over the queues with the components' runner and store (the GPU task's Main too). */
    static TaskWorker start(SqsClient sqs, Map<BatchQueue.Name, String> queues, Components components,
                            OnnxPredictor predictor, int slots) {
        TaskWorker.Settings d = TaskWorker.Settings.DEFAULTS;
        // the files' image rows share model calls (issue 27 item 1): one call across the files in hand
        TaskWorker worker = new TaskWorker(sqs, queues,
                components.executionRunner(predictor, new CoalescingPredictor(predictor, TaskWorker.IMAGE_ROWS),
                        new dev.sluice.tables.Tables(), TaskWorker.filesAtOnce(slots)),
                components.executionStore(), new TaskWorker.Settings(slots, d.visibilitySeconds(), d.pollSeconds()),
                Clock.SYSTEM, java.util.UUID.randomUUID().toString());
        Thread loop = new Thread(worker, "task-worker");
        loop.start();
        return worker;
    }

    /**
     * The configured pool queues a worker takes tasks from: {@code pool} is {@code gpu}, {@code gpu-spot}, {@code cpu},
     * {@code cpu-spot} (one ECS service each on AWS: its capacity provider is on-demand or spot) or {@code all} (the
     * local task worker).
     */
    static Map<BatchQueue.Name, String> queues(SluiceConfig config, String pool) {
        Map<BatchQueue.Name, String> out = new EnumMap<>(BatchQueue.Name.class);
        config.pools().taskQueueUrls().forEach((name, url) -> {
            if ("all".equals(pool) || name.name().equals(pool.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_TASKS")) {
                out.put(name, url);
            }
        });
        return out;
    }
}
