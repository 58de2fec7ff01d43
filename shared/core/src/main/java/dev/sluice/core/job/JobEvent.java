package dev.sluice.core.job;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What a job's subscribers hear: one event per move of its {@link JobLifecycle}, and progress at 25, 50 and 75 % of its
 * items. Each event is published once per job (its {@link #ledgerKey()} is written in the job's ledger after it went
 * out; a crash in between sends it again with the same {@link #id()}, which receivers de-duplicate on).
 *
 * <p>JSON (the webhook body, the EventBridge {@code detail}, the local log line):
 * {@code {type, id, jobId, projectId, time (ms since the epoch), status: {overview, outcome, reason, items, itemCount,
 * …}}}, plus {@code percent} for progress and {@code outcome, timings, results} for the end events. {@link #type()} is
 * what a webhook subscribes to in {@code spec.events}: every end (Finished, Failed, Cancelled, TimedOut) is
 * {@code job.completed}, its {@code status.overview} and {@code outcome} say how it ended.
 */
@JsonPropertyOrder({"type", "id", "jobId", "projectId", "time", "percent", "outcome", "status", "timings", "results"})
public sealed interface JobEvent {
    String jobId();

    String projectId();

    /** When the event was made, ms since the epoch. */
    long time();

    Job.Status status();

    /** The subscription name: {@code job.started}, {@code job.progress} or {@code job.completed}. */
    @JsonProperty("type")
    default String type() {
        return Type.of(this).wire();
    }

    /** Stable per job and event: the same event sent twice has the same id. */
    @JsonProperty("id")
    default String id() {
        return jobId() + "/" + ledgerKey();
    }

    /** The event's entry in the job's ledger (stage {@code completion}): one per job and event. */
    default String ledgerKey() {
        return this instanceof Progress p ? Type.PROGRESS.wire() + "." + p.percent() : type();
    }

    /** The subscribable event types, as {@code spec.events} names them. */
    enum Type {
        STARTED("job.started"), PROGRESS("job.progress"), COMPLETED("job.completed");

        /** What a job without {@code spec.events} subscribes to. */
        public static final java.util.List<String> DEFAULT = java.util.List.of(COMPLETED.wire);

        private final String wire;

        Type(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static Type of(JobEvent e) {
            return switch (e) {
                case Started s -> STARTED;
                case Progress p -> PROGRESS;
                case End end -> COMPLETED;
            };
        }

        /** The type a wire name names, or null. */
        public static Type named(String wire) {
            for (Type t : values()) {
                if (t.wire.equals(wire)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** The progress thresholds, in % of itemCount terminal. */
    int[] PROGRESS_PERCENTS = {25, 50, 75};

    /** The fan-out started the job: Waiting → Running. */
    record Started(String jobId, String projectId, long time, Job.Status status) implements JobEvent {
    }

    /** At least percent % of the job's items are terminal (sent once per threshold, even when several are passed at once). */
    record Progress(String jobId, String projectId, long time, Job.Status status, int percent) implements JobEvent {
    }

    /**
     * The job ended and every item is accounted for (its manifest and errors file are written): sent as
     * {@code job.completed} whatever the way it ended.
     */
    sealed interface End extends JobEvent {
        Timings timings();

        Results results();

        @JsonProperty("outcome")
        default Outcome outcome() {
            return status().outcome();
        }

        /** The end event of a job in status (a terminal overview). */
        static End of(Job job, Job.Status status, long now, Results results) {
            Timings t = new Timings(job.createTime(), now, now - job.createTime());
            return switch (status.overview()) {
                case Finished -> new Completed(job.id(), job.projectId(), now, status, t, results);
                case Failed -> new Failed(job.id(), job.projectId(), now, status, t, results);
                case Cancelled -> new Cancelled(job.id(), job.projectId(), now, status, t, results);
                case TimedOut -> new TimedOut(job.id(), job.projectId(), now, status, t, results);
                case Waiting, Running -> throw new IllegalArgumentException("job " + job.id() + " has not ended");
            };
        }
    }

    /** Every item is terminal: Running → Finished. */
    record Completed(String jobId, String projectId, long time, Job.Status status, Timings timings, Results results)
            implements End {
    }

    /** Failed: the dataset changed or went away, the fan-out dead-lettered, the job stalled, or its error budget was exceeded. */
    record Failed(String jobId, String projectId, long time, Job.Status status, Timings timings, Results results)
            implements End {
    }

    /** Cancelled by the user. */
    record Cancelled(String jobId, String projectId, long time, Job.Status status, Timings timings, Results results)
            implements End {
    }

    /** stopAtTime (or the default cutoff of 24 h) passed first. */
    record TimedOut(String jobId, String projectId, long time, Job.Status status, Timings timings, Results results)
            implements End {
    }

    /** ms since the epoch; durationMs = completeTime - createTime. */
    record Timings(long createTime, long completeTime, long durationMs) {
    }

    /** The results manifest's and errors file's keys in the data bucket, and how many results parts there are. */
    record Results(String manifest, int parts, String errors) {
    }
}
