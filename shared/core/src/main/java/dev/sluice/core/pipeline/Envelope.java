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
public record Envelope(MessageKind kind, String body) {
    public Envelope {
        if (kind == null || body == null) {
            throw new IllegalArgumentException("an envelope needs a kind and a body");
        }
    }

    public static Envelope of(QueueMessage message) {
        return new Envelope(message.kind(), Json.write(message));
    }
}
