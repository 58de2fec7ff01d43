package dev.sluice.core.deadletter;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobLifecycle;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.ExecutionTasks;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.core.pipeline.Routing;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.port.Catalog;

import java.util.BitSet;
import java.util.List;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.Metric;
import dev.sluice.core.observe.MetricDimension;
import dev.sluice.core.observe.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Poison messages: what a message that failed maxReceiveCount times held is accounted for, so its job can end, and
 * can be run again.
 *
 * <p>The scheduler drains the DLQs on every sweep. An inference batch's items fail (FailedPredict) and a delivery
 * batch's unsettled items fail (FailedDeliver) through the same ledger as the stage's own commit, so if a last
 * attempt did commit, nothing is counted twice; a dead fan-out fails its job and counts its unsent lines skipped.
 * Each is recorded as a {@link DeadLetter} of the job's project. A redrive does not put the message back on its
 * queue (the ledger would rightly drop a batch already accounted): it runs a new job over exactly those lines,
 * linked to the original by retryOf, the way a retry does.
 */
public final class DeadLetterService {
    public static final int MAX_PER_QUEUE_AND_SWEEP = 100;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterService.class);

    private final JobStore jobs;
    private final Catalog catalog;
    private final BatchQueue queue;
    private final FanoutService fanout;
    private final DeliveryService delivery;
    private final JobService jobService;
    private final JobLifecycle lifecycle;
    private final Clock clock;
    private final Metrics metrics;
    private final ExecutionTasks executions;

    public DeadLetterService(JobStore jobs, Catalog catalog, BatchQueue queue, FanoutService fanout,
                             DeliveryService delivery, JobService jobService, JobLifecycle lifecycle, Clock clock,
                             ExecutionTasks executions) {
        this(jobs, catalog, queue, fanout, delivery, jobService, lifecycle, clock, executions, Metrics.NONE);
    }

    /** @param metrics told of each dead letter accounted ({@link Metric#DEAD_LETTERS}, per stage) */
    public DeadLetterService(JobStore jobs, Catalog catalog, BatchQueue queue, FanoutService fanout,
                             DeliveryService delivery, JobService jobService, JobLifecycle lifecycle, Clock clock,
                             ExecutionTasks executions, Metrics metrics) {
        this.metrics = metrics;
        this.executions = executions;
        this.jobs = jobs;
        this.catalog = catalog;
        this.queue = queue;
        this.fanout = fanout;
        this.delivery = delivery;
        this.jobService = jobService;
        this.lifecycle = lifecycle;
        this.clock = clock;
    }

    /** Accounts and removes what waits in every DLQ (a bounded number per queue); returns how many it took. */
    public int drain() {
        int drained = 0;
        for (BatchQueue.Name name : BatchQueue.Name.values()) {
            int taken = 0;
            List<String> retry = new java.util.ArrayList<>();
            List<BatchQueue.DeadLetterMessage> messages;
            while (taken < MAX_PER_QUEUE_AND_SWEEP && !(messages = queue.receiveDeadLetters(name, 10)).isEmpty()) {
                for (BatchQueue.DeadLetterMessage m : messages) {
                    try {
                        account(name, m.messageId(), Routing.kindOf(name, m.kind(), m.body()), m.body());
                        queue.deleteDeadLetter(name, m.receiptHandle());
                        drained++;
                    } catch (RuntimeException e) {
                        LOG.warn("dead letter {} of {} not accounted yet: {}", m.messageId(), name, e.toString());
                        retry.add(m.receiptHandle());
                    }
                    taken++;
                }
            }
            // a transaction that lost a race, say: visible in the DLQ again at once, for the next sweep
            retry.forEach(receipt -> queue.releaseDeadLetter(name, receipt));
        }
        return drained;
    }

    /**
     * Accounts one dead message of the queue {@code name}, read as its {@code kind} (see {@link Routing#kindOf});
     * returns the record made, or null when there was nothing left to account.
     */
    public DeadLetter account(BatchQueue.Name name, String messageId, MessageKind kind, String body) {
        long now = clock.nowMillis();
        switch (kind) {
            case EXECUTION_TASK -> {
                // an execution's task: its file fails (or, for the listing, the execution), and the execution moves on
                ExecutionTask task = Json.read(body, ExecutionTask.class);
                executions.abandon(task, reason(name, LogKey.EXECUTION_ID, task.execution(), null));
                countDeadLetter(name);
                return null;
            }
            case FANOUT -> {
                FanoutMessage m = Json.read(body, FanoutMessage.class);
                String reason = reason(name, LogKey.JOB_ID, m.jobId(), null);
                if (!fanout.abandon(m, reason)) {
                    return null;
                }
                Job job = jobs.get(m.jobId()).orElseThrow();
                return record(job, name, null, messageId, null, m.lineIndex(), reason, now);
            }
            case BATCH -> {
                BatchMessage m = Json.read(body, BatchMessage.class);
                String reason = reason(name, LogKey.JOB_ID, m.jobId(), m.batchId());
                Job job = jobs.get(m.jobId()).orElse(null);
                if (job == null) {
                    return null;
                }
                List<LogEntry> failed = m.items().stream().map(item -> LogEntry.failure("ItemFailedPredict", now,
                        item.url(), item.index(), "FailedPredict", reason)).toList();
                long n = failed.size();
                boolean applied = jobs.commit(new JobStore.StageCommit(job.id(), Stage.INFERENCE, m.batchId(),
                        ItemCounters.failedPredict(n), failed, now, null,
                        new JobStore.BatchProgress(0, 1, 0)));
                lifecycle.settle(job.id());
                return applied ? record(job, name, m.batchId(), messageId, m.items().stream().map(Item::index).toList(),
                        null, reason, now) : null;
            }
            case DELIVERY, JOB_EVENT -> {
                DeliveryMessage m = Json.read(body, DeliveryMessage.class);
                String reason = reason(name, LogKey.JOB_ID, m.jobId(), m.ledgerId());
                Job job = jobs.get(m.jobId()).orElse(null);
                if (job == null) {
                    return null;
                }
                JobStore.StageCommit commit = delivery.giveUp(m, reason);
                boolean applied = jobs.commit(commit);
                lifecycle.settle(job.id());
                List<Long> lines = m.content() instanceof DeliveryMessage.Event ? List.of() : commit.entries().stream()
                        .filter(e -> "FailedDeliver".equals(e.status())).map(LogEntry::index).sorted().toList();
                return applied ? record(job, name, m.ledgerId(), messageId, lines, null, reason, now) : null;
            }
        }
        throw new IllegalStateException("unreachable: every kind is handled above");
    }

    /**
     * A dead letter's reason: {@code <stage>.dead_lettered}, and the ids to search the stage's function logs for
     * (every line of a batch carries its {@code job_id} and {@code batch_id}; of an execution's task its
     * {@code execution_id}: {@link LogKey}).
     */
    static String reason(BatchQueue.Name name, LogKey key, String id, String batchId) {
        String stage = Stage.of(name).wire();
        String ids = key.key() + "=" + id + (batchId == null ? "" : " " + LogKey.BATCH_ID.key() + "=" + batchId);
        return stage + ".dead_lettered: the message failed on every attempt and went to the " + name + " DLQ; search"
                + " the " + logsOf(name) + " for " + ids + " to read its errors, and run `sluice dlq redrive`"
                + " to run these items again";
    }

    /** Whose logs hold a queue's errors: the stage's function, or the task pool that polls the queue (ECS). */
    static String logsOf(BatchQueue.Name name) {
        return switch (name) {
            case FANOUT, INFERENCE, DELIVERY -> Stage.of(name).wire() + " function's logs";
            case INFERENCE_GPU, GPU_TASKS, GPU_SPOT_TASKS -> "GPU pool tasks' logs (ECS)";
            case CPU_TASKS, CPU_SPOT_TASKS -> "CPU pool tasks' logs (ECS)";
        };
    }

    /** The DeadLetters metric: one message of this queue's DLQ accounted. */
    private void countDeadLetter(BatchQueue.Name name) {
        metrics.emit(java.util.Map.of(MetricDimension.STAGE, Stage.of(name).wire()), Metric.DEAD_LETTERS, 1);
    }

    private DeadLetter record(Job job, BatchQueue.Name name, String batchId, String messageId, List<Long> lines,
                              Long fromLine, String reason, long now) {
        DeadLetter letter = new DeadLetter(Ids.newId(DeadLetter.PREFIX, now), DeadLetter.OBJECT, job.projectId(),
                job.id(), name.name(), batchId, messageId, lines, fromLine, reason, now, null);
        catalog.put(job.projectId(), letter.id(), letter);
        countDeadLetter(name);
        LOG.warn("dead letter {}: {} message {} of job {} {} accounted as failed", letter.id(), name, messageId, job.id(),
                lines == null ? "from line " + fromLine : "with " + lines.size() + " lines");
        return letter;
    }

    public DeadLetter get(String projectId, String id) {
        return catalog.get(projectId, DeadLetter.KIND, id).orElseThrow(() -> DeadLetter.KIND.notFound(id));
    }

    public Page<DeadLetter> list(String projectId, PageRequest page) {
        return catalog.list(projectId, DeadLetter.KIND, page);
    }

    /** Runs the dead letter's lines again in a new job; once per dead letter. */
    public Job redrive(String projectId, String id) {
        DeadLetter letter = get(projectId, id);
        if (letter.redriveJobId() != null) {
            throw SluiceException.conflict("dead_letter.already_redriven", "dead letter " + id
                    + " was redriven by job " + letter.redriveJobId());
        }
        Job original = jobService.get(projectId, letter.jobId());
        BitSet lines = new BitSet();
        if (letter.lines() != null) {
            letter.lines().forEach(i -> lines.set(i.intValue()));
        } else {
            lines.set(letter.fromLine().intValue(), (int) original.status().itemCount());
        }
        if (lines.isEmpty()) {
            throw SluiceException.conflict("dead_letter.nothing_to_redrive", "dead letter " + id + " held no item lines");
        }
        Job job = jobService.rerun(original, lines, "redrive");
        // conditional: of two redrives racing, the record keeps the first job and the second caller hears 409
        DeadLetter stored = catalog.update(projectId, DeadLetter.KIND, id, l -> l.redriveJobId() != null ? l
                : l.redrivenBy(job.id())).orElseThrow(() -> DeadLetter.KIND.notFound(id));
        if (!job.id().equals(stored.redriveJobId())) {
            jobService.cancel(projectId, job.id());
            throw SluiceException.conflict("dead_letter.already_redriven", "dead letter " + id
                    + " was redriven by job " + stored.redriveJobId());
        }
        return job;
    }
}
