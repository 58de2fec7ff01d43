package dev.sluice.core.pipeline;

/**
 * The kinds of queue message, as sent in the SQS message attribute {@link #ATTRIBUTE} (a String attribute whose value
 * is {@link #wire()}). A job event travels as a {@link DeliveryMessage} like item payloads, but has its own kind so
 * that it is told apart without reading the body.
 */
public enum MessageKind {
    FANOUT("FanOut", FanoutMessage.class),
    BATCH("Batch", BatchMessage.class),
    DELIVERY("Delivery", DeliveryMessage.class),
    JOB_EVENT("JobEvent", DeliveryMessage.class),
    EXECUTION_TASK("ExecutionTask", ExecutionTask.class);

    /**
     * The name of the message attribute that carries the kind. SQS counts attributes in the 256 KiB message size:
     * this one costs at most {@link #ATTRIBUTE_BYTES} bytes (name, data type "String" and value).
     */
    public static final String ATTRIBUTE = "SluiceKind";
    /** An upper bound of the bytes the kind attribute adds to a message's size, as SQS counts it. */
    public static final int ATTRIBUTE_BYTES = 64;

    private final String wire;
    private final Class<? extends QueueMessage> type;

    MessageKind(String wire, Class<? extends QueueMessage> type) {
        this.wire = wire;
        this.type = type;
    }

    /** The attribute's value. */
    public String wire() {
        return wire;
    }

    /** The record a body of this kind is read as. */
    public Class<? extends QueueMessage> type() {
        return type;
    }

    /** The kind an attribute value names, or null for null or a value this build does not know. */
    public static MessageKind fromWire(String value) {
        if (value == null) {
            return null;
        }
        for (MessageKind k : values()) {
            if (k.wire.equals(value)) {
                return k;
            }
        }
        return null;
    }
}
