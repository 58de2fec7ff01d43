package dev.sluice.core.job;

import java.util.List;

/** retryOf: the job whose failed and skipped items this job runs again (set by :retry). */
public record JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                      Long stopAtTime, Integer batchSize, String retryOf) {
    public JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                   Long stopAtTime, Integer batchSize) {
        this(datasetId, deployment, resultDelivery, startAtTime, stopAtTime, batchSize, null);
    }

    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int MAX_BATCH_SIZE = 256;

    /** The model, and where its batches run: "Lambda" (default, the inference function) or "GpuPool" (ECS). */
    public record Deployment(String modelId, String target, String deploymentId) {
        public static final String LAMBDA = "Lambda";
        public static final String GPU_POOL = "GpuPool";

        public Deployment(String modelId) {
            this(modelId, null, null);
        }

        public Deployment(String modelId, String target) {
            this(modelId, target, null);
        }

        public String effectiveTarget() {
            return target == null ? LAMBDA : target;
        }
    }

    public record ResultDelivery(List<Destination> destinations) {
    }

    public record Destination(String kind, String webhookId) {
    }

    public int effectiveBatchSize() {
        return batchSize == null ? DEFAULT_BATCH_SIZE : batchSize;
    }

    /** The webhook of the first Webhook destination, or null when the job delivers to none. */
    public String webhookId() {
        if (resultDelivery == null || resultDelivery.destinations() == null) {
            return null;
        }
        return resultDelivery.destinations().stream().filter(d -> "Webhook".equals(d.kind()))
                .map(Destination::webhookId).findFirst().orElse(null);
    }
}
