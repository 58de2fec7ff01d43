package dev.sluice.core.pipeline;

import java.util.List;

/**
 * One message of the delivery queue: the webhook payloads of one batch's predicted items. The payloads travel in
 * the message when it fits a queue message ({@link BatchQueue#MAX_BODY_BYTES}); otherwise they are in the data bucket
 * at {@code payloadsKey} (a claim check) and {@code payloads} is empty on the queue (see {@code delivery.DeliveryPayloads}).
 * Either way a batch's delivery is one message with the batch's id, so the delivery ledger counts it once and each
 * item's retry budget is its own.
 */
public record DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads, Boolean event,
                              Boolean deferred, String payloadsKey) implements QueueMessage {
    public DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads) {
        this(jobId, batchId, webhookId, payloads, null, null, null);
    }

    public DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads, Boolean event) {
        this(jobId, batchId, webhookId, payloads, event, null, null);
    }

    /** {@link MessageKind#JOB_EVENT} for a job event, else {@link MessageKind#DELIVERY}. */
    @Override
    public MessageKind kind() {
        return isEvent() ? MessageKind.JOB_EVENT : MessageKind.DELIVERY;
    }

    /**
     * The same batch, sent again because its endpoint was busy: its progress is in the ledger. A message whose
     * payloads are in the bucket is sent again without them (as it came).
     */
    public DeliveryMessage asDeferred() {
        return new DeliveryMessage(jobId, batchId, webhookId, payloadsKey == null ? payloads : List.of(), event, true,
                payloadsKey);
    }

    /** The same message with its payloads in it (read from the bucket); the key is kept. */
    public DeliveryMessage withPayloads(List<Payload> read) {
        return new DeliveryMessage(jobId, batchId, webhookId, read, event, deferred, payloadsKey);
    }

    /** The same message with its payloads left in the bucket at key. */
    public DeliveryMessage byReference(String key) {
        return new DeliveryMessage(jobId, batchId, webhookId, List.of(), event, deferred, key);
    }

    public boolean isDeferred() {
        return Boolean.TRUE.equals(deferred);
    }

    /** A job event (job.completed), not item predictions: delivering it changes no item counter. */
    public boolean isEvent() {
        return Boolean.TRUE.equals(event);
    }

    /** {@code body} is the exact JSON that is signed and POSTed. */
    public record Payload(long index, String url, String body) {
    }
}
