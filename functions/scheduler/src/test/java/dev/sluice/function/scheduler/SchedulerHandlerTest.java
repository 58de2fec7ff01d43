package dev.sluice.function.scheduler;

import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.testing.Events;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalEventSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scheduler handler driven by events/eventbridge-schedule.json. */
class SchedulerHandlerTest {
    static HandlerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    Job job(String id, Long stopAtTime, long itemCount) {
        JobSpec spec = new JobSpec(HandlerFixture.DATASET, new JobSpec.Deployment(HandlerFixture.MODEL), null, null,
                stopAtTime, 32);
        long now = System.currentTimeMillis();
        Job job = new Job(id, Job.OBJECT, id, HandlerFixture.PROJECT, spec,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, itemCount, now), now, now);
        fixture.services.jobStore().create(job);
        fixture.services.jobStore().transition(id, Set.of(JobState.Waiting), JobState.Running, "Running", null, now);
        return job;
    }

    @SuppressWarnings("unchecked")
    @Test
    void scheduleEvent_timesOutJobsPastStopAtTime_finishesCompleteOnes_andLeavesTheRest() {
        job("batchjob_late", System.currentTimeMillis() - 1000, 10);
        job("batchjob_done", null, 2);
        fixture.services.jobStore().commit(new dev.sluice.core.job.JobStore.StageCommit("batchjob_done", dev.sluice.core.pipeline.Stage.INFERENCE, "b0",
                new ItemCounters(2, 0, 2, 0, 2, 0, 2, 0, 0), List.of(), System.currentTimeMillis(), null));
        job("batchjob_busy", System.currentTimeMillis() + 3_600_000, 10);

        String result = new SchedulerHandler(fixture.services.scheduler())
                .handleRequest(Events.load("eventbridge-schedule.json", Map.class), new LocalEventSource.LocalContext(60_000));

        var sweep = Json.tree(result);
        assertEquals(1, sweep.get("timedOut").asInt(), result);
        var store = fixture.services.jobStore();
        assertEquals(JobState.TimedOut, store.get("batchjob_late").orElseThrow().status().overview());
        assertEquals(JobState.Finished, store.get("batchjob_done").orElseThrow().status().overview());
        assertEquals(JobState.Running, store.get("batchjob_busy").orElseThrow().status().overview());
        // the finished job's completion is done, so it leaves the index; the timed-out one stays until its 10 unsent
        // lines are counted skipped (by the workers and the fan-out that see it ended) and its completion is made
        assertEquals(Set.of("batchjob_busy", "batchjob_late"),
                store.activeJobs().stream().map(Job::id).collect(java.util.stream.Collectors.toSet()),
                "ended jobs leave the index of active jobs once their completion is done");
    }
}
