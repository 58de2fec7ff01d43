package dev.sluice.core.schedule;

import dev.sluice.core.Clock;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobLifecycle;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.pipeline.ExecutionTasks;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic sweep (an EventBridge schedule on AWS, a timer in `sluice local`): accounts the messages waiting in
 * the DLQs, then, over active jobs, ends those whose stopAtTime (or the default cutoff) passed as TimedOut, finishes
 * those whose every item is terminal, and fails those that made no progress for too long. Starting at startAtTime needs no sweep: the fan-out message waits in the queue
 * until then. Items that never run because a job ended are counted as skipped where they are: the fan-out skips the
 * lines it has not sent, the inference stage the batches it receives for an ended job. Executions past their
 * jobTimeout end TimedOut, and complete ones finish. Last, the catalog records that are due (issue 24 item 6): datasets
 * whose expiryTime passed lose their file and become Expired (unless a job that has not ended holds them), datasets
 * and models still Uploading 24 h after their create are deleted.
 */
public final class Scheduler {
    /** A Running job whose counters did not move for this long is failed. */
    public static final long STALL_MILLIS = 60L * 60 * 1000;
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    /**
     * executionsEnded: executions the sweep ended (jobTimeout passed) or finished; expired: datasets whose expiryTime
     * passed, now Expired and without their file; abandoned: datasets and models deleted because they were still
     * Uploading 24 h after their create.
     */
    public record Sweep(int deadLetters, int active, int timedOut, int finished, int failed, int executionsEnded,
                        int expired, int abandoned) {
    }

    /** Due catalog records one sweep looks at (the rest wait for the next: the schedule runs every minute). */
    public static final int MAX_DUE_PER_SWEEP = 500;

    private final JobStore jobs;
    private final Clock clock;
    private final JobLifecycle lifecycle;
    private final DeadLetterService deadLetters;
    private final ExecutionTasks executions;

    private final dev.sluice.core.port.Catalog catalog;
    private final dev.sluice.core.dataset.DatasetService datasets;
    private final dev.sluice.core.model.ModelService models;

    public Scheduler(JobStore jobs, Clock clock, JobLifecycle lifecycle,
                     DeadLetterService deadLetters,
                     ExecutionTasks executions, dev.sluice.core.port.Catalog catalog,
                     dev.sluice.core.dataset.DatasetService datasets, dev.sluice.core.model.ModelService models) {
        this.catalog = catalog;
        this.datasets = datasets;
        this.models = models;
        this.executions = executions;
        this.lifecycle = lifecycle;
        this.deadLetters = deadLetters;
        this.jobs = jobs;
        this.clock = clock;
    }

    /**
     * How long the sweep keeps trying to complete an ended job (its manifest, errors file and end event) after its
     * last status write: a week, as long as the deliveries' records are kept.
     */
    static final long COMPLETION_RETRY_MILLIS = 7L * 24 * 3_600_000;

    public Sweep sweep() {
        int drained = deadLetters.drain();
        int timedOut = 0;
        int finished = 0;
        int failed = 0;
        var active = jobs.activeJobs();
        for (Job job : active) {
            if (job.status().overview().isTerminal()) {
                if (clock.nowMillis() - job.status().updateTime() > COMPLETION_RETRY_MILLIS) {
                    // bounded: a job whose completion never went through in a week is no longer swept
                    LOG.warn("ended job {} was not completed within {} days; no longer swept", job.id(),
                            COMPLETION_RETRY_MILLIS / 86_400_000);
                    jobs.completed(job.id());
                    continue;
                }
                // ended, but its completion (manifest, errors file, end event) did not go through: again, and one
                // that fails again (a destination that still refuses) waits for the next sweep without stopping this
                try {
                    lifecycle.settle(job.id());
                } catch (RuntimeException e) {
                    LOG.warn("the completion of ended job {} failed again: {}", job.id(), e.toString());
                }
                continue;
            }
            long now = clock.nowMillis();
            long stopAt = job.spec().stopAtTime() != null ? job.spec().stopAtTime() : job.createTime() + JobSpec.DEFAULT_CUTOFF_MILLIS;
            if (now >= stopAt) {
                if (lifecycle.timeOut(job.id(), "job.timed_out: " + (job.spec().stopAtTime() != null ? "stopAtTime" : "the default cutoff of 24 h")
                                + " passed before every item was done; the rest are counted as skipped")) {
                    timedOut++;
                    lifecycle.settle(job.id());
                }
            } else if (job.status().overview() == JobState.Running && lifecycle.finish(job.id())) {
                finished++;
                lifecycle.settle(job.id());
            } else if (job.status().overview() == JobState.Running && now - job.status().updateTime() > STALL_MILLIS) {
                if (lifecycle.fail(job.id(),
                        "job.stalled: no item made progress for " + STALL_MILLIS / 60_000 + " minutes; see the DLQs")) {
                    failed++;
                    lifecycle.settle(job.id());
                    LOG.warn("job {} stalled and was failed", job.id());
                }
            }
        }
        int executionsEnded = executions.sweep();
        int expired = 0;
        int abandoned = 0;
        var holders = dev.sluice.core.job.JobService.holders(jobs);
        for (var due : catalog.due(clock.nowMillis(), MAX_DUE_PER_SWEEP)) {
            try {
                if (dev.sluice.core.dataset.Dataset.KIND.names(due.id())) {
                    switch (datasets.sweep(due.projectId(), due.id(), holders)) {
                        case EXPIRED -> expired++;
                        case ABANDONED -> abandoned++;
                        default -> { }
                    }
                } else if (dev.sluice.core.model.Model.KIND.names(due.id()) && models.sweep(due.projectId(), due.id())) {
                    abandoned++;
                }
            } catch (RuntimeException e) {
                // one record that cannot be swept now (a conflict, a throttled request) waits for the next sweep
                LOG.warn("could not sweep {}: {}", due.id(), e.toString());
            }
        }
        return new Sweep(drained, active.size(), timedOut, finished, failed, executionsEnded, expired, abandoned);
    }
}
