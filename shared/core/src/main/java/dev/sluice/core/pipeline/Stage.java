package dev.sluice.core.pipeline;

/**
 * The stages of a job's pipeline, as they name their ledger entries ({@code stage#batchId}), log records
 * ({@code time#stage#batchId}) and dead-letter reasons ({@code stage.dead_lettered}). The {@link #wire()} strings are
 * stored in DynamoDB: they never change.
 */
public enum Stage {
    /** The fan-out of a job's dataset into batches (ledger: one entry per segment of batches, or per skip). */
    FANOUT("fanout"),
    /** Gather, preprocess and predict one batch (ledger: one entry per batch). */
    INFERENCE("inference"),
    /**
     * The webhook POSTs of one delivery message (ledger: one entry per message, {@code delivery#<ledgerId>}: the
     * batch id for item payloads, the event's key such as {@code job.progress.25} for a job event).
     */
    DELIVERY("delivery"),
    /**
     * A job's events as they are published (ledger: one entry per event, {@code completion#<event key>}); the
     * {@code job.completed} entry is written after the manifest and errors file.
     */
    COMPLETION("completion");

    private final String wire;

    Stage(String wire) {
        this.wire = wire;
    }

    /** The stored name of the stage. */
    public String wire() {
        return wire;
    }

    /** The ledger key of one batch of this stage: {@code stage#batchId}. */
    public String ledgerKey(String batchId) {
        return wire + "#" + batchId;
    }

    /** The prefix every ledger key of this stage starts with. */
    public String ledgerPrefix() {
        return wire + "#";
    }

    /** The stage whose work a queue carries. */
    public static Stage of(BatchQueue.Name queue) {
        return switch (queue) {
            case FANOUT -> FANOUT;
            case INFERENCE, INFERENCE_GPU, GPU_TASKS, GPU_SPOT_TASKS, CPU_TASKS, CPU_SPOT_TASKS -> INFERENCE;
            case DELIVERY -> DELIVERY;
        };
    }
}
