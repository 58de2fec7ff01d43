package dev.sluice.aws;

import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a commit costs, from the ConsumedCapacity DynamoDB Local answers (issue 23 item 8): the counter ADDs go to the
 * job's small counter item, so a transaction pays its few units however large the job item is (16 metadata pairs,
 * a long name: several KB, 6 WRU and more when the whole job item was rewritten), and a read of the job adds both
 * items up. The exact-counter finish and the delete hold for the pair.
 */
class CommitCostTest {
    private static EmulatorStack stack;
    private static DynamoJobStore jobs;
    private static SluiceConfig config;
    private static LocalProvisioner.Clients clients;
    /** Write units of the last TransactWriteItems, by table. */
    private static final Map<String, Double> lastTransaction = new TreeMap<>();
    /** Every DynamoDB request's units as DynamoDB Local answered them (write and read, ×1,000), this test's own count. */
    private static final java.util.concurrent.atomic.AtomicLong seenWrite = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong seenRead = new java.util.concurrent.atomic.AtomicLong();
    /** Write units of each UpdateItem of a counter item outside a transaction. */
    private static final List<Double> counterUpdates = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        ExecutionInterceptor units = new ExecutionInterceptor() {
            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                dev.sluice.core.usage.Usage use = dev.sluice.aws.observe.UsageInterceptor.usageOf(
                        attributes.getAttribute(software.amazon.awssdk.core.interceptor.SdkExecutionAttribute.SERVICE_NAME),
                        attributes.getAttribute(software.amazon.awssdk.core.interceptor.SdkExecutionAttribute.OPERATION_NAME),
                        context.response());
                // a project's daily usage sum (an UpdateItem of a usage# key) is the project's bookkeeping, no job's
                boolean daySum = context.request() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest d
                        && d.key().containsKey("jobId") && String.valueOf(d.key().get("jobId").s()).startsWith("usage#");
                if (daySum) {
                    return;
                }
                seenWrite.addAndGet(use.dynamoWriteMilliUnits());
                seenRead.addAndGet(use.dynamoReadMilliUnits());
                if (context.request() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest u
                        && u.key().get("jobId").s().startsWith(DynamoJobStore.COUNTER_PREFIX)
                        && context.response() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse r
                        && r.consumedCapacity() != null) {
                    counterUpdates.add(r.consumedCapacity().capacityUnits());
                }
                if (context.response() instanceof TransactWriteItemsResponse t && t.consumedCapacity() != null) {
                    synchronized (lastTransaction) {
                        lastTransaction.clear();
                        for (ConsumedCapacity c : t.consumedCapacity()) {
                            lastTransaction.merge(c.tableName(), c.capacityUnits(), Double::sum);
                        }
                    }
                }
            }
        };
        clients = LocalProvisioner.clients(stack, List.of(units));
        config = LocalProvisioner.provision(clients, "commitcost-", LocalProvisioner.QueueSettings.TEST, false);
        jobs = new DynamoJobStore(clients.dynamo(), config);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A job whose item is several KB: 16 metadata pairs of 150 characters and a long name. */
    private static Job largeJob(String id, long items) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = 0; i < 16; i++) {
            metadata.put("key" + i, ("value-" + i + "-").repeat(15));
        }
        JobSpec spec = new JobSpec("dataset_commitcost", new JobSpec.Deployment("model_commitcost"), null, null, null, 128);
        return new Job(id, Job.OBJECT, "n".repeat(200), "proj_commitcost", spec,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, items, 1), 1, 1, metadata, null);
    }

    private static JobStore.StageCommit predicted(String jobId, String batchId, int from, int count) {
        List<LogEntry> entries = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            entries.add(LogEntry.info("ItemPredicted", 1_000, "https://images.example.com/photos/" + i + ".jpg", i,
                    "Predicted", 12.5));
        }
        return new JobStore.StageCommit(jobId, Stage.INFERENCE, batchId, ItemCounters.predicted(count), entries, 1_000,
                null, new JobStore.BatchProgress(0, 1, 40));
    }

    private static double jobsTableUnits() {
        synchronized (lastTransaction) {
            return lastTransaction.getOrDefault(config.jobsTable(), 0.0);
        }
    }

    @Test
    void aCommitWritesTheSmallCounterItem_notTheWholeJobItem_andAReadAddsBothUp() {
        String jobId = "batchjob_commitcost1";
        jobs.create(largeJob(jobId, 256));
        long jobItemBytes = DynamoJobStore.itemBytes(clients.dynamo().getItem(b -> b.tableName(config.jobsTable())
                .key(Map.of("jobId", Dynamo.s(jobId))).consistentRead(true)).item());
        assertTrue(jobItemBytes > 2_048, "the job item is several KB: " + jobItemBytes);
        assertTrue(jobs.transition(jobId, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2));

        // what rewriting the job item in a transaction would cost: 2 WRU per KB of it
        double wholeJobItem = 2 * Math.ceil(jobItemBytes / 1024.0);
        assertTrue(jobs.commitTogether(List.of(predicted(jobId, "b0", 0, 128))));
        assertTrue(jobsTableUnits() <= 4.0 && jobsTableUnits() < wholeJobItem, "the counter update writes the small "
                + "counter item (DynamoDB Local: 4 WRU in a transaction), not the job item (" + wholeJobItem + "): " + jobsTableUnits());
        // an event's ledger entry (no counts) also pays only the counter item's units beside its row
        assertTrue(jobs.commitTogether(List.of(new JobStore.StageCommit(jobId, Stage.COMPLETION, "job.started",
                ItemCounters.ZERO, List.of(), 1_000, null))));
        assertTrue(jobsTableUnits() <= 4.0, "" + jobsTableUnits());

        Job read = jobs.get(jobId).orElseThrow();
        assertEquals(128, read.status().items().predicted());
        assertEquals(1, read.status().progress().batchesDone(), read.status().progress().toString());
        assertEquals(16, read.metadata().size(), "the job item's fields beside the counter item's");
        assertEquals(List.of(jobId), jobs.list("proj_commitcost", dev.sluice.core.PageRequest.of("10", null),
                dev.sluice.core.ListFilter.NONE).data().stream().map(Job::id).toList());
        assertEquals(128, jobs.list("proj_commitcost", dev.sluice.core.PageRequest.of("10", null),
                dev.sluice.core.ListFilter.NONE).data().get(0).status().items().predicted(), "a listing reads the counters too");
        assertFalse(jobs.commitTogether(List.of(predicted(jobId, "b0", 0, 128))), "a redelivered batch counts once");
        assertEquals(128, jobs.get(jobId).orElseThrow().status().items().predicted());
    }

    @Test
    void theFinishIsDecidedByTheCounterItemsExactCounts_andDeleteRemovesBothItems() {
        String jobId = "batchjob_commitcost2";
        jobs.create(largeJob(jobId, 2));
        assertTrue(jobs.transition(jobId, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2));
        assertTrue(jobs.commitTogether(List.of(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0",
                ItemCounters.failedGather(1), List.of(), 3, null))));
        assertFalse(jobs.finishIfComplete(jobId, 4), "one item of two is terminal");
        assertTrue(jobs.commitTogether(List.of(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b1",
                ItemCounters.failedGather(1), List.of(), 5, null))));
        assertTrue(jobs.finishIfComplete(jobId, 6));
        assertEquals(JobState.Finished, jobs.get(jobId).orElseThrow().status().overview());
        assertFalse(jobs.finishIfComplete(jobId, 7), "once");

        jobs.delete(jobId);
        assertTrue(jobs.get(jobId).isEmpty());
        assertFalse(clients.dynamo().getItem(b -> b.tableName(config.jobsTable())
                .key(Map.of("jobId", Dynamo.s(DynamoJobStore.counterKey(jobId)))).consistentRead(true)).hasItem()
                && !clients.dynamo().getItem(b -> b.tableName(config.jobsTable())
                .key(Map.of("jobId", Dynamo.s(DynamoJobStore.counterKey(jobId)))).consistentRead(true)).item().isEmpty(),
                "the counter item is deleted with the job");
    }

    /** The job's items as stored: the job item and its counter item (absent: null). */
    private static Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> stored(String key) {
        var r = clients.dynamo().getItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", Dynamo.s(key))).consistentRead(true));
        return r.hasItem() && !r.item().isEmpty() ? r.item() : null;
    }

    /**
     * Issue 23 blocker of the landing: a job created by the code before counter items (its counters, {@code terminal}
     * and item-record number on the job item, no counter item) and run on by this code takes its commits (its counter
     * item is made on the first one, numbering item records on from the job item's), is read with both items' counts
     * added, and finishes exactly when the sum reaches {@code itemCount}, not before.
     */
    @Test
    void aJobCreatedBeforeCounterItems_takesCommits_isReadWhole_andFinishesExactlyOnTheSum() {
        String jobId = "batchjob_commitcost3";
        jobs.create(largeJob(jobId, 4));
        assertTrue(jobs.transition(jobId, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2));
        assertTrue(jobs.commitTogether(List.of(deliveredHere(jobId, "b0", 0, 2))));
        toOldLayout(jobId);
        assertEquals(2, Long.parseLong(stored(jobId).get("terminal").n()));
        assertEquals(1, Long.parseLong(stored(jobId).get(DynamoJobStore.ITEM_SEQ).n()));
        assertEquals(2, jobs.get(jobId).orElseThrow().status().items().delivered(), "read from the job item alone");
        assertFalse(jobs.finishIfComplete(jobId, 4), "2 of 4 items are terminal");

        // the rest on this code: one item delivered, one failed
        assertTrue(jobs.commitTogether(List.of(deliveredHere(jobId, "b1", 2, 1))));
        assertTrue(stored(DynamoJobStore.counterKey(jobId)) != null, "its counter item was made by the first commit");
        assertEquals(3, jobs.get(jobId).orElseThrow().status().items().delivered(), "both items added up");
        assertFalse(jobs.finishIfComplete(jobId, 6), "3 of 4: 2 on the job item and 1 on the counter item");
        assertFalse(jobs.commitTogether(List.of(deliveredHere(jobId, "b1", 2, 1))), "a redelivered batch counts once");
        assertTrue(jobs.commitTogether(List.of(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b2",
                ItemCounters.failedGather(1), List.of(LogEntry.failure("ItemFailedGather", 7,
                        "https://images.example.com/photos/3.jpg", 3L, "FailedGather", "gather.not_found: 404")), 7, null))));
        assertTrue(jobs.finishIfComplete(jobId, 8), "4 of 4");
        assertFalse(jobs.finishIfComplete(jobId, 9), "once");

        Job done = jobs.get(jobId).orElseThrow();
        assertEquals(JobState.Finished, done.status().overview());
        assertEquals(3, done.status().items().delivered());
        assertEquals(1, done.status().items().failedGather());
        assertEquals(4, done.status().items().terminal());
        // item records numbered on without a gap or an overwrite: 1 in the old layout, then 2 and 3
        List<JobStore.ItemRecord> records = jobs.itemRecords(jobId, 1, 100);
        assertEquals(List.of(1L, 2L, 3L), records.stream().map(JobStore.ItemRecord::seq).toList());
        assertEquals(4, records.stream().mapToLong(r -> r.commits().stream().mapToLong(c -> c.runs().size()).sum()).sum(),
                "every item's outcome once: " + records);

        // and one that had no item record yet when the code changed
        String fresh = "batchjob_commitcost5";
        jobs.create(largeJob(fresh, 1));
        assertTrue(jobs.transition(fresh, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2));
        toOldLayout(fresh);
        assertTrue(jobs.commitTogether(List.of(deliveredHere(fresh, "b0", 0, 1))));
        assertTrue(jobs.finishIfComplete(fresh, 3));
        assertEquals(1, jobs.get(fresh).orElseThrow().status().items().delivered());
        assertEquals(List.of(1L), jobs.itemRecords(fresh, 1, 100).stream().map(JobStore.ItemRecord::seq).toList());
    }

    /** Rewrites a job as the code before counter items stored it: every number on the job item, no counter item. */
    private static void toOldLayout(String jobId) {
        var counters = stored(DynamoJobStore.counterKey(jobId));
        var old = new java.util.HashMap<>(stored(jobId));
        counters.forEach((name, value) -> {
            if (!name.equals("jobId") && value.n() != null) {
                old.merge(name, value, (a, b) -> name.equals("itemCount") || name.equals("updateTime") ? a
                        : Dynamo.n(Long.parseLong(a.n()) + Long.parseLong(b.n())));
            }
        });
        clients.dynamo().putItem(b -> b.tableName(config.jobsTable()).item(old));
        clients.dynamo().deleteItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", Dynamo.s(DynamoJobStore.counterKey(jobId)))));
        assertEquals(null, stored(DynamoJobStore.counterKey(jobId)));
    }

    /** A batch predicted and delivered in the inference stage (a job without a webhook): its items' outcomes. */
    private static JobStore.StageCommit deliveredHere(String jobId, String batchId, int from, int count) {
        JobStore.StageCommit p = predicted(jobId, batchId, from, count);
        return new JobStore.StageCommit(jobId, Stage.INFERENCE, batchId,
                ItemCounters.predicted(count).plus(ItemCounters.delivered(count)), p.entries(), p.now(), null, p.progress());
    }

    /**
     * Issue 23 item 5: the end's own writes (the finish's transaction, the reads after it, the {@code active} marker's
     * removal) come after the last write that carries usage; {@code completed} ends with an UpdateItem of the counter item
     * that adds them and its own units, known ahead (1 WRU, the counter item being under 1 KB, checked against what
     * DynamoDB Local answers). The job's usage is then, unit for unit, what this test's interceptor saw, with nothing
     * left in the meter.
     */
    @Test
    void theEndsOwnWrites_areCountedByALastUpdateOfKnownUnits_theUsageIsExactlyWhatWasSeen() {
        String jobId = "batchjob_commitcost4";
        jobs.create(largeJob(jobId, 1));
        assertTrue(jobs.transition(jobId, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2));
        dev.sluice.core.usage.UsageMeter meter = dev.sluice.core.usage.UsageMeter.process();
        long write0 = seenWrite.get();
        long read0 = seenRead.get();
        try (var invocation = meter.open(Map.of(jobId, 1L), new dev.sluice.core.usage.UsageMeter.Compute.Lambda(1024), 0);
             var scope = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.JOB_ID, jobId)) {
            assertTrue(jobs.commitTogether(List.of(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0",
                    ItemCounters.failedGather(1), List.of(), 3, null))));
            assertTrue(jobs.finishIfComplete(jobId, 4));
            jobs.get(jobId).orElseThrow();
            counterUpdates.clear();
            jobs.completed(jobId);
            assertEquals(List.of(DynamoJobStore.COUNTER_UPDATE_WRITE_UNITS), counterUpdates,
                    "the last update's units, as DynamoDB Local answers them, are the ones added ahead");
            assertEquals(0, meter.pending(jobId).dynamoWriteMilliUnits() + meter.pending(jobId).dynamoReadMilliUnits(),
                    "nothing left: " + meter.pending(jobId));
        }
        long seenW = seenWrite.get() - write0;
        long seenR = seenRead.get() - read0;
        dev.sluice.core.usage.Usage job = UsageAttributes.read(stored(jobId)).plus(UsageAttributes.read(stored(DynamoJobStore.counterKey(jobId))));
        assertEquals(seenW, job.dynamoWriteMilliUnits(), "write units ×1,000: the job's usage vs every request seen");
        assertEquals(seenR, job.dynamoReadMilliUnits(), "read units ×1,000");
        assertTrue(seenW > 0 && seenR > 0);
    }
}
