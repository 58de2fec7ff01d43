package dev.sluice.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every queue with its DLQ. Visibility timeouts are 6x their consumer's timeout (the AWS recommendation for SQS event
 * sources); the delivery queue's receive limit is above the largest webhook retry count.
 */
final class WorkQueues extends Construct {
    static final int FANOUT_TIMEOUT = 60;
    static final int DELIVERY_TIMEOUT = 60;
    static final int GPU_VISIBILITY = 120;

    final Queue fanout;
    final Queue inference;
    final Queue inferenceGpu;
    final Queue delivery;
    /** The task pools' queues of executions' file tasks, one per pool and purchase option; only for pools deployed. */
    final Map<dev.sluice.core.pipeline.BatchQueue.Name, Queue> poolTasks =
            new java.util.EnumMap<>(dev.sluice.core.pipeline.BatchQueue.Name.class);
    final Map<String, Queue> deadLetters = new LinkedHashMap<>();

    WorkQueues(Construct scope, String id, SluiceStack.Settings settings) {
        super(scope, id);
        fanout = queue("Fanout", 6 * FANOUT_TIMEOUT, 5);
        inference = queue("Inference", 6 * settings.inferenceTimeoutSeconds(), 5);
        inferenceGpu = queue("InferenceGpu", 6 * GPU_VISIBILITY, 5);
        delivery = queue("Delivery", 6 * DELIVERY_TIMEOUT, 16);
        for (var name : dev.sluice.core.pipeline.BatchQueue.Name.values()) {
            boolean gpu = name == dev.sluice.core.pipeline.BatchQueue.Name.GPU_TASKS
                    || name == dev.sluice.core.pipeline.BatchQueue.Name.GPU_SPOT_TASKS;
            if (name.isPoolTasks() && (gpu ? settings.gpuPool() : settings.cpuPool())) {
                // a worker renews a file's visibility while it runs: the timeout bounds a dead worker's hold
                poolTasks.put(name, queue(id(name), 6 * GPU_VISIBILITY, 5));
            }
        }
    }

    /** A pool queue's construct id: GpuTasks, GpuSpotTasks, CpuTasks, CpuSpotTasks. */
    static String id(dev.sluice.core.pipeline.BatchQueue.Name name) {
        StringBuilder id = new StringBuilder();
        for (String word : name.name().split("_")) {
            id.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return id.toString();
    }

    private Queue queue(String id, int visibilitySeconds, int maxReceiveCount) {
        Queue dlq = Queue.Builder.create(this, id + "Dlq").retentionPeriod(Duration.days(14))
                .encryption(QueueEncryption.SQS_MANAGED).enforceSsl(true).build();
        deadLetters.put(id, dlq);
        return Queue.Builder.create(this, id).visibilityTimeout(Duration.seconds(visibilitySeconds))
                .encryption(QueueEncryption.SQS_MANAGED).enforceSsl(true)
                .deadLetterQueue(DeadLetterQueue.builder().queue(dlq).maxReceiveCount(maxReceiveCount).build())
                .build();
    }
}
