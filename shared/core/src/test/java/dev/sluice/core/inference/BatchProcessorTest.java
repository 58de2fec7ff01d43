package dev.sluice.core.inference;

import dev.sluice.core.pipeline.BatchMessage;

import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.fakes.FakeBatchQueue;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.job.JobStore;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inference stage's rules of accounting, over in-memory ports (no emulator, no model). */
class BatchProcessorTest {
    private final FakeCore core = new FakeCore();

    private static BatchMessage batch(Job job, long first, int n) {
        List<Item> items = LongStream.range(first, first + n)
                .mapToObj(i -> new Item(i, null, Item.IMAGE, "https://img.example.com/" + i + ".jpg")).toList();
        return new BatchMessage(job.id(), BatchMessage.batchId(first, n), items);
    }

    private static List<String> inferenceEntries(FakeCore core, Job job) {
        return core.jobs.ledgerEntries(job.id()).stream().filter(e -> e.startsWith("inference#")).toList();
    }

    /** The line indexes a results part holds, one per NDJSON line. */
    private List<Long> linesOf(String part) {
        return core.objects.text(part).lines().map(l -> Json.tree(l).path("item").path("index").asLong()).toList();
    }

    @Test
    void aRedeliveredBatchIsCountedOnceAndItsDeliveryIsStillSent() {
        var hook = core.webhook(null, null);
        Job job = core.runningJob(4, hook.id());
        BatchProcessor processor = core.batchProcessor();

        assertEquals(List.of(true), processor.process(List.of(batch(job, 0, 4))));
        assertEquals(List.of(true), processor.process(List.of(batch(job, 0, 4))));

        ItemCounters c = core.jobs.counters(job.id());
        assertEquals(new ItemCounters(4, 0, 4, 0, 4, 0, 0, 0, 0), c);
        assertEquals(List.of("inference#b0"), inferenceEntries(core, job));
        // A handler that died after committing and before sending owes the delivery: it is sent again, and the
        // delivery ledger drops the copy.
        List<String> deliveries = core.queue.bodies(BatchQueue.Name.DELIVERY);
        assertEquals(2, deliveries.size());
        for (String body : deliveries) {
            DeliveryMessage d = Json.read(body, DeliveryMessage.class);
            assertEquals("b0", d.ledgerId());
            assertEquals(List.of(0L, 1L, 2L, 3L), d.posts().stream().map(DeliveryMessage.Payload::index).toList());
        }
    }

