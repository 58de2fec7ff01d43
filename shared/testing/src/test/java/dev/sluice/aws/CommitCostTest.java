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

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        ExecutionInterceptor units = new ExecutionInterceptor() {
            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
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
}
