package dev.sluice.core.deployment;

import dev.sluice.core.pipeline.BatchQueue;

/**
 * Where a job's batches run, and so which inference queue carries them: {@link #LAMBDA} (the inference function, the
 * default) or {@link #GPU_POOL} (the ECS GPU task pool). The API and the stored records carry the {@link #wire()}
 * strings {@code "Lambda"} and {@code "GpuPool"} (Datature Nexus's deployment target names); this enum is the one
 * place that names them.
 */
public enum DeploymentTarget {
    LAMBDA("Lambda", BatchQueue.Name.INFERENCE),
    GPU_POOL("GpuPool", BatchQueue.Name.INFERENCE_GPU);

    /** The words of an error that refuses a target: {@code "Lambda" or "GpuPool"}. */
    public static final String CHOICES = "\"Lambda\" or \"GpuPool\"";

    private final String wire;
    private final BatchQueue.Name queue;

    DeploymentTarget(String wire, BatchQueue.Name queue) {
        this.wire = wire;
        this.queue = queue;
    }

    /** The string of the API and of stored records. */
    public String wire() {
        return wire;
    }

    /** The queue that feeds this target's workers. */
    public BatchQueue.Name queue() {
        return queue;
    }

    /** The target a wire string names: {@link #LAMBDA} for null (the default), null for any other string. */
    public static DeploymentTarget of(String wire) {
        if (wire == null) {
            return LAMBDA;
        }
        for (DeploymentTarget t : values()) {
            if (t.wire.equals(wire)) {
                return t;
            }
        }
        return null;
    }
}
