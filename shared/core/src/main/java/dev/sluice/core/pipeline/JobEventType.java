package dev.sluice.core.pipeline;

/**
 * The job events Sluice emits (today {@code job.completed}; issue 23 item 3 adds the lifecycle's others). An event's
 * ledger keys derive from its type: {@code completion#job-completed} when it is emitted (once per job) and
 * {@code delivery#job-completed} when its webhook POST is settled, so no stage spells a key of its own.
 */
public enum JobEventType {
    COMPLETED("job.completed");

    private final String wire;

    JobEventType(String wire) {
        this.wire = wire;
    }

    /** The event's {@code type} in its body ({@code job.completed}). */
    public String wire() {
        return wire;
    }

    /** The ledger key (and the delivery message's batch id) of this event, in every stage: {@code job-completed}. */
    public String ledgerKey() {
        return wire.replace('.', '-');
    }

    /** The line index an event's payload carries (-1: it is no dataset line). */
    public static final long EVENT_INDEX = -1;
}
