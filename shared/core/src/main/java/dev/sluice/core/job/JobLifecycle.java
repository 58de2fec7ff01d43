package dev.sluice.core.job;

import dev.sluice.core.Clock;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.port.ObjectStore;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one owner of a job's state: the table of allowed moves ({@link Move}), the conditional status writes that make
 * them, and the {@link JobEvent} each move emits (issue 23 item 1). Nothing else writes a job's overview.
 *
 * <pre>
 *   Waiting ──start──▶ Running ──finish (every item terminal)──▶ Finished
 *      │                  │
 *      └──cancel / timeOut / fail──▶ Cancelled / TimedOut / Failed     (terminal states never move again)
 * </pre>
 *
 * <p>Events: {@code job.started} when the fan-out starts the job; {@code job.progress} once per threshold of
 * {@link JobEvent#PROGRESS_PERCENTS} (items failed or delivered, skipped ones not counted); and the end event
 * ({@code job.completed}) once every item is accounted for and the manifest is written (a Failed job for a reason
 * other than its error budget at once: its items may never all be counted). An event goes to the job's webhook when
 * {@code spec.events} subscribes to its type (signed like every delivery, through the delivery queue), then to the
 * {@link JobEventSink} (EventBridge, the local log), then its {@link JobEvent#ledgerKey()} is written in the job's
 * ledger (stage {@link Stage#COMPLETION}): the ledger makes it once per job; a crash between the send and the ledger
 * write sends it again with the same id and delivery batch id (the delivery ledger drops the copy).
 *
 * <p>{@link #settle} is called after every commit that can move a job (and by the scheduler's sweep): it applies the
 * error budget, finishes a complete job, and sends what is due.
 */
public final class JobLifecycle {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobLifecycle.class);

    /** The state table: each move's target and the states it may leave. */
    public enum Move {
        START(JobState.Running, EnumSet.of(JobState.Waiting)),
        FINISH(JobState.Finished, EnumSet.of(JobState.Running)),
        CANCEL(JobState.Cancelled, EnumSet.of(JobState.Waiting, JobState.Running)),
        TIME_OUT(JobState.TimedOut, EnumSet.of(JobState.Waiting, JobState.Running)),
        FAIL(JobState.Failed, EnumSet.of(JobState.Waiting, JobState.Running));

        private final JobState to;
        private final Set<JobState> from;

        Move(JobState to, Set<JobState> from) {
            this.to = to;
            this.from = from;
        }

        public JobState to() {
            return to;
        }

        public Set<JobState> from() {
            return EnumSet.copyOf(from);
        }

        /** Whether any move goes from one state to the other (the whole table). */
        public static boolean allowed(JobState from, JobState to) {
            for (Move m : values()) {
                if (m.to == to && m.from.contains(from)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final JobStore jobs;
    private final JobCompletion completion;
    private final JobEventWebhook webhook;
    private final JobEventSink sink;
    private final Clock clock;
    private final Throughput.History history;

    /** The measured throughput that finished jobs recorded (a dry run's estimate reads it). */
    public Throughput.History history() {
        return history;
    }

    /**
     * @param webhook sends an event to the job's webhook when it subscribes ({@code delivery.WebhookEvents})
     * @param s3      writes the results of jobs with an S3 destination ({@link dev.sluice.core.destination.S3Results})
     */
    public JobLifecycle(JobStore jobs, ObjectStore objects, JobEventWebhook webhook, JobEventSink sink, Clock clock,
                        dev.sluice.core.destination.S3Results s3) {
        this(jobs, objects, webhook, sink, clock, s3, Throughput.History.NONE);
    }

    /** @param history told of each job that finishes, to measure its deployment's throughput for estimates */
    public JobLifecycle(JobStore jobs, ObjectStore objects, JobEventWebhook webhook, JobEventSink sink, Clock clock,
                        dev.sluice.core.destination.S3Results s3, Throughput.History history) {
        this.history = history;
        this.jobs = jobs;
        this.completion = new JobCompletion(jobs, objects, s3);
        this.webhook = webhook;
        this.sink = sink;
        this.clock = clock;
    }

    /**
     * Waiting → Running (the fan-out starts the job), and {@code job.started} once. A redelivered fan-out of a job that
     * is Running already sends a started event that a crash lost. True when this call moved the job.
     */
    public boolean start(Job job) {
        long now = clock.nowMillis();
        boolean moved = jobs.transition(job.id(), Move.START.from, Move.START.to, Move.START.to.name(), null, now);
        if (moved || job.status().overview() == JobState.Running) {
            Job.Status s = job.status();
            publishOnce(job, new JobEvent.Started(job.id(), job.projectId(), now, new Job.Status(JobState.Running,
                    JobState.Running.name(), null, s.items(), s.itemCount(), now)));
        }
        return moved;
    }

    // The ends below only move the job: the caller counts what the end leaves (skipped lines) and then calls settle,
    // which sends the end event once the counters are final.

    /** Waiting or Running → Cancelled; false when the job had ended already. */
    public boolean cancel(String jobId, String reason) {
        return end(jobId, Move.CANCEL, reason);
    }

    /** Waiting or Running → TimedOut; false when the job had ended already. */
    public boolean timeOut(String jobId, String reason) {
        return end(jobId, Move.TIME_OUT, reason);
    }

    /** Waiting or Running → Failed (reason: a dotted code, a colon, what happened); false when it had ended already. */
    public boolean fail(String jobId, String reason) {
        return end(jobId, Move.FAIL, reason);
    }

    /** Running → Finished when every item is terminal (a conditional write on exact counters); false otherwise. */
    public boolean finish(String jobId) {
        if (!jobs.finishIfComplete(jobId, clock.nowMillis())) {
            return false;
        }
        // once per job: only the call whose conditional move applied gets here
        jobs.get(jobId).ifPresent(job -> {
            try {
                history.record(job);
            } catch (RuntimeException e) {
                LOG.warn("could not record the throughput of job {}: {}", jobId, e.toString());
            }
        });
        return true;
    }

    private boolean end(String jobId, Move move, String reason) {
        return jobs.transition(jobId, move.from, move.to, move.to.name(), reason, clock.nowMillis());
    }

    /**
     * Moves the job as its counters say and sends the events that are due: a Running job past its error budget
     * fails ({@value ErrorBudget#EXCEEDED}), a Running job whose every item is terminal finishes (a conditional write
     * on exact counters), progress thresholds passed are announced, and an ended job whose items are all accounted
     * for gets its manifest, errors file and end event. Idempotent: call it after every commit.
     */
    /**
     * A results part whose commit was applied (the ledger names it): copied to the job's S3 destination when it has
     * one; a copy that fails is made when the job ends, before its manifest and end event.
     */
    public void resultsPartCommitted(Job job, String partKey, String ndjson) {
        completion.resultsPartCommitted(job, partKey, ndjson);
    }

    public void settle(String jobId) {
        Job job = jobs.get(jobId).orElse(null);
        if (job == null) {
            return;
        }
        if (job.status().overview() == JobState.Running) {
            ErrorBudget budget = job.spec().errorBudget();
            String exceeded = budget == null ? null : budget.exceeded(job.status().items());
            if (exceeded != null && jobs.transition(jobId, Move.FAIL.from, Move.FAIL.to, Move.FAIL.to.name(), exceeded,
                    clock.nowMillis())) {
                job = jobs.get(jobId).orElseThrow();
            } else if (job.status().items().terminal() == job.status().itemCount() && finish(jobId)) {
                // (the counters just read say whether a finish can apply: no second read of the job when not)
                job = jobs.get(jobId).orElseThrow();
            }
        }
        JobState state = job.status().overview();
        if (state == JobState.Waiting) {
            return;
        }
        if (state.isTerminal() && isComplete(jobId)) {
            // done before (a late commit's settle, or the sweep after a crash between the end event and this record)
            jobs.completed(jobId);
            return;
        }
        announceProgress(job);
        if (!state.isTerminal()) {
            return;
        }
        boolean accounted = job.status().items().terminal() >= job.status().itemCount()
                || state == JobState.Failed && !String.valueOf(job.status().reason()).startsWith(ErrorBudget.EXCEEDED);
        if (accounted) {
            long now = clock.nowMillis();
            JobEvent.Results results = completion.writeResults(job, now);
            publishOnce(job, JobEvent.End.of(job, job.status(), now, results));
            jobs.completed(jobId);
            ItemCounters c = job.status().items();
            try (var ids = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.PROJECT_ID, job.projectId())
                    .and(dev.sluice.core.observe.LogKey.JOB_ID, jobId)) {
                LOG.info("job finished {}: {} of {} items delivered, {} failed, {} skipped", state, c.delivered(),
                        job.status().itemCount(), c.failedGather() + c.failedProcess() + c.failedPredict() + c.failedDeliver(),
                        c.skipped());
            }
        }
    }

    /** Whether the job's end event went out (its manifest and errors file are written): its results are final. */
    public boolean isComplete(String jobId) {
        return jobs.isCommitted(jobId, Stage.COMPLETION, JobEvent.Type.COMPLETED.wire());
    }

    /**
     * Sends a progress event per threshold passed that was not sent yet, lowest first. Every publisher sends them in
     * order and writes each one's ledger entry before the next, so the highest one written means all below are: one
     * ledger read when nothing is due.
     */
    private void announceProgress(Job job) {
        ItemCounters c = job.status().items();
        long itemCount = job.status().itemCount();
        if (itemCount <= 0) {
            return;
        }
        long ended = c.terminal() - c.skipped();
        int highest = -1;
        for (int i = 0; i < JobEvent.PROGRESS_PERCENTS.length; i++) {
            if (ended * 100 >= (long) JobEvent.PROGRESS_PERCENTS[i] * itemCount) {
                highest = i;
            }
        }
        if (highest < 0 || announced(job.id()) >= highest) {
            return;
        }
        if (jobs.isCommitted(job.id(), Stage.COMPLETION, progressKey(JobEvent.PROGRESS_PERCENTS[highest]))) {
            remember(job.id(), highest);
            return;
        }
        long now = clock.nowMillis();
        for (int i = 0; i <= highest; i++) {
            publishOnce(job, new JobEvent.Progress(job.id(), job.projectId(), now, job.status(),
                    JobEvent.PROGRESS_PERCENTS[i]));
        }
        remember(job.id(), highest);
    }

    /**
     * The highest progress threshold this container knows went out, per job (-1: none known): a threshold's ledger
     * entry is never removed, so what one settle saw written the next need not read again. Bounded: the jobs settled
     * most recently, {@value #ANNOUNCED_JOBS} at most (a forgotten job is read from the ledger again).
     */
    private int announced(String jobId) {
        synchronized (announced) {
            return announced.getOrDefault(jobId, -1);
        }
    }

    private void remember(String jobId, int highest) {
        synchronized (announced) {
            announced.merge(jobId, highest, Math::max);
        }
    }

    static final int ANNOUNCED_JOBS = 1024;
    private final Map<String, Integer> announced = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > ANNOUNCED_JOBS;
        }
    };

    private static String progressKey(int percent) {
        return JobEvent.Type.PROGRESS.wire() + "." + percent;
    }

    /**
     * Sends the event unless the ledger has it: to the job's webhook if it subscribes, to the sink, then writes the
     * ledger entry. False when it had been sent before.
     */
    private boolean publishOnce(Job job, JobEvent event) {
        if (jobs.isCommitted(job.id(), Stage.COMPLETION, event.ledgerKey())) {
            return false;
        }
        webhook.send(job, event);
        sink.publish(event);
        jobs.commit(new JobStore.StageCommit(job.id(), Stage.COMPLETION, event.ledgerKey(), ItemCounters.ZERO,
                List.of(), clock.nowMillis(), null));
        return true;
    }
}
