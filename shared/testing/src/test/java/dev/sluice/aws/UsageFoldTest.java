package dev.sluice.aws;

import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.usage.Usage;
import dev.sluice.core.usage.UsageMeter;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Usage rides on the writes that happen anyway, with atomic ADDs, on DynamoDB Local: invocations committing batches of
 * one job at the same time lose none of each other's counts (no read-modify-write), a redelivered batch's commit
 * (applied before) gives its count back to the next write, and the job's end adds its usage to its project's day,
 * which another project's day never holds.
 */
class UsageFoldTest {
    static final String PROJECT = "proj_usagefold";
    private static EmulatorStack stack;
    private static DynamoJobStore jobs;
    private static DynamoUsageStore days;

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        LocalProvisioner.Clients clients = LocalProvisioner.clients(stack, List.of());
        SluiceConfig config = LocalProvisioner.provision(clients, "usagefold-", LocalProvisioner.QueueSettings.TEST, false);
        jobs = new DynamoJobStore(clients.dynamo(), config);
        days = new DynamoUsageStore(clients.dynamo(), config);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static Job job(String id, long items) {
        JobSpec spec = new JobSpec("dataset_usagefold", new JobSpec.Deployment("model_usagefold"), null, null, null, 32);
        return new Job(id, Job.OBJECT, "j", PROJECT, spec,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, items, 1), 1, 1);
    }

    @Test
    void concurrentCommits_addEveryInvocationsCount_aRedeliveredCommitGivesItsBack_andTheEndRollsUpToTheProjectsDay()
            throws Exception {
        String jobId = "batchjob_usagefold1";
        int batches = 24;
        jobs.create(job(jobId, batches));
        assertTrue(jobs.transition(jobId, java.util.Set.of(JobState.Waiting), JobState.Running, "Running", null, 1));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<Boolean>> done = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            String batchId = "b" + b;
            done.add(pool.submit(() -> {
                // one invocation per batch: 5 webhook POSTs of the job, then the commit
                try (var invocation = UsageMeter.process().open(Map.of(jobId, 1L), new UsageMeter.Compute.Lambda(0));
                     var ids = LogScope.of(LogKey.JOB_ID, jobId)) {
                    for (int i = 0; i < 5; i++) {
                        UsageMeter.process().record(Usage.webhookPost());
                    }
                    return jobs.commit(new JobStore.StageCommit(jobId, Stage.INFERENCE, batchId,
                            ItemCounters.failedGather(1), List.of(), 2, null));
                }
            }));
        }
        for (Future<Boolean> f : done) {
            assertTrue(f.get());
        }
        // the same batch again (a redelivery): nothing applied, its POST stays counted for the job's next write
        try (var invocation = UsageMeter.process().open(Map.of(jobId, 1L), new UsageMeter.Compute.Lambda(0));
             var ids = LogScope.of(LogKey.JOB_ID, jobId)) {
            UsageMeter.process().record(Usage.webhookPost());
            assertFalse(jobs.commit(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0", ItemCounters.failedGather(1),
                    List.of(), 3, null)));
            assertTrue(jobs.finishIfComplete(jobId, System.currentTimeMillis()), "24 of 24 items terminal");
        }
        pool.shutdown();
        var usage = jobs.get(jobId).orElseThrow().status().usage();
        assertEquals(batches * 5 + 1, usage.webhookPosts(), usage.toString());
        // every commit transaction's write units are DynamoDB's own figure: at least 2 per transactional item
        assertTrue(usage.dynamoDbWriteUnits() >= batches * 2 * 2 - 4, usage.toString());

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Usage day = days.project(PROJECT, today.minusDays(1), today.plusDays(1));
        assertTrue(day.webhookPosts() >= batches * 5, day.toString());
        assertEquals(0, days.project("proj_usagefoldother", today.minusDays(1), today.plusDays(1)).webhookPosts());
    }
}
