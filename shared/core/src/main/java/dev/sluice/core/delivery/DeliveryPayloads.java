package dev.sluice.core.delivery;

import dev.sluice.core.Json;
import dev.sluice.core.ObjectKeys;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;

/**
 * Keeps every delivery message within a queue message ({@link BatchQueue#MAX_BODY_BYTES}) by construction: a batch
 * of up to 256 items with long URLs and large predictions (detection boxes) can be several MB of payloads, and one
 * item's payload alone can exceed the limit. Such a message's payloads go to the data bucket (the claim-check
 * pattern of AWS's SQS Extended Client) and the message carries their key.
 *
 * <p>Why not split a batch into several messages: a batch's payloads can differ from one attempt to the next (the
 * timings are measured again, an item is fetched again), so a split by size would not always cut a redelivered batch
 * at the same places, and parts with the same id holding different items would count items twice or never. One
 * message per batch, whatever its size, keeps the ledger id (the batch id) and each item's retry count as they are.
 * The stored payloads are named by their content, so a key is written once and read back as written.
 */
public final class DeliveryPayloads {
    private final ObjectStore objects;

    public DeliveryPayloads(ObjectStore objects) {
        this.objects = objects;
    }

    /**
     * The queue message for a delivery: the message itself when its JSON fits {@link BatchQueue#MAX_BODY_BYTES} UTF-8
     * bytes; otherwise the message with its payloads stored at {@link ObjectKeys#deliveryPayloads} (content-named,
     * written before the message is sent) and only the key in the body.
     */
    public dev.sluice.core.pipeline.Envelope toQueueMessage(DeliveryMessage message, String projectId) {
        String json = Json.write(message);
        if (fits(json)) {
            return new dev.sluice.core.pipeline.Envelope(message.kind(), json, projectId);
        }
        String key = ObjectKeys.deliveryPayloads(projectId, message.jobId(), message.ledgerId(), json);
        objects.put(key, json.getBytes(StandardCharsets.UTF_8), "application/json");
        String body = Json.write(message.byReference(key));
        if (!fits(body)) {
            // ids are validated short; reaching this is a bug, not an input
            throw new IllegalStateException("delivery message of batch " + message.ledgerId() + " is "
                    + body.length() + " characters without its payloads");
        }
        return new dev.sluice.core.pipeline.Envelope(message.kind(), body, projectId);
    }

    /**
     * The message with its payloads in it: as received when they travelled in it, else read from the bucket.
     * Throws when the stored payloads are missing (they are written before the message is sent and expire with the
     * job's results, after any message's retention).
     */
    public DeliveryMessage resolve(DeliveryMessage message) {
        if (message.payloadsKey() == null) {
            return message;
        }
        DeliveryMessage stored = Json.read(new String(objects.read(message.payloadsKey()), StandardCharsets.UTF_8),
                DeliveryMessage.class);
        return message.withPayloads(stored.posts());
    }

    static boolean fits(String body) {
        // a UTF-8 byte is at least one char: most bodies are decided without encoding them
        return body.length() * 3L <= BatchQueue.MAX_BODY_BYTES
                || body.getBytes(StandardCharsets.UTF_8).length <= BatchQueue.MAX_BODY_BYTES;
    }
}
