package dev.sluice.core.pipeline;

/**
 * The queue contract of the pipeline: every message a stage sends to a queue is one of these records, serialised as
 * JSON (its body) with its {@link MessageKind} in the SQS message attribute {@link MessageKind#ATTRIBUTE}, so that a
 * consumer routes it by its kind without reading the body ({@link Routing}).
 *
 * <ul>
 *   <li>{@link FanoutMessage} (fanout queue): validate a dataset, or fan a job out from a byte offset;</li>
 *   <li>{@link BatchMessage} (an inference queue): one batch of a job's items;</li>
 *   <li>{@link DeliveryMessage} (delivery queue): one batch's item payloads or one job event to a webhook (typed content);</li>
 *   <li>{@link ExecutionTask} (fanout queue: list a folder; inference queue: run one file) of an execution.</li>
 * </ul>
 *
 * Adding a message type: a record here, a constant of {@link MessageKind}, its queue's handler selects it by kind,
 * and the dead-letter accounting (DeadLetterService) says what a dead one of it means.
 */
public sealed interface QueueMessage permits FanoutMessage, BatchMessage, DeliveryMessage, ExecutionTask {
    /** The kind this message is sent with (the value of its {@link MessageKind#ATTRIBUTE} attribute). */
    MessageKind kind();

    /**
     * The job or execution whose usage the work on this message counts to ({@link dev.sluice.core.usage.UsageMeter});
     * null for work of neither (a dataset's validation).
     */
    default String usageOwner() {
        return switch (this) {
            case FanoutMessage f -> f.jobId();
            case BatchMessage b -> b.jobId();
            case DeliveryMessage d -> d.jobId();
            case ExecutionTask t -> t.execution();
        };
    }

    /**
     * The {@link #usageOwner} of a message as received: its kind attribute's value and its body; null when the kind
     * is unknown or the body does not parse as it (such a message fails in its handler and counts to no job).
     */
    static String usageOwnerOf(String kindAttribute, String body) {
        MessageKind kind = MessageKind.fromWire(kindAttribute);
        if (kind == null || body == null) {
            return null;
        }
        try {
            return dev.sluice.core.Json.read(body, kind.type()).usageOwner();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** This message as it goes on the wire: its kind and its JSON body. */
    default Envelope envelope() {
        return Envelope.of(this);
    }
}
