package dev.sluice.core.fakes;

import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.Ids;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.JobStore.StageCommit;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link JobStore} must do, the services' unit tests rely on it: {@link FakeJobStore} runs it
 * ({@code FakeJobStoreContractTest}), and so can the DynamoDB adapter against DynamoDB Local (subclass this from the
 * published test-jar), so the fake cannot drift from the adapter unnoticed.
 */
public abstract class JobStoreContract {
    /** A new, empty store. */
    protected abstract JobStore store();

    private final long now = 1_800_000_000_000L;

    protected Job newJob(JobStore store, JobState state, long itemCount) {
        Job job = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "contract", "proj_contract",
                new JobSpec(Ids.newId(Ids.DATASET, now), new JobSpec.Deployment(Ids.newId(Ids.MODEL, now)), null, null,
                        null, 4),
                new Job.Status(state, state.name(), null, ItemCounters.ZERO, itemCount, now), now, now);
        store.create(job);
        return job;
    }

    private StageCommit commit(Job job, dev.sluice.core.pipeline.Stage stage, String batch, long delivered, List<LogEntry> entries, String part) {
        return new StageCommit(job.id(), stage, batch, new ItemCounters(delivered, 0, delivered, 0, delivered, 0,
                delivered, 0, 0), entries, now, part);
    }

    private static ItemCounters counters(JobStore store, Job job) {
        return store.get(job.id()).orElseThrow().status().items();
    }

    @Test
    void retries_areListedInOrder_upToTheBound_andNeverOnAJobThatIsNot() {
        JobStore store = store();
        Job job = newJob(store, JobState.Finished, 1);
        for (int i = 0; i < Job.MAX_RETRIES; i++) {
            assertTrue(store.addRetry(job.id(), "batchjob_retry" + i));
        }
        assertFalse(store.addRetry(job.id(), "batchjob_one_too_many"), "the bound holds");
        List<String> retries = store.get(job.id()).orElseThrow().retries();
        assertEquals(Job.MAX_RETRIES, retries.size());
        assertEquals("batchjob_retry0", retries.get(0));
        assertFalse(store.addRetry(Ids.newId(Ids.JOB, now), "batchjob_x"), "no job, no link (and no job written)");
        assertNull(newJob(store, JobState.Finished, 1).retries(), "a job without retries lists none");
    }

    @Test
    void aCommitIsAppliedOncePerJobStageAndBatch() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 10);

        assertTrue(store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 2, List.of(), null)));
        assertFalse(store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 2, List.of(), null)));
        assertTrue(store.commit(commit(job, dev.sluice.core.pipeline.Stage.DELIVERY, "b0", 0, List.of(), null)), "another stage, another entry");

        assertEquals(2, counters(store, job).delivered());
        assertTrue(store.isCommitted(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"));
        assertFalse(store.isCommitted(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b1"));
    }

    @Test
    void commitTogetherAppliesAllOrNothing() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 10);
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), null));

        assertFalse(store.commitTogether(List.of(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 2, List.of(), "p0"),
                commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), "p0"))));

        assertFalse(store.isCommitted(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"), "nothing of a failed transaction is written");
        assertEquals(1, counters(store, job).delivered());
        assertEquals(List.of(), store.resultParts(job.id()));
    }

    @Test
    void commitAllAppliesTheOthersWhenOneWasAppliedBefore() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 10);
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), null));

        List<Boolean> applied = store.commitAll(List.of(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 1, List.of(), null),
                commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), null), commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b2", 1, List.of(), null)));

        assertEquals(List.of(true, false, true), applied);
        assertEquals(3, counters(store, job).delivered());
    }

    @Test
    void aCommitOfAJobThatDoesNotExistThrowsAndWritesNoLedgerEntry() {
        JobStore store = store();
        Job ghost = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "x", "proj_contract", null, null, now, now);

        assertThrows(RuntimeException.class, () -> store.commitTogether(List.of(commit(ghost, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 1, List.of(), null))));
        assertFalse(store.isCommitted(ghost.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"));
    }

    @Test
    void atomicGroupsKeepTheOrderNeverSplitACommitAndEachGroupCommitsTogether() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 1_000);
        List<StageCommit> commits = new ArrayList<>();
        for (int b = 0; b < 150; b++) {
            int batch = b;
            commits.add(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b" + b, 1, List.of(LogEntry.info("ItemPredicted", now, "u", batch,
                    "Predicted", 1)), null));
        }

        List<List<StageCommit>> groups = store.atomicGroups(commits);

        assertTrue(groups.size() > 1, "150 commits with log records are more than one transaction");
        assertEquals(commits, groups.stream().flatMap(List::stream).toList());
        for (List<StageCommit> group : groups) {
            assertTrue(store.commitTogether(group));
        }
        assertEquals(150, counters(store, job).delivered());
        assertEquals(List.of(List.of(commits.get(0))), store.atomicGroups(List.of(commits.get(0))));
    }

    @Test
    void aTransitionIsConditionalOnTheCurrentState_andAnEndedJobIsActiveUntilItsCompletionIsRecorded() {
        JobStore store = store();
        Job job = newJob(store, JobState.Waiting, 2);

        assertFalse(store.transition(job.id(), EnumSet.of(JobState.Running), JobState.Failed, "Failed", "x", now));
        assertTrue(store.transition(job.id(), EnumSet.of(JobState.Waiting), JobState.Running, "Running", null, now));
        assertTrue(store.activeJobs().stream().anyMatch(j -> j.id().equals(job.id())));
        assertTrue(store.transition(job.id(), EnumSet.of(JobState.Running), JobState.Cancelled, "Cancelled", "user", now));
        assertFalse(store.transition(job.id(), EnumSet.of(JobState.Running), JobState.Failed, "Failed", "late", now));

        assertEquals(JobState.Cancelled, store.get(job.id()).orElseThrow().status().overview());
        assertEquals("user", store.get(job.id()).orElseThrow().status().reason());
        // ended, but listed until its completion is recorded (a completion that failed is made by the next sweep)
        assertTrue(store.activeJobs().stream().anyMatch(j -> j.id().equals(job.id())));
        store.completed(job.id());
        store.completed("batchjob_missing");
        assertTrue(store.activeJobs().stream().noneMatch(j -> j.id().equals(job.id())));
        assertFalse(store.transition("batchjob_missing", EnumSet.allOf(JobState.class), JobState.Failed, "F", null, now));
    }

    @Test
    void finishIfCompleteNeedsARunningJobWithEveryItemTerminal() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 3);
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 2, List.of(), null));

        assertFalse(store.finishIfComplete(job.id(), now));
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), null));
        assertTrue(store.finishIfComplete(job.id(), now));
        assertFalse(store.finishIfComplete(job.id(), now), "once");

        assertEquals(JobState.Finished, store.get(job.id()).orElseThrow().status().overview());
        Job waiting = newJob(store, JobState.Waiting, 0);
        assertFalse(store.finishIfComplete(waiting.id(), now));
    }

    @Test
    void resultPartsAreThePartsOfCommittedInferenceBatchesEachOnce() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 10);
        store.commitTogether(List.of(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", 1, List.of(), "parts/p01"),
                commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b1", 1, List.of(), "parts/p01")));
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b2", 1, List.of(), "parts/p2"));
        store.commit(commit(job, dev.sluice.core.pipeline.Stage.DELIVERY, "b3", 1, List.of(), "parts/not-a-result"));

        assertEquals(List.of("parts/p01", "parts/p2"), store.resultParts(job.id()).stream().sorted().toList());
    }

    @Test
    void logsPageThroughEveryEntryOnceInOrderAndFilterErrors() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 100);
        for (int b = 0; b < 5; b++) {
            List<LogEntry> entries = new ArrayList<>();
            for (int i = b * 10; i < b * 10 + 10; i++) {
                entries.add(i % 3 == 0 ? LogEntry.failure("ItemFailedGather", now + b, "u" + i, i, "FailedGather", "gather.x")
                        : LogEntry.info("ItemGathered", now + b, "u" + i, i, "Gathered", 1));
            }
            store.commit(new StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b" + b, ItemCounters.ZERO, entries, now + b, null));
        }

        List<Long> all = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JobStore.LogPage page = store.logs(job.id(), -1, Long.MAX_VALUE / 2, false, 7, cursor);
            page.entries().forEach(e -> all.add(e.index()));
            cursor = page.nextPage();
            pages++;
        } while (cursor != null);

        assertEquals(IntStream.range(0, 50).mapToObj(i -> (long) i).toList(), all);
        assertEquals(8, pages);
        List<LogEntry> errors = store.logs(job.id(), -1, Long.MAX_VALUE / 2, true, 100, null).entries();
        assertEquals(IntStream.range(0, 50).filter(i -> i % 3 == 0).mapToObj(i -> (long) i).toList(),
                errors.stream().map(LogEntry::index).toList());
        assertEquals(10, store.logs(job.id(), now + 1, now + 3, false, 100, null).entries().size(), "after < time < before");
        // an empty window is an empty page, not a query DynamoDB refuses (BETWEEN with its bounds reversed)
        assertEquals(List.of(), store.logs(job.id(), now + 3, now + 1, false, 100, null).entries(), "after > before");
        assertEquals(List.of(), store.logs(job.id(), -1, 0, false, 100, null).entries(), "before 0");
    }

    @Test
    void itemRecords_areNumberedInCommitOrder_holdEveryEndedItemOnce_andARedeliveryAddsNone() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 1_000);
        dev.sluice.core.pipeline.Stage inference = dev.sluice.core.pipeline.Stage.INFERENCE;
        List<LogEntry> b0 = List.of(LogEntry.info("ItemPredicted", now, "https://h/0.jpg", 0, "Predicted", 1),
                LogEntry.failure("ItemFailedGather", now, "https://h/1.jpg", 1, "FailedGather", "gather.timeout: slow"));
        StageCommit first = new StageCommit(job.id(), inference, "b0", ItemCounters.predicted(1)
                .plus(ItemCounters.delivered(1)).plus(ItemCounters.failedGather(1)), b0, now, "part-0");
        assertTrue(store.commit(first));
        assertFalse(store.commit(first), "a redelivered batch");
        // a webhook job's inference commit that ends nothing writes no record
        assertTrue(store.commit(new StageCommit(job.id(), inference, "b1", ItemCounters.predicted(1),
                List.of(LogEntry.info("ItemPredicted", now, "https://h/2.jpg", 2, "Predicted", 1)), now, "part-1")));
        assertTrue(store.commitTogether(List.of(
                new StageCommit(job.id(), dev.sluice.core.pipeline.Stage.DELIVERY, "b1", ItemCounters.delivered(1),
                        List.of(LogEntry.info("ItemDelivered", now + 1, "https://h/2.jpg", 2, "Delivered", 0)), now + 1, null),
                new StageCommit(job.id(), dev.sluice.core.pipeline.Stage.FANOUT,
                        dev.sluice.core.job.ItemOutcomes.skipBatchId(3), ItemCounters.skipped(997), List.of(), now + 1, null))));

        List<JobStore.ItemRecord> records = store.itemRecords(job.id(), 1, 10);
        assertEquals(List.of(1L, 2L), records.stream().map(JobStore.ItemRecord::seq).toList());
        JobStore.ItemRecord.Commit one = records.get(0).commits().get(0);
        assertEquals(List.of(new dev.sluice.core.job.ItemOutcomes.Outcome(0, dev.sluice.core.job.ItemOutcomes.Status.Delivered, null),
                new dev.sluice.core.job.ItemOutcomes.Outcome(1, dev.sluice.core.job.ItemOutcomes.Status.FailedGather, "gather.timeout")),
                one.runs());
        assertEquals("part-0", one.resultsPart());
        assertEquals(2, store.commitLog(job.id(), one.logKey()).size(), "the log record the commit names");
        assertEquals(2, records.get(1).commits().size());
        assertEquals(List.of(new dev.sluice.core.job.ItemOutcomes.SkippedLines(3, 997)), records.get(1).commits().get(1).runs());
        assertEquals(1_000, records.get(0).size() + records.get(1).size(), "every line once");
        assertEquals("part-1", store.resultsPartOf(job.id(), "b1"));
        assertEquals(List.of(2L), store.itemRecords(job.id(), 2, 10).stream().map(JobStore.ItemRecord::seq).toList());
        assertEquals(List.of(), store.itemRecords(job.id(), 3, 10));
    }

    @Test
    void itemRecords_ofConcurrentCommits_areNumberedWithoutAGap() throws Exception {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 64);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Boolean>> done = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int b = i;
                done.add(pool.submit(() -> store.commit(new StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE,
                        "b" + b, ItemCounters.failedGather(2), List.of(
                        LogEntry.failure("ItemFailedGather", now, "u", 2L * b, "FailedGather", "gather.http_404: no"),
                        LogEntry.failure("ItemFailedGather", now, "u", 2L * b + 1, "FailedGather", "gather.http_404: no")),
                        now, null))));
            }
            for (java.util.concurrent.Future<Boolean> f : done) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        List<JobStore.ItemRecord> records = store.itemRecords(job.id(), 1, 100);
        assertEquals(IntStream.rangeClosed(1, 32).mapToObj(Long::valueOf).toList(),
                records.stream().map(JobStore.ItemRecord::seq).toList());
        assertEquals(IntStream.range(0, 64).mapToObj(Long::valueOf).toList(), records.stream()
                .flatMap(r -> r.commits().stream()).flatMap(c -> c.runs().stream())
                .map(r -> ((dev.sluice.core.job.ItemOutcomes.Outcome) r).index()).sorted().toList());
        assertEquals(64, counters(store, job).failedGather());
    }

    @Test
    void deliveryProgressIsReadBackAsSaved() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 2);
        assertEquals(JobStore.DeliveryProgress.NONE, store.deliveryProgress(job.id(), "b0"));

        store.saveDeliveryProgress(job.id(), "b0", new JobStore.DeliveryProgress(
                Map.of(1L, LogEntry.info("ItemDelivered", now, "u1", 1, "Delivered", 0)), Map.of(1L, 1, 2L, 3)), now);

        JobStore.DeliveryProgress p = store.deliveryProgress(job.id(), "b0");
        assertEquals(Map.of(1L, 1, 2L, 3), p.attempts());
        assertEquals("Delivered", p.settled().get(1L).status());
        assertEquals(JobStore.DeliveryProgress.NONE, store.deliveryProgress(job.id(), "b1"));
    }
}
