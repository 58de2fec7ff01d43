package dev.sluice.function.gpu;

import dev.sluice.aws.Components;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Clock;
import dev.sluice.inference.OnnxPredictor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ECS task's entry point. Region and credentials come from the task (AWS_REGION, the task role); resource names
 * from the SLUICE_* variables the CDK app sets. With the GPU pool's task queues configured it also runs executions'
 * file tasks ({@link TaskWorker}). SIGTERM drains both: ECS waits up to the container's stopTimeout.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        dev.sluice.aws.observe.Logs.install("gpu-worker", dev.sluice.aws.observe.LogFormat.JSON);
        Map<String, String> env = System.getenv();
        SluiceConfig config = SluiceConfig.fromEnv(env);
        if (config.inferenceGpuQueueUrl() == null) {
            throw new IllegalStateException("SLUICE_INFERENCE_GPU_QUEUE_URL is not set");
        }
        // every request counted into the jobs' status.usage, as on Lambda
        var counted = software.amazon.awssdk.core.client.config.ClientOverrideConfiguration.builder()
                .addExecutionInterceptor(new dev.sluice.aws.observe.UsageInterceptor()).build();
        SqsClient sqs = SqsClient.builder().overrideConfiguration(counted).build();
        // only the batch processor and what it needs: job store, catalog, item fetcher, objects, queue, completion
        Components components = new Components(DynamoDbClient.builder().overrideConfiguration(counted).build(), sqs,
                S3Client.builder().overrideConfiguration(counted).build(), null, config,
                Tunables.fromEnv(env), Clock.SYSTEM)
                .useMetrics(dev.sluice.aws.observe.EmfMetrics.toStandardOutput("gpu-worker"));
        var objects = components.objects();
        OnnxPredictor predictor = new OnnxPredictor(m -> objects.read(m.objectKey(), m.status().checksum()),
                Runtime.getRuntime().availableProcessors(), true);
        GpuWorker.Settings d = GpuWorker.Settings.DEFAULTS;
        GpuWorker worker = new GpuWorker(sqs, config.inferenceGpuQueueUrl(), components.batchProcessor(predictor, true),
                new GpuWorker.Settings(Integer.parseInt(env.getOrDefault("SLUICE_GPU_MAX_BATCH_ITEMS", "" + d.maxBatchItems())),
                        Long.parseLong(env.getOrDefault("SLUICE_GPU_MAX_WAIT_MS", "" + d.maxWaitMillis())),
                        d.visibilitySeconds(), d.pollSeconds()), predictor::modelBusyNanos);
        Thread loop = new Thread(worker, "gpu-worker");
        // executions on the GPU pool (compute.target GpuPool): their file tasks, beside the jobs' batches
        var taskQueues = TaskWorkerMain.queues(config, "gpu");
        TaskWorker tasks = taskQueues.isEmpty() ? null : TaskWorkerMain.start(sqs, taskQueues, components, predictor,
                Integer.parseInt(env.getOrDefault("SLUICE_TASK_SLOTS", "1")));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                LOG.info("SIGTERM: draining");
                if (tasks != null) {
                    tasks.drain(100_000);
                }
                worker.stop(100_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        loop.start();
        loop.join();
    }
}
