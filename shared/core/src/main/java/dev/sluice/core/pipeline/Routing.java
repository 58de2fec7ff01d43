package dev.sluice.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;

/**
 * Which kind a received queue message is: the value of its {@link MessageKind#ATTRIBUTE} attribute, which every
 * message sent through {@link BatchQueue} carries.
 *
 * <p>A message without the attribute (sent by a build from before it existed and still in flight during a deploy,
 * a hand-written test event such as those of {@code events/}, or a value this build does not know) is routed by its
 * body's declared shape, parsed as JSON: a non-null {@code "execution"} field makes it an {@link ExecutionTask} (the
 * only message family that may share a queue with a job's messages); otherwise it is the job message of its queue:
 * {@link MessageKind#FANOUT}, {@link MessageKind#BATCH}, or for the delivery queue {@link MessageKind#JOB_EVENT} when
 * its {@code content.kind} is {@code "event"} (or, in the shape before the typed content, {@code "event"} is true), else
 * {@link MessageKind#DELIVERY}. A body that is not JSON gets its queue's job kind, and then
 * fails to parse as that record alone. There is no substring test of the body.
 */
public final class Routing {
    private Routing() {
    }

    /**
     * @param queue     the queue the message was received from (or whose DLQ held it)
     * @param attribute the value of the message's {@link MessageKind#ATTRIBUTE} attribute; null when it has none
     * @param body      the message body
     */
    public static MessageKind kindOf(BatchQueue.Name queue, String attribute, String body) {
        MessageKind declared = MessageKind.fromWire(attribute);
        if (declared != null) {
            return declared;
        }
        JsonNode tree;
        try {
            tree = Json.tree(body);
        } catch (IllegalArgumentException | NullPointerException e) {
            tree = null;
        }
        if (tree != null && tree.hasNonNull("execution")) {
            return MessageKind.EXECUTION_TASK;
        }
        return switch (queue) {
            case FANOUT -> MessageKind.FANOUT;
            case INFERENCE, INFERENCE_GPU -> MessageKind.BATCH;
            case GPU_TASKS, GPU_SPOT_TASKS, CPU_TASKS, CPU_SPOT_TASKS -> MessageKind.EXECUTION_TASK;
            case DELIVERY -> tree != null && ("event".equals(tree.path("content").path("kind").asText(null))
                    || tree.path("event").asBoolean(false)) ? MessageKind.JOB_EVENT : MessageKind.DELIVERY;
        };
    }
}
