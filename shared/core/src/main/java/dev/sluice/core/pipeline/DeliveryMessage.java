package dev.sluice.core.pipeline;

import java.util.List;

/** One message of the delivery queue: the webhook payloads of one batch's predicted items. */
public record DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads, Boolean event,
                              Boolean deferred) implements QueueMessage {
    public DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads) {
        this(jobId, batchId, webhookId, payloads, null, null);
    }

    public DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads, Boolean event) {
        this(jobId, batchId, webhookId, payloads, event, null);
    }

    /** {@link MessageKind#JOB_EVENT} for a job event, else {@link MessageKind#DELIVERY}. */
    @Override
    public MessageKind kind() {
        return isEvent() ? MessageKind.JOB_EVENT : MessageKind.DELIVERY;
    }

    /** The same batch, sent again because its endpoint was busy: its progress is in the ledger. */
    public DeliveryMessage asDeferred() {
        return new DeliveryMessage(jobId, batchId, webhookId, payloads, event, true);
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
