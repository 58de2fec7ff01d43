package dev.sluice.core.job;

import dev.sluice.core.Outcome;
import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.Stage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job state table, its events (each once), the outcome and the error budget, over in-memory ports. */
class JobLifecycleTest {
    private final FakeCore core = new FakeCore();
    private final JobLifecycle lifecycle = core.lifecycle();

    private Job job(long itemCount, List<String> events, ErrorBudget budget) {
        String hook = core.webhook(null, null).id();
        long now = core.clock.nowMillis();
        JobSpec spec = new JobSpec(Ids.newId(Ids.DATASET, now), new JobSpec.Deployment(core.readyModel().id()),
                new JobSpec.ResultDelivery(List.of(new dev.sluice.core.destination.Destination.Webhook(hook))), null, null, 2, null,
                null, events, budget);
        Job job = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "job", FakeCore.PROJECT, spec,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, itemCount, now), now, now);
        core.jobs.create(job);
        return job;
    }

    private void commit(Job job, String batch, ItemCounters delta) {
        assertTrue(core.jobs.commit(new JobStore.StageCommit(job.id(), Stage.INFERENCE, batch, delta, List.of(),
                core.clock.nowMillis(), null)));
        lifecycle.settle(job.id());
        lifecycle.settle(job.id()); // a second worker settling the same commit changes nothing
    }

    private List<String> posted(Job job) {
        return core.queue.sent(BatchQueue.Name.DELIVERY).stream()
                .map(s -> Json.read(s.body(), DeliveryMessage.class)).filter(m -> m.jobId().equals(job.id()))
                .map(m -> Json.tree(m.posts().get(0).body()).path("id").asText()).toList();
    }

    @Test
    void startedProgressAndCompleted_eachOnce_inOrder_toASubscribedWebhookAndTheSink() {
        Job job = job(8, List.of("job.started", "job.progress", "job.completed"), null);
        assertTrue(lifecycle.start(job));
        assertFalse(lifecycle.start(job), "a redelivered fan-out does not start the job again");
        commit(job, "b0", ItemCounters.predicted(2).plus(ItemCounters.delivered(2)));
        commit(job, "b1", ItemCounters.failedGather(1).plus(ItemCounters.predicted(1)).plus(ItemCounters.delivered(1)));
        commit(job, "b2", ItemCounters.predicted(4).plus(ItemCounters.delivered(4)));

        assertEquals(List.of("job.started", "job.progress.25", "job.progress.50", "job.progress.75", "job.completed"),
                core.published.stream().map(JobEvent::ledgerKey).toList());
        assertEquals(core.published.stream().map(JobEvent::id).toList(), posted(job), "the webhook got the same events");
        JobEvent.End end = assertInstanceOf(JobEvent.Completed.class, core.published.get(4));
        assertEquals(Outcome.PartiallySucceeded, end.outcome(), "one item failed");
        var body = Json.tree(Json.write(end));
        assertEquals("job.completed", body.path("type").asText());
        assertEquals("PartiallySucceeded", body.path("outcome").asText());
        assertEquals("PartiallySucceeded", body.path("status").path("outcome").asText());
        assertEquals(7, body.path("status").path("items").path("delivered").asLong());
        assertEquals(50, Json.tree(Json.write(core.published.get(2))).path("percent").asInt());
    }

    @Test
    void byDefault_aWebhookGetsOnlyTheEnd_andTheSinkGetsEveryEvent() {
        Job job = job(2, null, null);
        lifecycle.start(job);
        commit(job, "b0", ItemCounters.predicted(2).plus(ItemCounters.delivered(2)));
        assertEquals(List.of(job.id() + "/job.completed"), posted(job));
        assertEquals(5, core.published.size());
        assertEquals(Outcome.Succeeded, core.jobs.get(job.id()).orElseThrow().status().outcome());
    }

    @Test
    void aJobPastItsErrorBudget_failsStopped_andItsOneEndEventWaitsForEveryItemToBeCounted() {
        Job job = job(10, null, new ErrorBudget(null, null, 1L));
        lifecycle.start(job);
        commit(job, "b0", ItemCounters.failedGather(1).plus(ItemCounters.predicted(1)).plus(ItemCounters.delivered(1)));
        assertEquals(JobState.Running, core.jobs.state(job.id()), "one failure is within maxFailures 1");
        commit(job, "b1", ItemCounters.failedGather(2));
        Job failed = core.jobs.get(job.id()).orElseThrow();
        assertEquals(JobState.Failed, failed.status().overview());
        assertTrue(failed.status().reason().startsWith("job.error_budget_exceeded: 3 items failed"), failed.status().reason());
        assertFalse(lifecycle.isComplete(job.id()), "6 lines are not counted yet");

        commit(job, "skip-4", ItemCounters.skipped(6)); // what the fan-out and the workers count for the rest
        Job ended = core.jobs.get(job.id()).orElseThrow();
        assertNull(ended.status().items().violation(10), "the counter invariants hold");
        assertEquals(Outcome.Stopped, ended.status().outcome());
        List<JobEvent.End> ends = core.published.stream().filter(e -> e instanceof JobEvent.End)
                .map(e -> (JobEvent.End) e).toList();
        assertEquals(1, ends.size());
        assertInstanceOf(JobEvent.Failed.class, ends.get(0));
        assertEquals(Outcome.Stopped, ends.get(0).outcome());
        assertEquals(List.of(job.id() + "/job.completed"), posted(job));
    }

    @Test
    void aRateBudget_countsOnlyFromMinItems_andToleratesFailuresUnderTheRate() {
        ErrorBudget budget = new ErrorBudget(0.2, 100L, null);
        assertNull(budget.exceeded(ItemCounters.failedGather(99)), "99 terminal items: under minItems");
        assertTrue(budget.exceeded(ItemCounters.failedGather(100)).startsWith(ErrorBudget.EXCEEDED));
        ItemCounters fivePercent = ItemCounters.failedGather(50).plus(ItemCounters.predicted(950))
                .plus(ItemCounters.delivered(950));
        assertNull(budget.exceeded(fivePercent), "5 % failures under a 20 % budget");
        assertThrows(dev.sluice.core.SluiceException.class, () -> new ErrorBudget(0.2, null, 3L).check());
        assertThrows(dev.sluice.core.SluiceException.class, () -> new ErrorBudget(1.5, null, null).check());
        assertThrows(dev.sluice.core.SluiceException.class, () -> new ErrorBudget(null, 5L, 3L).check());
    }

    @Test
    void theStateTable_terminalStatesNeverMove_andOnlyTheFanOutStarts() {
        for (JobState terminal : JobState.TERMINAL) {
            for (JobState to : JobState.values()) {
                assertFalse(JobLifecycle.Move.allowed(terminal, to), terminal + " -> " + to);
            }
        }
        assertTrue(JobLifecycle.Move.allowed(JobState.Waiting, JobState.Running));
        assertFalse(JobLifecycle.Move.allowed(JobState.Waiting, JobState.Finished), "a job finishes from Running only");
        assertFalse(JobLifecycle.Move.allowed(JobState.Running, JobState.Waiting));
        Job job = job(4, null, null);
        assertTrue(lifecycle.cancel(job.id(), "job.cancelled: test"));
        assertFalse(lifecycle.start(core.jobs.get(job.id()).orElseThrow()), "a cancelled job never starts");
        assertFalse(lifecycle.fail(job.id(), "job.stalled: x"));
        assertTrue(core.published.isEmpty(), "no started event for a job that never started");
    }

    @Test
    void theOutcome_saysWhatTheUserGot() {
        assertEquals(Outcome.Failed, Job.Status.outcomeOf(JobState.Finished, null, ItemCounters.failedDeliver(6), 6),
                "every webhook POST failed: not a success");
        assertEquals(Outcome.Succeeded, Job.Status.outcomeOf(JobState.Finished, null, ItemCounters.ZERO, 0));
        assertEquals(Outcome.Stopped, Job.Status.outcomeOf(JobState.TimedOut, null, ItemCounters.delivered(3), 6));
        assertEquals(Outcome.Failed, Job.Status.outcomeOf(JobState.Failed, "dataset.changed: x", ItemCounters.ZERO, 6));
        assertNull(Job.Status.outcomeOf(JobState.Running, null, ItemCounters.ZERO, 6));
    }
}
