package dev.sluice.core.job;

public record Job(String id, String object, String name, String projectId, JobSpec spec, Status status,
                  long createTime, long updateTime) {
    public static final String OBJECT = "batch_job";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Job> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.JOB, OBJECT, "job",
            Job.class);

    public record Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                         long updateTime, Progress progress) {
        public Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                      long updateTime) {
            this(overview, message, reason, items, itemCount, updateTime, null);
        }

        /** {@link Outcome} of the job once it ended, derived from overview, reason and counters; null while it runs. */
        @com.fasterxml.jackson.annotation.JsonProperty("outcome")
        public Outcome outcome() {
            return Outcome.ofJob(overview, reason, items, itemCount);
        }
    }

    /**
     * How the job is moving: batches sent and not yet done (in a queue or in flight), batches done, the average time
     * a batch took, items per second since the job started running, and the estimated completion time at that rate.
     */
    public record Progress(long batchesQueued, long batchesDone, Double averageBatchMs, Double itemsPerSecond,
                           Long estimatedCompletionTime) {
        public static Progress of(long batchesSent, long batchesDone, long batchMillis, Long startTime,
                                  ItemCounters items, long itemCount, long now) {
            Double average = batchesDone == 0 ? null : (double) batchMillis / batchesDone;
            Double rate = null;
            Long eta = null;
            if (startTime != null && now > startTime && items.terminal() > 0) {
                rate = items.terminal() * 1000.0 / (now - startTime);
                long remaining = Math.max(0, itemCount - items.terminal());
                eta = now + (long) (remaining / rate * 1000);
            }
            return new Progress(Math.max(0, batchesSent - batchesDone), batchesDone, average, rate, eta);
        }
    }
}
