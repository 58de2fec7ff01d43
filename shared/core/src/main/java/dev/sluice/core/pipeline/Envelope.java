package dev.sluice.core.pipeline;

import dev.sluice.core.Json;

/**
 * A queue message on the wire: its JSON body and its kind, which the queue adapter sends as the message attribute
 * {@link MessageKind#ATTRIBUTE}. Stages that must know a body's size before sending (a message is at most 256 KiB)
 * build the envelope once and measure {@link #body()}.
 *
 * @param kind the message's kind; never null
 * @param body the message's JSON, as {@link Json#write} writes the record
 */
public record Envelope(MessageKind kind, String body, String tenant) {
    public Envelope {
        if (kind == null || body == null) {
            throw new IllegalArgumentException("an envelope needs a kind and a body");
        }
    }

    /**
     * The message attribute that carries the project besides the MessageGroupId (SQS returns the group of a standard
     * queue's message only on request, and ElasticMQ not at all): what {@code sluice local}'s event sources share
     * their pollers by. At most {@link #TENANT_ATTRIBUTE_BYTES} bytes of the message's size (ids are ≤ 128 characters).
     */
    public static final String TENANT_ATTRIBUTE = "SluiceProject";
    public static final int TENANT_ATTRIBUTE_BYTES = 160;

    /** A message of no project (sent as it always was, without a message group). */
    public Envelope(MessageKind kind, String body) {
        this(kind, body, null);
    }

    /**
     * The same message marked as the given project's: the queue adapter sends it with the project as its message
     * group, which makes an SQS standard queue a fair queue (SQS keeps the dwell time of the other projects' messages
     * low while one project has a backlog,
     * <a href="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html">fair
     * queues</a>); the local event source gives each project its share of the pollers by it.
     *
     * @param projectId the project id, or null for none
     */
    public Envelope forProject(String projectId) {
        return new Envelope(kind, body, projectId);
    }

    public static Envelope of(QueueMessage message) {
        return new Envelope(message.kind(), Json.write(message));
    }
}
