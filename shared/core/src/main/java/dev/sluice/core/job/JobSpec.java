package dev.sluice.core.job;

import dev.sluice.core.deployment.DeploymentTarget;
import dev.sluice.core.destination.Destination;
import dev.sluice.core.destination.Destinations;

import java.util.List;

/**
 * retryOf: the job whose failed and skipped items this job runs again (set by :retry). events: the {@link JobEvent}
 * types the job's webhooks receive ({@code job.started}, {@code job.progress}, {@code job.completed}; default
 * {@code ["job.completed"]}). errorBudget: the failures after which the job ends Failed (off when absent). limit: a
 * sample run, only the first {@code limit} valid lines of the dataset (1..{@value #MAX_LIMIT}); the job then runs a
 * dataset made of those lines, and its {@code datasetId} names that dataset.
 */
public record JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                      Long stopAtTime, Integer batchSize, String retryOf, Gather gather, java.util.List<String> events,
                      ErrorBudget errorBudget, Integer limit) {
    /** A sample is copied into a dataset of its own in one request: 10,000 lines of at most 64 KiB bound it. */
    public static final int MAX_LIMIT = 10_000;

    public JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                   Long stopAtTime, Integer batchSize, String retryOf, Gather gather, java.util.List<String> events,
                   ErrorBudget errorBudget) {
        this(datasetId, deployment, resultDelivery, startAtTime, stopAtTime, batchSize, retryOf, gather, events,
                errorBudget, null);
    }

    public JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                   Long stopAtTime, Integer batchSize) {
        this(datasetId, deployment, resultDelivery, startAtTime, stopAtTime, batchSize, null, null, null, null, null);
    }

    public JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                   Long stopAtTime, Integer batchSize, String retryOf) {
        this(datasetId, deployment, resultDelivery, startAtTime, stopAtTime, batchSize, retryOf, null, null, null, null);
    }

    public JobSpec(String datasetId, Deployment deployment, ResultDelivery resultDelivery, Long startAtTime,
                   Long stopAtTime, Integer batchSize, String retryOf, Gather gather) {
        this(datasetId, deployment, resultDelivery, startAtTime, stopAtTime, batchSize, retryOf, gather, null, null, null);
    }

    /** Whether the job's webhooks receive events of this type ({@code spec.events}, default job.completed only). */
    public boolean subscribes(JobEvent.Type type) {
        return (events == null ? JobEvent.Type.DEFAULT : events).contains(type.wire());
    }

    /**
     * How the job's items are fetched. {@code maxConnectionsPerHost}: fetches in flight at once from one worker to
     * one web host (scheme, host, port) for this job's project, 1..{@value #MAX_CONNECTIONS_PER_HOST} (default
     * {@value #DEFAULT_MAX_CONNECTIONS_PER_HOST}). A modest host with a small accept backlog drops the SYNs of a burst
     * (the client's connect then waits for SYN retransmits, 1 s, 3 s, …), and a GPU-pool call of 256 one-item
     * batches would otherwise open 256 connections to it at once.
     */
    public record Gather(Integer maxConnectionsPerHost) {
        public static final int DEFAULT_MAX_CONNECTIONS_PER_HOST = 8;
        public static final int MAX_CONNECTIONS_PER_HOST = 64;
    }

    public int effectiveMaxConnectionsPerHost() {
        return gather == null || gather.maxConnectionsPerHost() == null
                ? Gather.DEFAULT_MAX_CONNECTIONS_PER_HOST : gather.maxConnectionsPerHost();
    }

    /**
     * Items per queue message when the job names none. Each batch carries fixed orchestration writes (its ledger rows,
     * a share of a commit transaction, a delivery message and its commit), so a larger batch costs less per item
     * (README "Where the orchestration units go"); its items' bytes are bounded by the worker's gather budget
     * ({@code GatherBudget}), not by the batch size.
     */
    public static final int DEFAULT_BATCH_SIZE = 128;
    /** A job without stopAtTime ends TimedOut this long after its creation (the scheduler's sweep ends it). */
    public static final long DEFAULT_CUTOFF_MILLIS = 24L * 60 * 60 * 1000;

    /**
     * The model, and where its batches run: {@code target} is a {@link DeploymentTarget} wire string, "Lambda"
     * (default, the inference function) or "GpuPool" (ECS).
     */
    public record Deployment(String modelId, String target, String deploymentId) {

        public Deployment(String modelId) {
            this(modelId, null, null);
        }

        public Deployment(String modelId, String target) {
            this(modelId, target, null);
        }

        /** The target this deployment names ({@link DeploymentTarget#LAMBDA} when none); null for an unknown string. */
        public DeploymentTarget effectiveTarget() {
            return DeploymentTarget.of(target);
        }
    }

    /** Where results and events go ({@link Destination}: at most one of each kind). */
    public record ResultDelivery(List<Destination> destinations) {
    }

    public int effectiveBatchSize() {
        return batchSize == null ? DEFAULT_BATCH_SIZE : batchSize;
    }

    /** The job's destinations (empty when it names none). */
    public List<Destination> destinations() {
        return resultDelivery == null || resultDelivery.destinations() == null ? List.of() : resultDelivery.destinations();
    }

    /** The webhook of the job's Webhook destination, or null when it has none. */
    public String webhookId() {
        return Destinations.first(destinations(), Destination.Webhook.class).map(Destination.Webhook::webhookId)
                .orElse(null);
    }

    /** The job's S3 destination, if it has one. */
    public java.util.Optional<Destination.S3> s3() {
        return Destinations.first(destinations(), Destination.S3.class);
    }
}
