package dev.sluice.core.fanout;

import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.Deadline;

import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.fakes.FakeBatchQueue;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fan-out's batches, counts and continuations, over in-memory ports. */
class FanoutServiceTest {
    private static final Deadline PLENTY = () -> 600_000;

    private final FakeCore core = new FakeCore();

    private static String line(int i) {
        return "{\"kind\":\"Image\",\"url\":\"https://img.example.com/" + i + ".jpg\"}";
    }

    private static List<String> lines(int n) {
        return IntStream.range(0, n).mapToObj(FanoutServiceTest::line).toList();
    }

    private List<BatchMessage> batchesSent() {
        return core.queue.bodies(BatchQueue.Name.INFERENCE).stream().map(b -> Json.read(b, BatchMessage.class)).toList();
    }

    @Test
    void batchKHoldsTheValidItemsOfItsLineRangeAndBadLinesAreFailedGatherWithTheirCodes() {
        List<String> lines = new ArrayList<>(lines(10));
        lines.set(5, "not json");
        lines.set(6, "{\"kind\":\"Image\",\"url\":\"ftp://host/x.jpg\"}");
        lines.set(7, "{\"kind\":\"Video\",\"url\":\"https://img.example.com/7.mp4\"}");
        Dataset dataset = core.dataset(lines);
        Job job = core.job(JobState.Waiting, 10, null, 4, dataset.id());

        core.fanout(1_000).handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);

