package dev.sluice.core.schedule;

import dev.sluice.core.Clock;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobLifecycle;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.pipeline.ExecutionTasks;

import java.util.logging.Logger;

/**
 * The periodic sweep (an EventBridge schedule on AWS, a timer in `sluice local`): accounts the messages waiting in
 * the DLQs, then, over active jobs, ends those whose stopAtTime (or the default cutoff) passed as TimedOut, finishes
 * those whose every item is terminal, and fails those that made no progress for too long. Starting at startAtTime needs no sweep: the fan-out message waits in the queue
 * until then. Items that never run because a job ended are counted as skipped where they are: the fan-out skips the
 * lines it has not sent, the inference stage the batches it receives for an ended job. Executions past their
 * jobTimeout end TimedOut, and complete ones finish.
 */
public final class Scheduler {
    /** A Running job whose counters did not move for this long is failed. */
    public static final long STALL_MILLIS = 60L * 60 * 1000;
    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());

    /** executionsEnded: executions the sweep ended (jobTimeout passed) or finished. */
    public record Sweep(int deadLetters, int active, int timedOut, int finished, int failed, int executionsEnded) {
    }

    private final JobStore jobs;
    private final Clock clock;
    private final JobLifecycle lifecycle;
    private final DeadLetterService deadLetters;
    private final ExecutionTasks executions;

    public Scheduler(JobStore jobs, Clock clock, JobLifecycle lifecycle,
                     DeadLetterService deadLetters,
                     ExecutionTasks executions) {
        this.executions = executions;
        this.lifecycle = lifecycle;
        this.deadLetters = deadLetters;
        this.jobs = jobs;
        this.clock = clock;
    }

    public Sweep sweep() {
        int drained = deadLetters.drain();
        int timedOut = 0;
        int finished = 0;
        int failed = 0;
        var active = jobs.activeJobs();
        for (Job job : active) {
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
                    LOG.warning(() -> "job " + job.id() + " stalled and was failed");
                }
            }
        }
        return new Sweep(drained, active.size(), timedOut, finished, failed, executions.sweep());
    }
}
