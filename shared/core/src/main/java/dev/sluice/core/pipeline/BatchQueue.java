package dev.sluice.core.pipeline;

import java.util.List;

/**
 * The work queues. Implementations send in batches and retry only the entries that failed. Every message goes with
 * its kind in the message attribute {@link MessageKind#ATTRIBUTE} (see {@link Routing}).
 */
public interface BatchQueue {
    /**
     * INFERENCE feeds the inference function (Lambda), INFERENCE_GPU the GPU task pool's job batches. The four
     * {@code *_TASKS} queues carry executions' file tasks to a task pool, one queue per pool and purchase option (each
     * feeds its own ECS service, whose capacity provider is on-demand or spot): GPU_TASKS, GPU_SPOT_TASKS, CPU_TASKS,
     * CPU_SPOT_TASKS. A pool queue a deployment does not have is not configured.
     */
    enum Name {
        FANOUT, INFERENCE, INFERENCE_GPU, DELIVERY, GPU_TASKS, GPU_SPOT_TASKS, CPU_TASKS, CPU_SPOT_TASKS;

        /** Whether the queue carries executions' file tasks to a task pool. */
        public boolean isPoolTasks() {
            return this == GPU_TASKS || this == GPU_SPOT_TASKS || this == CPU_TASKS || this == CPU_SPOT_TASKS;
        }
    }

    /** Whether this deployment has the queue (the pool queues and INFERENCE_GPU are opt-in). */
    default boolean configured(Name queue) {
        return true;
    }

    /**
     * The largest queue message, body and attributes together, in bytes: SQS's 256 KiB
     * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
     */
    int MAX_MESSAGE_BYTES = 262_144;
    /**
     * The largest body (UTF-8 bytes) a producer may send: {@link #MAX_MESSAGE_BYTES} less 8 KiB kept for the message
     * attributes an implementation adds. Implementations refuse a larger body (IllegalArgumentException) rather than
     * let the queue refuse or cut it; producers whose messages can grow (deliveries) keep under it by construction.
     */
    int MAX_BODY_BYTES = MAX_MESSAGE_BYTES - 8_192;

    void send(Name queue, List<Envelope> messages);

    void send(Name queue, Envelope message, int delaySeconds);

    /** Hides a received message for the given time: how a failed delivery waits for its next attempt. */
    void changeVisibility(Name queue, String receiptHandle, int seconds);

    /**
     * A message found in a queue's dead-letter queue (SQS keeps a message's attributes when it moves it there).
     *
     * @param kind the value of its {@link MessageKind#ATTRIBUTE} attribute; null when it was sent without one
     */
    record DeadLetterMessage(String messageId, String body, String receiptHandle, String kind) {
    }

    /** Up to max messages of the queue's DLQ, hidden for a few minutes; none when the queue is not configured. */
    List<DeadLetterMessage> receiveDeadLetters(Name queue, int max);

    void deleteDeadLetter(Name queue, String receiptHandle);

    /** Makes a received dead letter visible again at once, so that the next sweep takes it up again. */
    void releaseDeadLetter(Name queue, String receiptHandle);
}
