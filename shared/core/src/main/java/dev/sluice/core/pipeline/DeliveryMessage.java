package dev.sluice.core.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;

/**
 * One message of the delivery queue: what one job owes its webhook, typed by its {@link Content}: the
 * {@link ItemPayloads} of one batch's predicted items, or one {@link Event} of the job. The content decides the
 * message's {@link MessageKind}, its delivery ledger id ({@link Content#ledgerId()}: the batch id, or the event's key
 * such as {@code job.progress.25}), the request id a receiver de-duplicates on, and whether delivering it moves the
 * job's item counters (items do, events never).
 *
 * <p>Item payloads travel in the message when it fits a queue message ({@link BatchQueue#MAX_BODY_BYTES}); otherwise
 * they are in the data bucket at {@code payloadsKey} (a claim check) and the message's payloads are empty on the queue
 * (see {@code delivery.DeliveryPayloads}). Either way a batch's delivery is one message with the batch's id, so the
 * delivery ledger counts it once and each item's retry budget is its own.
 *
 * <p>JSON: {@code {jobId, webhookId, content: {kind: "items", batchId, payloads} | {kind: "event", type, key, payload},
 * deferred?, payloadsKey?}}. A body of the shape before the typed content ({@code {batchId, payloads, event?}}, sent by
 * an older build and still in flight during a deploy) is read into the same content.
 */
public record DeliveryMessage(String jobId, String webhookId, Content content, Boolean deferred, String payloadsKey)
        implements QueueMessage {

    /** What a delivery message carries: the payloads it POSTs and the id its delivery is committed under. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
    @JsonSubTypes({@JsonSubTypes.Type(value = ItemPayloads.class, name = "items"),
            @JsonSubTypes.Type(value = Event.class, name = "event")})
    public sealed interface Content permits ItemPayloads, Event {
        /** The bodies to POST, one per request. */
        @JsonIgnore
        List<Payload> posts();

        /** The delivery ledger's id of this content (ledger key {@code delivery#<ledgerId>}). */
        @JsonIgnore
        String ledgerId();
    }

    /** The predicted items of one batch: one POST per item, each item counted Delivered or FailedDeliver once. */
    public record ItemPayloads(String batchId, List<Payload> payloads) implements Content {
        public ItemPayloads {
            payloads = payloads == null ? List.of() : List.copyOf(payloads);
        }

        @Override
        public List<Payload> posts() {
            return payloads;
        }

        @Override
        public String ledgerId() {
            return batchId;
        }
    }

    /**
     * One job event: its key (the job event's ledger key: {@code job.started}, {@code job.progress.25},
     * {@code job.completed}) and its JSON as the payload's body, index {@link #EVENT_INDEX}. One POST, which changes no
     * item counter.
     */
    public record Event(String key, Payload payload) implements Content {
        /** The index of an event's payload (items have indexes ≥ 0). */
        public static final long EVENT_INDEX = -1;

        /** The event of this key with this JSON body. */
        public static Event of(String key, String body) {
            return new Event(key, new Payload(EVENT_INDEX, null, body));
        }

        @Override
        public List<Payload> posts() {
            return List.of(payload);
        }

        @Override
        public String ledgerId() {
            return key;
        }
    }

    /** A batch's item payloads to the webhook. */
    public static DeliveryMessage items(String jobId, String batchId, String webhookId, List<Payload> payloads) {
        return new DeliveryMessage(jobId, webhookId, new ItemPayloads(batchId, payloads), null, null);
    }

    /** A job event to the webhook: its key and its JSON body. */
    public static DeliveryMessage event(String jobId, String webhookId, String key, String body) {
        return new DeliveryMessage(jobId, webhookId, Event.of(key, body), null, null);
    }

    /** Reads the current shape, and the shape before the typed content (see the class comment). */
    @JsonCreator
    static DeliveryMessage read(@JsonProperty("jobId") String jobId, @JsonProperty("webhookId") String webhookId,
                                @JsonProperty("content") Content content, @JsonProperty("deferred") Boolean deferred,
                                @JsonProperty("payloadsKey") String payloadsKey,
                                @JsonProperty("batchId") String batchId,
                                @JsonProperty("payloads") List<Payload> payloads,
                                @JsonProperty("event") Boolean event) {
        if (content == null && Boolean.TRUE.equals(event)) {
            if (batchId == null || payloads == null || payloads.size() != 1) {
                throw new IllegalArgumentException("job event message of job " + jobId + " has no event");
            }
            content = new Event(batchId, payloads.get(0));
        } else if (content == null) {
            content = new ItemPayloads(batchId, payloads);
        }
        return new DeliveryMessage(jobId, webhookId, content, deferred, payloadsKey);
    }

    /** {@link MessageKind#JOB_EVENT} for a job event, else {@link MessageKind#DELIVERY}. */
    @Override
    public MessageKind kind() {
        return switch (content) {
            case ItemPayloads p -> MessageKind.DELIVERY;
            case Event e -> MessageKind.JOB_EVENT;
        };
    }

    /** The delivery ledger's id of this message: the batch id, or the event's key. */
    @JsonIgnore
    public String ledgerId() {
        return content.ledgerId();
    }

    /** The bodies this message POSTs (empty on the queue when the item payloads are in the bucket). */
    @JsonIgnore
    public List<Payload> posts() {
        return content.posts();
    }

    /**
     * The same batch, sent again because its endpoint was busy: its progress is in the ledger. A message whose
     * payloads are in the bucket is sent again without them (as it came).
     */
    public DeliveryMessage asDeferred() {
        return new DeliveryMessage(jobId, webhookId, payloadsKey == null ? content : withoutPayloads(), true,
                payloadsKey);
    }

    /** The same message with its item payloads in it (read from the bucket); the key is kept. */
    public DeliveryMessage withPayloads(List<Payload> read) {
        return new DeliveryMessage(jobId, webhookId, new ItemPayloads(ledgerId(), read), deferred, payloadsKey);
    }

    /** The same message with its item payloads left in the bucket at key. */
    public DeliveryMessage byReference(String key) {
        return new DeliveryMessage(jobId, webhookId, withoutPayloads(), deferred, key);
    }

    private ItemPayloads withoutPayloads() {
        if (!(content instanceof ItemPayloads items)) {
            // an event is one bounded body: it always fits a queue message
            throw new IllegalStateException("only item payloads are kept in the bucket (job " + jobId + ")");
        }
        return new ItemPayloads(items.batchId(), List.of());
    }

    @JsonIgnore
    public boolean isDeferred() {
        return Boolean.TRUE.equals(deferred);
    }

    /** {@code body} is the exact JSON that is signed and POSTed. */
    public record Payload(long index, String url, String body) {
    }
}
