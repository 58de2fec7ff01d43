package dev.sluice.core.deadletter;

import dev.sluice.core.Json;
import dev.sluice.core.PageRequest;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.ExecutionTasks;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.Item;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Poison messages are accounted once, through the stages' own ledger, over in-memory ports. */
class DeadLetterServiceTest {
    private final FakeCore core = new FakeCore();
    private final DeadLetterService deadLetters = core.deadLetters();

    private static BatchMessage batch(Job job, long first, int n) {
        return new BatchMessage(job.id(), BatchMessage.batchId(first, n), LongStream.range(first, first + n)
                .mapToObj(i -> new Item(i, null, Item.IMAGE, "https://img.example.com/" + i + ".jpg")).toList());
    }

    private List<DeadLetter> records() {
        return deadLetters.list(FakeCore.PROJECT, new PageRequest(100, null, true)).data();
    }

    @Test
    void aDeadInferenceBatchFailsItsItemsOnceAndIsRecordedWithItsLines() {
        Job job = core.runningJob(3, null);
        String body = Json.write(batch(job, 0, 3));
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-1", body);
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-2", body); // SQS delivered a copy: it died too

        assertEquals(2, deadLetters.drain());

        assertEquals(new ItemCounters(3, 0, 3, 0, 0, 3, 0, 0, 0), core.jobs.counters(job.id()), "counted once");
        assertEquals(1, records().size());
        DeadLetter letter = records().get(0);
        assertEquals(List.of(0L, 1L, 2L), letter.lines());
        assertEquals("INFERENCE", letter.queue());
        assertTrue(letter.reason().startsWith("inference.dead_lettered: "), letter.reason());
        assertEquals(0, core.queue.deadLetterCount(BatchQueue.Name.INFERENCE));
        assertEquals(JobState.Finished, core.jobs.state(job.id()), "its last items accounted, the job ends");
    }

