package dev.sluice.core.fanout;

import dev.sluice.core.Clock;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.dataset.ItemParser;
import dev.sluice.core.dataset.NdjsonReader;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Deadline;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a job's dataset from S3 and sends its items to the inference queue, one message per batch.
 *
 * <p>Batch k holds the valid items of lines [k*B, (k+1)*B): batch boundaries depend only on line numbers, so a
 * redelivered or resumed fan-out sends identical batches and the ledger of the inference stage drops the copies.
 * Lines that do not parse are failedGather; they are committed per segment of {@value #BATCHES_PER_SEGMENT} batches,
 * and an invocation that runs low on time stops at a segment boundary and continues in a new message from that
 * byte offset.
 */
public final class FanoutService {
    public static final int BATCHES_PER_SEGMENT = 100;
    /** SQS accepts 256 KiB per message; a batch whose items are longer is split in two. */
    static final int MAX_MESSAGE_BYTES = 250 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(FanoutService.class);

    private final JobStore jobs;
    private final Catalog catalog;
    private final DatasetService datasets;
    private final ObjectStore objects;
    private final BatchQueue queue;
    private final ItemParser parser;
    private final Clock clock;
    private final long reserveMillis;
    private final dev.sluice.core.job.JobLifecycle lifecycle;

    /** @param reserveMillis time left at which an invocation hands the rest of the dataset to a continuation */
    public FanoutService(JobStore jobs, Catalog catalog, DatasetService datasets, ObjectStore objects,
                         BatchQueue queue, ItemParser parser, Clock clock, long reserveMillis,
                         dev.sluice.core.job.JobLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.jobs = jobs;
        this.catalog = catalog;
        this.datasets = datasets;
        this.objects = objects;
        this.queue = queue;
        this.parser = parser;
        this.clock = clock;
        this.reserveMillis = reserveMillis;
    }

    public void handle(FanoutMessage message, Deadline deadline) {
        switch (message.type()) {
            case FanoutMessage.VALIDATE_DATASET -> datasets.validate(message.projectId(), message.datasetId());
            case FanoutMessage.FAN_OUT -> fanOut(message.jobId(), message.offset(), message.lineIndex(), deadline);
            default -> throw new IllegalArgumentException("unknown fanout message type " + message.type());
        }
    }

    /**
     * Ends what a message that went to the dead-letter queue was doing: a dataset's validation fails, and a job's
     * fan-out fails the job, its lines from the message's on counted as skipped. True when a job was failed.
     */
    public boolean abandon(FanoutMessage message, String reason) {
        if (FanoutMessage.VALIDATE_DATASET.equals(message.type())) {
            datasets.failValidation(message.projectId(), message.datasetId(), reason);
            return false;
        }
        if (!lifecycle.fail(message.jobId(), reason)) {
            return false;
        }
        jobs.get(message.jobId()).ifPresent(job -> skipUnsent(job, message.lineIndex()));
        return true;
    }

    void fanOut(String jobId, long offset, long firstLine, Deadline deadline) {
        Job job = jobs.get(jobId).orElse(null);
        if (job == null) {
            LOG.info("fanout: job {} is gone; nothing to send", jobId);
            return;
        }
        if (job.status().overview().isTerminal()) {
            skipUnsent(job, firstLine);
            return;
        }
        long now = clock.nowMillis();
        Long startAt = job.spec().startAtTime();
        if (startAt != null && startAt > now) {
            int delay = (int) Math.min(900, Math.max(1, (startAt - now + 999) / 1000));
            queue.send(BatchQueue.Name.FANOUT, FanoutMessage.fanOut(jobId, offset, firstLine).envelope().forProject(job.projectId()), delay);
            return;
        }
        Dataset dataset = catalog.get(job.projectId(), Dataset.KIND, job.spec().datasetId()).orElse(null);
        if (dataset == null) {
            fail(job, firstLine, "dataset.not_found: dataset " + job.spec().datasetId() + " was deleted");
            return;
        }
        if (lifecycle.start(job)) {
            LOG.info("job started: fanning out {} items", job.status().itemCount());
        }
        int batchSize = job.spec().effectiveBatchSize();
        long segmentLines = (long) batchSize * BATCHES_PER_SEGMENT;
        try (InputStream in = objects.open(dataset.objectKey(), offset, dataset.status().etag())) {
            NdjsonReader reader = new NdjsonReader(in, offset);
            BatchQueue.Name target = job.spec().deployment().effectiveTarget().queue();
            Segment segment = new Segment(firstLine, target, job.projectId());
            List<Item> batch = new ArrayList<>(batchSize);
            long index = firstLine;
            NdjsonReader.Line line;
            while ((line = reader.next()) != null) {
                ItemParser.Result parsed = parser.parse(index, line);
                if (parsed.ok()) {
                    batch.add(parsed.item());
                } else {
                    segment.failures.add(LogEntry.failure("ItemFailedGather", clock.nowMillis(), parsed.rawUrl(),
                            index, "FailedGather", parsed.errorCode() + ": " + parsed.errorReason()));
                }
                index++;
                if (index % batchSize == 0) {
                    segment.addBatch(jobId, index - batchSize, batchSize, batch);
                    batch.clear();
                }
                if (index % segmentLines == 0) {
                    finishSegment(jobId, segment, segmentLines);
                    segment = new Segment(index, target, job.projectId());
                    if (jobs.get(jobId).map(j -> j.status().overview().isTerminal()).orElse(true)) {
                        skipUnsent(job, index); // cancelled or timed out while fanning out
                        return;
                    }
                    if (deadline.remainingMillis() < reserveMillis) {
                        queue.send(BatchQueue.Name.FANOUT,
                                FanoutMessage.fanOut(jobId, reader.offset(), index).envelope().forProject(job.projectId()), 0);
                        return;
                    }
                }
            }
            segment.addBatch(jobId, index - (index % batchSize), batchSize, batch);
            finishSegment(jobId, segment, segmentLines);
        } catch (ObjectStore.ObjectChangedException e) {
            fail(job, firstLine, "dataset.changed: the dataset file changed after it was validated");
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset of job " + jobId, e);
        }
        lifecycle.settle(jobId);
    }

    /**
     * Fails the job for a reason of its dataset, and counts its lines from firstLine on that no attempt sent as
     * skipped, so that its counters still add up to itemCount (batches already sent end as skipped in inference).
     */
    private void fail(Job job, long firstLine, String reason) {
        if (lifecycle.fail(job.id(), reason)) {
            skipUnsent(job, firstLine);
        }
    }

    /**
     * The job ended: its lines from firstLine on that no attempt sent are skipped. Segments that an earlier attempt
     * of this message (or a duplicate of it) sent and committed are counted by their batches, not again here.
     */
    private void skipUnsent(Job job, long firstLine) {
        long segmentLines = (long) job.spec().effectiveBatchSize() * BATCHES_PER_SEGMENT;
        long from = firstLine;
        while (from < job.status().itemCount() && jobs.isCommitted(job.id(), Stage.FANOUT, "s" + from / segmentLines)) {
            from += segmentLines;
        }
        skipFrom(job, from);
    }

    /** The lines from here on will never run: they are skipped, once (the ledger keys on the first line). */
    private void skipFrom(Job job, long firstLine) {
        long skipped = job.status().itemCount() - firstLine;
        if (skipped > 0) {
            jobs.commit(new JobStore.StageCommit(job.id(), Stage.FANOUT, dev.sluice.core.job.ItemOutcomes.skipBatchId(firstLine),
                    ItemCounters.skipped(skipped), List.of(), clock.nowMillis(), null));
        }
        lifecycle.settle(job.id());
    }

    private void finishSegment(String jobId, Segment segment, long segmentLines) {
        queue.send(segment.queue, segment.messages);
        if (!segment.failures.isEmpty() || !segment.messages.isEmpty()) {
            long n = segment.failures.size();
            jobs.commit(new JobStore.StageCommit(jobId, Stage.FANOUT, "s" + (segment.firstLine / segmentLines),
                    ItemCounters.failedGather(n), segment.failures, clock.nowMillis(), null,
                    new JobStore.BatchProgress(segment.messages.size(), 0, 0)));
        }
    }

    private static final class Segment {
        final long firstLine;
        final BatchQueue.Name queue;
        final List<Envelope> messages = new ArrayList<>();
        final List<LogEntry> failures = new ArrayList<>();

        final String projectId;

        Segment(long firstLine, BatchQueue.Name queue, String projectId) {
            this.firstLine = firstLine;
            this.queue = queue;
            this.projectId = projectId;
        }

        void addBatch(String jobId, long batchFirstLine, int batchSize, List<Item> items) {
            if (!items.isEmpty()) {
                addMessage(new BatchMessage(jobId, BatchMessage.batchId(batchFirstLine, batchSize), List.copyOf(items)));
            }
        }

        private void addMessage(BatchMessage message) {
            Envelope envelope = message.envelope().forProject(projectId);
            if (envelope.body().length() <= MAX_MESSAGE_BYTES || message.items().size() == 1) {
                messages.add(envelope);
                return;
            }
            int half = message.items().size() / 2;
            addMessage(new BatchMessage(message.jobId(), message.batchId() + ".0", message.items().subList(0, half)));
            addMessage(new BatchMessage(message.jobId(), message.batchId() + ".1",
                    message.items().subList(half, message.items().size())));
        }
    }
}