    @Test
    void noDeliveryIsSentForABatchWhoseDeliveryIsAlreadyCommitted() {
        var hook = core.webhook(null, null);
        Job job = core.runningJob(4, hook.id());
        // a redelivered batch: its inference and its delivery were committed by earlier attempts (a delivery is only
        // ever sent after its batch's inference commit)
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", ItemCounters.ZERO, List.of(), 0, null));
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.DELIVERY, "b0", ItemCounters.ZERO, List.of(), 0, null));

        core.batchProcessor().process(List.of(batch(job, 0, 4)));

        assertEquals(List.of(), core.queue.bodies(BatchQueue.Name.DELIVERY));
    }

    @Test
    void twoCopiesOfABatchInOneCallRunOnceAndBothAreAcknowledged() {
        Job job = core.runningJob(8, null);
        BatchMessage b0 = batch(job, 0, 4);

        assertEquals(List.of(true, true, true), core.batchProcessor().process(List.of(b0, batch(job, 4, 4), b0)));

        assertEquals(2, core.predictor.calls().size());
        assertEquals(8, core.jobs.counters(job.id()).predicted());
        assertEquals(List.of("inference#b0", "inference#b1"), inferenceEntries(core, job));
    }

    @Test
    void whenADuplicateCommitsFirstTheOtherBatchesGetAPartOfTheirOwnAndNoItemIsInTwoParts() {
        Job job = core.runningJob(8, null);
        AtomicBoolean raced = new AtomicBoolean();
        // a second worker holding a copy of b0 commits it between our part's PUT and our transaction
        core.jobs.beforeTransaction(commits -> {
            if (commits.size() == 2 && raced.compareAndSet(false, true)) {
                core.objects.put("results/other-worker.ndjson", new byte[0], "application/x-ndjson");
                core.jobs.commitTogether(List.of(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0",
                        new ItemCounters(4, 0, 4, 0, 4, 0, 4, 0, 0), List.of(), 0, "results/other-worker.ndjson")));
            }
        });

        assertEquals(List.of(true, true), core.batchProcessor().process(List.of(batch(job, 0, 4), batch(job, 4, 4))));

        assertTrue(raced.get());
        assertEquals(new ItemCounters(8, 0, 8, 0, 8, 0, 8, 0, 0), core.jobs.counters(job.id()), "b0 counted once");
        String b1Part = core.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b1");
        assertEquals(List.of(4L, 5L, 6L, 7L), linesOf(b1Part), "b1's part holds b1 only");
        assertEquals("results/other-worker.ndjson", core.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"));
        assertEquals(List.of("results/other-worker.ndjson", b1Part).stream().sorted().toList(),
                core.jobs.resultParts(job.id()).stream().sorted().toList());
        assertEquals(JobState.Finished, core.jobs.state(job.id()));
    }

    @Test
    void batchesOverOneTransactionAreCommittedInAtomicGroupsEachNamingAPartOfItsOwn() {
        // 8 actions: a group holds 3 commits of one job (2 actions each: ledger + log record, + 1 counter update
        // and 1 item record)
        FakeCore small = new FakeCore(8);
        Job job = small.runningJob(16, null);
        List<BatchMessage> batches = new ArrayList<>();
        for (int b = 0; b < 4; b++) {
            batches.add(batch(job, b * 4L, 4));
        }

        assertEquals(List.of(true, true, true, true), small.batchProcessor().process(batches));

        // b0-b2 and b3 in two transactions, then one ledger record per job event: progress at 25, 50 and 75 %, the end
        assertEquals(3, small.published.stream().filter(e -> e instanceof dev.sluice.core.job.JobEvent.Progress).count(),
                small.published.toString());
        assertEquals(2 + 3 + 1, small.jobs.transactions(), "two commit transactions, three progress events, the completion");
        TreeSet<Long> seen = new TreeSet<>();
        for (String part : small.jobs.resultParts(job.id())) {
            for (long line : small.objects.text(part).lines().map(l -> Json.tree(l).path("item").path("index").asLong()).toList()) {
                assertTrue(seen.add(line), "line " + line + " is in two parts");
            }
        }
        assertEquals(16, seen.size());
        assertEquals(2, small.jobs.resultParts(job.id()).size());
        assertEquals(small.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"), small.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b2"));
        assertNotEquals(small.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"), small.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b3"));
        assertEquals(JobState.Finished, small.jobs.state(job.id()));
    }

    @Test
    void theBatchesOfATerminalJobAreSkippedNotPredicted() {
        Job job = core.job(JobState.Cancelled, 4, null, 32, null);

        assertEquals(List.of(true), core.batchProcessor().process(List.of(batch(job, 0, 4))));

        assertEquals(List.of(), core.predictor.calls());
        assertEquals(new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, 4), core.jobs.counters(job.id()));
        List<LogEntry> logs = core.jobs.allLogs(job.id());
        assertEquals(4, logs.size());
        assertTrue(logs.stream().allMatch(e -> "Skipped".equals(e.status())
                && e.reason().startsWith("job.terminal: the job was Cancelled")), logs.toString());
        assertEquals(JobState.Cancelled, core.jobs.state(job.id()), "a terminal job never leaves its state");
        assertTrue(core.objects.exists("results/" + FakeCore.PROJECT + "/" + job.id() + "/manifest.json"),
                "the last item accounted completes the job");
    }

    @Test
    void theQueuedBatchesOfAnEndedJobAreNotFetched_onLambdaAndOnTheGpuPool() {
        Job cancelled = core.job(JobState.Cancelled, 4, null, 32, null);
        Job live = core.runningJob(4, null);
        BatchMessage ended = new BatchMessage(cancelled.id(), "b0", List.of(
                new Item(0, null, Item.IMAGE, "https://slow.example.com/0.jpg"),
                new Item(1, null, Item.IMAGE, "https://slow.example.com/1.jpg")));
        BatchProcessor gpu = new BatchProcessor(core.jobs, core.catalog, core.fetcher, core.predictor, core.objects,
                core.queue, core.clock, true, core.lifecycle());

        assertEquals(List.of(true, true), core.batchProcessor().process(List.of(ended, batch(live, 0, 2))));
        assertEquals(List.of(true), gpu.process(List.of(new BatchMessage(cancelled.id(), "b1", List.of(
                new Item(2, null, Item.IMAGE, "https://slow.example.com/2.jpg"))))));

        for (int i = 0; i < 3; i++) {
            assertEquals(0, core.fetcher.fetches("https://slow.example.com/" + i + ".jpg"), "item " + i + " fetched");
        }
        assertEquals(1, core.fetcher.fetches("https://img.example.com/0.jpg"), "the live job's items are fetched");
        assertEquals(3, core.jobs.counters(cancelled.id()).skipped());
        assertEquals(2, core.jobs.counters(live.id()).predicted());
    }

    @Test
    void gatherFailuresAreFailedGatherWithTheFetchersStableCodesAndAreNotPredicted() {
        core.objects.putItem("items", "ok.jpg", new byte[10]);
        core.objects.putItem("items", "big.jpg", new byte[101]);
        ItemFetcher real = new ItemFetcher(core.objects, Duration.ofSeconds(1), Duration.ofSeconds(1), 100, false, null,
                new AllowedBuckets(java.util.Set.of("items"), "data"));
        Job job = core.runningJob(4, null);
        BatchMessage b0 = new BatchMessage(job.id(), "b0", List.of(new Item(0, null, Item.IMAGE, "s3://items/ok.jpg"),
                new Item(1, null, Item.IMAGE, "s3://items/missing.jpg"), new Item(2, null, Item.IMAGE, "s3://items/big.jpg"),
                new Item(3, null, Item.IMAGE, "s3://data/other-tenant.jpg")));

        core.batchProcessor(real).process(List.of(b0));

        assertEquals(new ItemCounters(1, 3, 1, 0, 1, 0, 1, 0, 0), core.jobs.counters(job.id()));
        assertEquals(List.of(List.of(0L)), core.predictor.calls(), "only gathered items reach the model");
        Map<Long, String> reasons = new java.util.HashMap<>();
        core.jobs.allLogs(job.id()).stream().filter(e -> "FailedGather".equals(e.status()))
                .forEach(e -> reasons.put(e.index(), e.reason()));
        assertTrue(reasons.get(1L).startsWith("gather.not_found: "), reasons.get(1L));
        assertTrue(reasons.get(2L).startsWith("gather.too_large: "), reasons.get(2L));
        assertTrue(reasons.get(3L).startsWith("gather.bucket_refused: "), reasons.get(3L));
        assertEquals(0, core.objects.itemReads("data", "other-tenant.jpg"), "a refused bucket is not read at all");
        assertNull(core.jobs.counters(job.id()).violation(4), "counters add up for the finished job");
        assertEquals(JobState.Finished, core.jobs.state(job.id()));
    }

    @Test
    void processAndPredictFailuresAreCountedAtTheirStageAndTheCountersAddUp() {
        var hook = core.webhook(null, null);
        Job job = core.runningJob(4, hook.id());
        core.predictor.failProcess(1, "process.decode_failed: not an image").failPredict(2, "predict.failed: NaN");

        core.batchProcessor().process(List.of(batch(job, 0, 4)));

        ItemCounters c = core.jobs.counters(job.id());
        assertEquals(new ItemCounters(4, 0, 3, 1, 2, 1, 0, 0, 0), c);
        assertEquals(c.gathered(), c.preprocessed() + c.failedProcess());
        assertEquals(c.preprocessed(), c.predicted() + c.failedPredict());
        DeliveryMessage d = Json.read(core.queue.bodies(BatchQueue.Name.DELIVERY).get(0), DeliveryMessage.class);
        assertEquals(List.of(0L, 3L), d.posts().stream().map(DeliveryMessage.Payload::index).toList(),
                "only predicted items are delivered");
        assertEquals(JobState.Running, core.jobs.state(job.id()), "the webhook's deliveries are still owed");
    }

    @Test
    void aBatchOfAnUnknownJobIsAcknowledgedAndNothingIsCommitted() {
        Job job = core.runningJob(4, null);
        BatchMessage orphan = new BatchMessage("batchjob_gone", "b0", batch(job, 0, 4).items());

        assertEquals(List.of(true), core.batchProcessor().process(List.of(orphan)));

        assertEquals(0, core.jobs.transactions());
        assertEquals(List.of(), core.predictor.calls());
    }

    private BatchProcessor withPatience(long millis) {
        return new BatchProcessor(core.jobs, core.catalog, core.fetcher, core.predictor, core.objects, core.queue,
                core.clock, false, core.lifecycle(), millis);
    }

    @Test
    void aBatchWaitingOnAHostThatSentNothingIsPutBackDelayedAndNotCommitted() {
        Job job = core.runningJob(2, null);
        core.fetcher.hold("https://slow.example.com/1.jpg");
        BatchMessage b0 = new BatchMessage(job.id(), "b0", List.of(new Item(0, null, Item.IMAGE, "https://fast.example.com/0.jpg"),
                new Item(1, null, Item.IMAGE, "https://slow.example.com/1.jpg")));

        assertEquals(List.of(true), withPatience(20).process(List.of(b0)), "the old message is acknowledged");

        assertEquals(List.of(), inferenceEntries(core, job), "nothing is committed: the ledger still counts it once");
        List<FakeBatchQueue.Sent> sent = core.queue.sent(BatchQueue.Name.INFERENCE);
        assertEquals(1, sent.size());
        assertEquals(BatchProcessor.DEFER_SECONDS, sent.get(0).delaySeconds());
        BatchMessage again = Json.read(sent.get(0).body(), BatchMessage.class);
        assertEquals(1, again.timesDeferred());
        assertEquals(b0.items(), again.items());
        assertEquals(List.of(), core.predictor.calls());
    }

    @Test
    void whenTheInvocationIsShortOfTime_theBatchesNotRunArePutBackAtOnce_andWhatRanIsCommittedOnce() {
        Job job = core.runningJob(9, null);
        BatchProcessor processor = core.batchProcessor();
        List<BatchMessage> batches = List.of(batch(job, 0, 3), batch(job, 3, 3), batch(job, 6, 3));
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        // plenty of time before the second batch; then less than the reserve for the commit
        dev.sluice.core.pipeline.Deadline deadline = () -> asked.incrementAndGet() == 1 ? 600_000
                : BatchProcessor.COMMIT_RESERVE_MILLIS - 1;

        assertEquals(List.of(true, true, true), processor.process(batches, deadline), "every message acknowledged");

        assertEquals(List.of(List.of(0L, 1L, 2L), List.of(3L, 4L, 5L)), core.predictor.calls(), "the third never ran");
        assertEquals(List.of("inference#b0", "inference#b1"), inferenceEntries(core, job));
        List<FakeBatchQueue.Sent> sent = core.queue.sent(BatchQueue.Name.INFERENCE);
        assertEquals(1, sent.size(), "the batch not run, sent again");
        assertEquals(0, sent.get(0).delaySeconds(), "at once");
        BatchMessage again = Json.read(sent.get(0).body(), BatchMessage.class);
        assertEquals(batches.get(2), again, "unchanged: not a deferral (those are for slow hosts)");
        assertEquals(6, core.jobs.counters(job.id()).predicted());

        // the next invocation runs it; a stale copy of it (its first message, had the acknowledgement been lost) counts nothing
        assertEquals(List.of(true), processor.process(List.of(again)));
        assertEquals(List.of(true), processor.process(List.of(batches.get(2))));
        assertEquals(9, core.jobs.counters(job.id()).predicted());
        assertEquals(List.of("inference#b0", "inference#b1", "inference#b2"), inferenceEntries(core, job));
    }

    @Test
    void theFirstBatchAlwaysRuns_andAnInvocationWithTimeLeftPutsNothingBack() {
        Job job = core.runningJob(6, null);
        BatchProcessor processor = core.batchProcessor();
        assertEquals(List.of(true), processor.process(List.of(batch(job, 0, 3)), () -> 1));
        assertEquals(List.of(true), processor.process(List.of(batch(job, 3, 3)), () -> 600_000));
        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertEquals(6, core.jobs.counters(job.id()).predicted());
    }

    @Test
    void aBatchPutBackTheMostTimesIsWaitedForAndCommitted() {
        Job job = core.runningJob(2, null);
        core.fetcher.holdFor("https://slow.example.com/1.jpg", 100);
        BatchMessage b0 = new BatchMessage(job.id(), "b0", List.of(new Item(0, null, Item.IMAGE, "https://fast.example.com/0.jpg"),
                new Item(1, null, Item.IMAGE, "https://slow.example.com/1.jpg")), BatchProcessor.MAX_DEFERRALS);

        assertEquals(List.of(true), withPatience(1).process(List.of(b0)));

        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertEquals(2, core.jobs.counters(job.id()).predicted());
    }

    @Test
    void aTerminalJobsBatchIsNeverPutBack() {
        Job job = core.job(JobState.TimedOut, 2, null, 32, null);
        core.fetcher.holdFor("https://slow.example.com/1.jpg", 100);
        BatchMessage b0 = new BatchMessage(job.id(), "b0", List.of(new Item(0, null, Item.IMAGE, "https://fast.example.com/0.jpg"),
                new Item(1, null, Item.IMAGE, "https://slow.example.com/1.jpg")));

        withPatience(1).process(List.of(b0));

        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertEquals(2, core.jobs.counters(job.id()).skipped());
    }

    @Test
    void aGpuPoolBatchIsPutBackOnTheGpuQueue() {
        long now = core.clock.nowMillis();
        Job job = core.runningJob(1, null);
        Job gpu = new Job("batchjob_gpu0000000000001", Job.OBJECT, "g", FakeCore.PROJECT,
                new dev.sluice.core.job.JobSpec(job.spec().datasetId(), new dev.sluice.core.job.JobSpec.Deployment(
                        job.spec().deployment().modelId(), dev.sluice.core.deployment.DeploymentTarget.GPU_POOL.wire()), null, null, null, 32),
                new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, 1, now), now, now);
        core.jobs.create(gpu);
        core.fetcher.hold("https://slow.example.com/0.jpg");

        withPatience(20).process(List.of(new BatchMessage(gpu.id(), "b0",
                List.of(new Item(0, null, Item.IMAGE, "https://slow.example.com/0.jpg")))));

        assertEquals(1, core.queue.sent(BatchQueue.Name.INFERENCE_GPU).size());
        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.INFERENCE));
        assertNotNull(core.jobs.get(gpu.id()).orElseThrow());
        assertFalse(core.jobs.isCommitted(gpu.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"));
    }

    @Test
    void theGpuPoolRunsOneTensorOverEveryBatchOfACallAndSplitsTheOutputsBackToTheirBatches() {
        Job job = core.runningJob(8, null);
        core.predictor.failPredict(5, "predict.failed: test");
        BatchProcessor gpu = new BatchProcessor(core.jobs, core.catalog, core.fetcher, core.predictor, core.objects,
                core.queue, core.clock, true, core.lifecycle());

        assertEquals(List.of(true, true), gpu.process(List.of(batch(job, 0, 4), batch(job, 4, 4))));

        assertEquals(List.of(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L)), core.predictor.calls(), "one tensor");
        String b0 = core.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0");
        assertEquals(b0, core.jobs.partOf(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b1"), "one part for the call");
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 6L, 7L), linesOf(b0), "each output went back to its own item");
        assertEquals(new ItemCounters(8, 0, 8, 0, 7, 1, 7, 0, 0), core.jobs.counters(job.id()));
    }
}