        List<BatchMessage> sent = batchesSent();
        assertEquals(List.of("b0", "b1", "b2"), sent.stream().map(BatchMessage::batchId).toList());
        assertEquals(List.of(List.of(0L, 1L, 2L, 3L), List.of(4L), List.of(8L, 9L)),
                sent.stream().map(b -> b.items().stream().map(Item::index).toList()).toList());
        assertEquals(new ItemCounters(0, 3, 0, 0, 0, 0, 0, 0, 0), core.jobs.counters(job.id()));
        Map<Long, String> reasons = core.jobs.allLogs(job.id()).stream()
                .collect(Collectors.toMap(LogEntry::index, LogEntry::reason));
        assertTrue(reasons.get(5L).startsWith("item.malformed_json: "), reasons.get(5L));
        assertTrue(reasons.get(6L).startsWith("item.bad_url: "), reasons.get(6L));
        assertTrue(reasons.get(7L).startsWith("item.unknown_kind: "), reasons.get(7L));
        assertEquals(JobState.Running, core.jobs.state(job.id()));
        assertEquals(3, core.jobs.get(job.id()).orElseThrow().status().progress().batchesQueued());
    }

    @Test
    void aRedeliveredFanOutSendsIdenticalBatchesAndCountsItsBadLinesOnce() {
        List<String> lines = new ArrayList<>(lines(6));
        lines.set(2, "{");
        Dataset dataset = core.dataset(lines);
        Job job = core.job(JobState.Waiting, 6, null, 2, dataset.id());
        FanoutService fanout = core.fanout(1_000);

        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);
        List<String> first = core.queue.bodies(BatchQueue.Name.INFERENCE);
        core.queue.clearSent();
        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);

        assertEquals(first, core.queue.bodies(BatchQueue.Name.INFERENCE), "the same batches: the inference ledger drops the copies");
        assertEquals(1, core.jobs.counters(job.id()).failedGather());
    }

    @Test
    void aFanOutLowOnTimeHandsTheRestToAContinuationAtASegmentBoundaryAndEveryLineIsSentOnce() {
        // batch size 1: a segment is 100 lines; no time left at all, so each invocation sends one segment
        Dataset dataset = core.dataset(lines(250));
        Job job = core.job(JobState.Waiting, 250, null, 1, dataset.id());
        FanoutService fanout = core.fanout(1_000);
        Deadline none = () -> 0;

        List<FanoutMessage> continuations = new ArrayList<>();
        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), none);
        for (int handled = 0; handled < core.queue.sent(BatchQueue.Name.FANOUT).size(); handled++) {
            FakeBatchQueue.Sent c = core.queue.sent(BatchQueue.Name.FANOUT).get(handled);
            assertEquals(0, c.delaySeconds());
            FanoutMessage m = Json.read(c.body(), FanoutMessage.class);
            continuations.add(m);
            fanout.handle(m, none);
        }

        assertEquals(List.of(100L, 200L), continuations.stream().map(FanoutMessage::lineIndex).toList());
        long bytesOf100Lines = lines(100).stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
        assertEquals(bytesOf100Lines, continuations.get(0).offset(), "the byte offset of line 100");
        List<BatchMessage> sent = batchesSent();
        assertEquals(250, sent.size());
        assertEquals(IntStream.range(0, 250).mapToObj(i -> "b" + i).toList(), sent.stream().map(BatchMessage::batchId).toList());
        assertEquals(IntStream.range(0, 250).mapToObj(i -> (long) i).toList(),
                sent.stream().map(b -> b.items().get(0).index()).toList());
        assertEquals(List.of("completion#job.started", "fanout#s0", "fanout#s1", "fanout#s2"), core.jobs.ledgerEntries(job.id()),
                "the segments once, and the job's started event once");
        assertEquals(250, core.jobs.get(job.id()).orElseThrow().status().progress().batchesQueued());
    }

    @Test
    void aFanOutOfAnEndedJobCountsItsUnsentLinesSkippedOnce() {
        Dataset dataset = core.dataset(lines(10));
        Job job = core.job(JobState.Cancelled, 10, null, 4, dataset.id());
        FanoutService fanout = core.fanout(1_000);

        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);
        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);

        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertEquals(new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, 10), core.jobs.counters(job.id()));
        assertEquals(JobState.Cancelled, core.jobs.state(job.id()));
    }

    @Test
    void aJobCancelledWhileFanningOutSkipsOnlyTheLinesNotYetSent() {
        Dataset dataset = core.dataset(lines(250));
        Job job = core.job(JobState.Waiting, 250, null, 1, dataset.id());
        FanoutService fanout = core.fanout(1_000);
        fanout.handle(FanoutMessage.fanOut(job.id(), 0, 0), () -> 0); // first segment sent, continuation queued
        core.jobs.transition(job.id(), java.util.EnumSet.of(JobState.Running), JobState.Cancelled, "Cancelled", null, 0);

        fanout.handle(Json.read(core.queue.bodies(BatchQueue.Name.FANOUT).get(0), FanoutMessage.class), PLENTY);

        assertEquals(100, core.queue.sent(BatchQueue.Name.INFERENCE).size());
        assertEquals(150, core.jobs.counters(job.id()).skipped(), "lines 100..249; the 100 sent end in inference");
    }

    @Test
    void aJobThatStartsLaterWaitsInTheQueueForAtMostFifteenMinutesAtATime() {
        Dataset dataset = core.dataset(lines(3));
        long now = core.clock.nowMillis();
        Job soon = core.job(JobState.Waiting, 3, null, 4, dataset.id());
        Job later = core.job(JobState.Waiting, 3, null, 4, dataset.id());
        Job startsSoon = withStart(soon, now + 2_500);
        Job startsLater = withStart(later, now + 3_600_000);
        FanoutService fanout = core.fanout(1_000);

        fanout.handle(FanoutMessage.fanOut(startsSoon.id(), 0, 0), PLENTY);
        fanout.handle(FanoutMessage.fanOut(startsLater.id(), 0, 0), PLENTY);

        assertEquals(List.of(3, 900), core.queue.sent(BatchQueue.Name.FANOUT).stream().map(FakeBatchQueue.Sent::delaySeconds).toList());
        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertEquals(JobState.Waiting, core.jobs.state(startsSoon.id()));
    }

    /** A new job like this one (same dataset and model) that starts at startAt. */
    private Job withStart(Job like, long startAt) {
        var s = like.spec();
        Job job = new Job(like.id() + "s", Job.OBJECT, like.name(), like.projectId(),
                new dev.sluice.core.job.JobSpec(s.datasetId(), s.deployment(), s.resultDelivery(), startAt, null, s.batchSize()),
                like.status(), like.createTime(), like.updateTime());
        core.jobs.create(job);
        return job;
    }

    @Test
    void aDatasetChangedAfterValidationFailsTheJobAndSkipsItsLines() {
        Dataset dataset = core.dataset(lines(5));
        Job job = core.job(JobState.Waiting, 5, null, 4, dataset.id());
        core.objects.putText(dataset.objectKey(), String.join("\n", lines(7)) + "\n");

        core.fanout(1_000).handle(FanoutMessage.fanOut(job.id(), 0, 0), PLENTY);

        assertEquals(JobState.Failed, core.jobs.state(job.id()));
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().reason().startsWith("dataset.changed: "));
        assertEquals(5, core.jobs.counters(job.id()).skipped());
        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
    }
}
