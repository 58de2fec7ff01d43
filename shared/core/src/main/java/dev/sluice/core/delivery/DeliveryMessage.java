package dev.sluice.core.delivery;

import java.util.List;

/** One message of the delivery queue: the webhook payloads of one batch's predicted items. */
public record DeliveryMessage(String jobId, String batchId, String webhookId, List<Payload> payloads) {
    /** {@code body} is the exact JSON that is signed and POSTed. */
    public record Payload(long index, String url, String body) {
    }
}
