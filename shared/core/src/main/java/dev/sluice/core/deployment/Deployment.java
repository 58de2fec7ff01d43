package dev.sluice.core.deployment;

/**
 * A model bound to where its batches run: target "Lambda" (the inference function) or "GpuPool" (the ECS GPU task
 * pool), the batch size of its jobs, and the most batches of it that may run at once.
 */
public record Deployment(String id, String object, String name, String projectId, String modelId, String target,
                         Integer batchSize, Integer maxConcurrency, long createTime, long updateTime) {
    public static final String OBJECT = "deployment";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Deployment> KIND = new dev.sluice.core.IdKind<>(DeploymentService.PREFIX, OBJECT, "deployment",
            Deployment.class);
}
