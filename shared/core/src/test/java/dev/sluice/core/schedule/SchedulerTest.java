package dev.sluice.core.schedule;

import dev.sluice.core.Json;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobCompletion;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.ExecutionTasks;
import dev.sluice.core.pipeline.Item;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The periodic sweep's rules, with a clock the test moves. */
class SchedulerTest {
    private final FakeCore core = new FakeCore();
    private final Scheduler scheduler = core.scheduler();

    private Job withStopAt(long stopAt) {
        Job like = core.runningJob(2, null);
        JobSpec s = like.spec();
        Job job = new Job(like.id() + "t", Job.OBJECT, "j", like.projectId(),
                new JobSpec(s.datasetId(), s.deployment(), null, null, stopAt, s.batchSize()),
                like.status(), like.createTime(), like.updateTime());
        core.jobs.create(job);
        return job;
    }

    @Test
    void aJobEndsTimedOutWhenItsStopAtTimeComesAndNotBefore() {
        Job job = withStopAt(core.clock.nowMillis() + 60_000);
        core.clock.advance(59_999);
        scheduler.sweep();
        assertEquals(JobState.Running, core.jobs.state(job.id()));

        core.clock.advance(1);
        Scheduler.Sweep sweep = scheduler.sweep();

        assertEquals(1, sweep.timedOut());
        assertEquals(JobState.TimedOut, core.jobs.state(job.id()));
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().reason().startsWith("job.timed_out: stopAtTime passed"));
    }

    @Test
    void aJobWithoutStopAtTimeTimesOutAtTheDefaultCutoffAfterItsCreation() {
        Job job = core.job(JobState.Waiting, 2, null, 32, null);
        core.clock.advance(dev.sluice.core.job.JobSpec.DEFAULT_CUTOFF_MILLIS - 1);
        scheduler.sweep();
        assertEquals(JobState.Waiting, core.jobs.state(job.id()), "a Waiting job is never failed as stalled");

        core.clock.advance(1);
        scheduler.sweep();

        assertEquals(JobState.TimedOut, core.jobs.state(job.id()));
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().reason().contains("the default cutoff of 24 h"));
    }

    @Test
    void aTimedOutJobIsSettledOnceItsBatchesInFlightAreSkipped() {
        Job job = withStopAt(core.clock.nowMillis() + 1);
        core.clock.advance(1);
        scheduler.sweep();
        assertTrue(!core.objects.exists(JobCompletion.manifestKey(job)), "its 2 items are not accounted yet");

        core.batchProcessor().process(List.of(new BatchMessage(job.id(), "b0", List.of(
                new Item(0, null, Item.IMAGE, "https://a.example.com/0.jpg"), new Item(1, null, Item.IMAGE, "https://a.example.com/1.jpg")))));

        assertEquals(2, core.jobs.counters(job.id()).skipped());
        assertTrue(core.objects.exists(JobCompletion.manifestKey(job)));
    }

    @Test
    void aRunningJobThatMadeNoProgressForTheStallTimeFailsAndProgressResetsTheClock() {
        Job job = core.runningJob(4, null);
        core.clock.advance(Scheduler.STALL_MILLIS);
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(1, 0, 1, 0, 1, 0, 1, 0, 0),
                List.of(), core.clock.nowMillis(), null));
        core.clock.advance(Scheduler.STALL_MILLIS);
        assertEquals(0, scheduler.sweep().failed(), "exactly the stall time after the last progress: not yet");

        core.clock.advance(1);
        Scheduler.Sweep sweep = scheduler.sweep();

        assertEquals(1, sweep.failed());
        assertEquals(JobState.Failed, core.jobs.state(job.id()));
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().reason().startsWith("job.stalled: "));
        assertTrue(core.objects.exists(JobCompletion.manifestKey(job)), "a failed job is settled at once");
    }

    @Test
    void aRunningJobWhoseItemsAreAllAccountedIsFinishedAndSettled() {
        Job job = core.runningJob(2, null);
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(2, 0, 2, 0, 2, 0, 2, 0, 0),
                List.of(), 0, null));

        Scheduler.Sweep sweep = scheduler.sweep();

        assertEquals(1, sweep.finished());
        assertEquals(JobState.Finished, core.jobs.state(job.id()));
        assertTrue(core.objects.exists(JobCompletion.manifestKey(job)));
        assertEquals(0, scheduler.sweep().active(), "a terminal job leaves the sweep");
    }

    @Test
    void theSweepAccountsTheDeadLettersFirst() {
        Job job = core.runningJob(1, null);
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m", Json.write(new BatchMessage(job.id(), "b0",
                List.of(new Item(0, null, Item.IMAGE, "https://a.example.com/0.jpg")))));

        Scheduler.Sweep sweep = scheduler.sweep();

        assertEquals(1, sweep.deadLetters());
        assertEquals(0, sweep.active(), "the dead letter's commit finished the job before the sweep read the active jobs");
        assertEquals(JobState.Finished, core.jobs.state(job.id()));
    }

    /** Executions live in their own module: the sweep reaches them through ExecutionTasks and reports their count. */
    @Test
    void theSweepEndsExecutionsThroughTheirModule_andReportsHowManyItEnded() {
        int[] sweeps = {0};
        core.executionTasks = new ExecutionTasks() {
            @Override
            public int sweep() {
                sweeps[0]++;
                return 3;
            }

            @Override
            public void abandon(ExecutionTask task, String reason) {
                throw new AssertionError("nothing was dead-lettered");
            }
        };

        assertEquals(3, core.scheduler().sweep().executionsEnded());
        assertEquals(1, sweeps[0]);
    }
}
