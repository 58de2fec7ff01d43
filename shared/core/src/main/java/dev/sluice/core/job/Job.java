package dev.sluice.core.job;

import dev.sluice.core.Outcome;

/**
 * metadata: the user's own string pairs ({@link dev.sluice.core.Metadata}), never null. retries: the ids of the jobs
 * that {@code :retry} or a dead letter's redrive made of this one, oldest first, at most {@link #MAX_RETRIES}; null
 * when there are none.
 */
public record Job(String id, String object, String name, String projectId, JobSpec spec, Status status,
                  long createTime, long updateTime, java.util.Map<String, String> metadata,
                  java.util.List<String> retries) {
    public static final String OBJECT = "batch_job";
    /** Retries one job may have (each is linked to it by spec.retryOf and listed in its {@code retries}). */
    public static final int MAX_RETRIES = 20;

    public Job {
        metadata = dev.sluice.core.Metadata.stored(metadata);
        retries = retries == null || retries.isEmpty() ? null : java.util.List.copyOf(retries);
    }

    public Job(String id, String object, String name, String projectId, JobSpec spec, Status status,
               long createTime, long updateTime, java.util.Map<String, String> metadata) {
        this(id, object, name, projectId, spec, status, createTime, updateTime, metadata, null);
    }

    /** A job without metadata. */
    public Job(String id, String object, String name, String projectId, JobSpec spec, Status status, long createTime,
               long updateTime) {
        this(id, object, name, projectId, spec, status, createTime, updateTime, java.util.Map.of());
    }

    /** Whether the listing filter lists this job. */
    public boolean listedBy(dev.sluice.core.ListFilter filter) {
        return filter.matches(status.overview(), name, metadata, createTime);
    }
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Job> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.JOB, OBJECT, "job",
            Job.class);

    /** usage: what the job used so far and its estimated cost ({@link dev.sluice.core.usage.UsageReport}); null where unknown. */
    public record Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                         long updateTime, Progress progress, dev.sluice.core.usage.UsageReport usage) {
        public Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                      long updateTime, Progress progress) {
            this(overview, message, reason, items, itemCount, updateTime, progress, null);
        }

        public Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                      long updateTime) {
            this(overview, message, reason, items, itemCount, updateTime, null);
        }

        /** {@link Outcome} of the job once it ended, derived from overview, reason and counters; null while it runs. */
        @com.fasterxml.jackson.annotation.JsonProperty("outcome")
        public Outcome outcome() {
            return outcomeOf(overview, reason, items, itemCount);
        }

        /**
         * The outcome of a job in state overview with these counters, or null while it runs.
         *
         * @param reason the status reason; {@code job.error_budget_exceeded…} makes a Failed job Stopped
         */
        public static Outcome outcomeOf(JobState overview, String reason, ItemCounters items, long itemCount) {
            if (overview == null || !overview.isTerminal()) {
                return null;
            }
            return switch (overview) {
                case Cancelled, TimedOut -> Outcome.Stopped;
                case Failed -> reason != null && reason.startsWith(ErrorBudget.EXCEEDED) ? Outcome.Stopped : Outcome.Failed;
                default -> items == null ? Outcome.Failed : Outcome.ofCounts(items.delivered(), itemCount);
            };
        }
    }

    /**
     * How the job is moving: batches sent and not yet done (in a queue or in flight), batches done, the average time
     * a batch took, items per second since the job started running, and the estimated completion time at that rate.
     */
    public record Progress(long batchesQueued, long batchesDone, Double averageBatchMs, Double itemsPerSecond,
                           Long estimatedCompletionTime) {
        /**
         * @param now the time of the read, in epoch ms
         * @param endTime when the job ended (its last status write, epoch ms), or null while it runs: an ended job's
         *                rate is over its run, not over the time until the read, and it has no estimated completion
         */
        public static Progress of(long batchesSent, long batchesDone, long batchMillis, Long startTime,
                                  ItemCounters items, long itemCount, long now, Long endTime) {
            Double average = batchesDone == 0 ? null : (double) batchMillis / batchesDone;
            Double rate = null;
            Long eta = null;
            long until = endTime != null ? endTime : now;
            if (startTime != null && until > startTime && items.terminal() > 0) {
                rate = items.terminal() * 1000.0 / (until - startTime);
                long remaining = Math.max(0, itemCount - items.terminal());
                eta = endTime != null ? null : now + (long) (remaining / rate * 1000);
            }
            return new Progress(Math.max(0, batchesSent - batchesDone), batchesDone, average, rate, eta);
        }
    }
}