    @Test
    void aDeadBatchWhoseLastAttemptDidCommitCountsNothingAndRecordsNothing() {
        Job job = core.runningJob(3, null);
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(3, 0, 3, 0, 3, 0, 3, 0, 0),
                List.of(), 0, null));
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-1", Json.write(batch(job, 0, 3)));

        assertEquals(1, deadLetters.drain(), "taken out of the DLQ");

        assertEquals(new ItemCounters(3, 0, 3, 0, 3, 0, 3, 0, 0), core.jobs.counters(job.id()));
        assertEquals(List.of(), records());
        assertEquals(0, core.queue.deadLetterCount(BatchQueue.Name.INFERENCE));
    }

    @Test
    void aDeadDeliveryFailsOnlyTheItemsNoAttemptSettled() {
        var hook = core.webhook(3, null);
        Job job = core.runningJob(2, hook.id());
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(2, 0, 2, 0, 2, 0, 0, 0, 0),
                List.of(), 0, null));
        core.jobs.saveDeliveryProgress(job.id(), "b0", new JobStore.DeliveryProgress(
                Map.of(0L, LogEntry.info("ItemDelivered", 0, "u0", 0, "Delivered", 0)), Map.of(0L, 1, 1L, 4)), 0);
        DeliveryMessage m = DeliveryMessage.items(job.id(), "b0", hook.id(), List.of(
                new DeliveryMessage.Payload(0, "u0", "{}"), new DeliveryMessage.Payload(1, "u1", "{}")));
        core.queue.addDeadLetter(BatchQueue.Name.DELIVERY, "m-1", Json.write(m));

        assertEquals(1, deadLetters.drain());

        assertEquals(new ItemCounters(2, 0, 2, 0, 2, 0, 1, 1, 0), core.jobs.counters(job.id()));
        assertEquals(List.of(1L), records().get(0).lines());
        assertEquals(JobState.Finished, core.jobs.state(job.id()));
        assertEquals(List.of(), core.webhookClient.posts(), "giving up POSTs nothing");
    }

    @Test
    void aDeadFanOutFailsItsJobAndCountsTheLinesItHadNotSentAsSkipped() {
        Job job = core.runningJob(10, null);
        core.queue.addDeadLetter(BatchQueue.Name.FANOUT, "m-1", Json.write(FanoutMessage.fanOut(job.id(), 0, 0)));

        assertEquals(1, deadLetters.drain());

        assertEquals(JobState.Failed, core.jobs.state(job.id()));
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().reason().startsWith("fanout.dead_lettered: "));
        assertEquals(10, core.jobs.counters(job.id()).skipped());
        DeadLetter letter = records().get(0);
        assertNull(letter.lines());
        assertEquals(0L, letter.fromLine());
    }

    @Test
    void aDeadLetterThatCannotBeAccountedYetIsReleasedForTheNextSweep() {
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-1", "{not json");

        assertEquals(0, deadLetters.drain());

        assertEquals(1, core.queue.deadLetterCount(BatchQueue.Name.INFERENCE));
        assertEquals(1, core.queue.receiveDeadLetters(BatchQueue.Name.INFERENCE, 10).size(), "visible again at once");
    }

    @Test
    void aSweepTakesAtMostItsBoundPerQueue() {
        Job job = core.runningJob(1_000, null);
        for (int b = 0; b < DeadLetterService.MAX_PER_QUEUE_AND_SWEEP + 5; b++) {
            core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-" + b, Json.write(batch(job, b, 1)));
        }

        assertEquals(DeadLetterService.MAX_PER_QUEUE_AND_SWEEP, deadLetters.drain());
        assertEquals(5, deadLetters.drain());
        assertEquals(105, core.jobs.counters(job.id()).failedPredict());
    }

    @Test
    void aRedriveRunsTheDeadLettersLinesInANewJobOnce() {
        var dataset = core.dataset(List.of("{\"kind\":\"Image\",\"url\":\"https://a.example.com/0.jpg\"}",
                "{\"kind\":\"Image\",\"url\":\"https://a.example.com/1.jpg\"}",
                "{\"kind\":\"Image\",\"url\":\"https://a.example.com/2.jpg\"}"));
        Job job = core.job(JobState.Running, 3, null, 32, dataset.id());
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m-1", Json.write(new BatchMessage(job.id(), "b0",
                List.of(new Item(2, null, Item.IMAGE, "https://a.example.com/2.jpg")))));
        deadLetters.drain();
        DeadLetter letter = records().get(0);

        Job rerun = deadLetters.redrive(FakeCore.PROJECT, letter.id());

        assertEquals(1, rerun.status().itemCount());
        assertEquals(job.id(), rerun.spec().retryOf());
        assertEquals(rerun.id(), deadLetters.get(FakeCore.PROJECT, letter.id()).redriveJobId());
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.sluice.core.SluiceException.class,
                () -> deadLetters.redrive(FakeCore.PROJECT, letter.id()));
        assertEquals("dead_letter.already_redriven", e.code());
    }

    /** Executions live in their own module: a dead execution task is handed to it and makes no job's dead letter. */
    @Test
    void aDeadExecutionTaskIsHandedToTheExecutionsModule_andRecordsNoJobDeadLetter() {
        List<ExecutionTask> abandoned = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        core.executionTasks = new ExecutionTasks() {
            @Override
            public int sweep() {
                return 0;
            }

            @Override
            public void abandon(ExecutionTask task, String reason) {
                abandoned.add(task);
                reasons.add(reason);
            }
        };
        ExecutionTask task = ExecutionTask.file(FakeCore.PROJECT, "execution_1", 3, "a.csv");
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m1", Json.write(task));

        core.deadLetters().drain();

        assertEquals(List.of(task), abandoned);
        assertTrue(reasons.get(0).startsWith("inference.dead_lettered: "), reasons.get(0));
        assertEquals(0, core.queue.deadLetterCount(BatchQueue.Name.INFERENCE));
        assertEquals(List.of(), records());
    }

    @Test
    void aDeadLettersReason_namesTheLogsOfWhatPollsItsQueue_aPoolsTasksForAPoolQueue() {
        String lambda = DeadLetterService.reason(BatchQueue.Name.INFERENCE, dev.sluice.core.observe.LogKey.JOB_ID, "job_1", "b1");
        assertTrue(lambda.startsWith("inference.dead_lettered: ") && lambda.contains("search the inference function's logs for job_id=job_1 batch_id=b1"), lambda);
        String cpu = DeadLetterService.reason(BatchQueue.Name.CPU_SPOT_TASKS, dev.sluice.core.observe.LogKey.EXECUTION_ID, "exec_1", null);
        assertTrue(cpu.startsWith("inference.dead_lettered: ") && cpu.contains("search the CPU pool tasks' logs (ECS) for execution_id=exec_1"), cpu);
        String gpu = DeadLetterService.reason(BatchQueue.Name.INFERENCE_GPU, dev.sluice.core.observe.LogKey.JOB_ID, "job_1", "b1");
        assertTrue(gpu.contains("search the GPU pool tasks' logs (ECS) for job_id=job_1"), gpu);
        assertTrue(DeadLetterService.reason(BatchQueue.Name.DELIVERY, dev.sluice.core.observe.LogKey.JOB_ID, "job_1", null)
                .contains("search the delivery function's logs"));
    }
}
