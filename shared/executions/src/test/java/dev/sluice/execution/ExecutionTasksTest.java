package dev.sluice.execution;

import dev.sluice.core.Json;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.schedule.Scheduler;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core's scheduler and dead-letter drain reach executions only through {@code pipeline.ExecutionTasks}, which
 * {@link ExecutionService} implements: the sweep ends an execution past its jobTimeout, and a dead file task fails
 * its file, over in-memory ports.
 */
class ExecutionTasksTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final Scheduler scheduler = core.scheduler();

    @Test
    void anExecutionPastItsJobTimeoutEndsTimedOutAndFreesItsGuard() {
        Execution e = fx.pendingExecution(60, 2);
        core.clock.advance(60_000);
        assertEquals(0, scheduler.sweep().executionsEnded());

        core.clock.advance(1);

        assertEquals(1, scheduler.sweep().executionsEnded());
        assertEquals(Execution.State.TimedOut, fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow().status().overview());
        assertNull(fx.executions.guardHolder(e.spec().identity()));
    }

    @Test
    void aDeadFileTaskFailsItsFileOnce_andTheExecutionEndsWhenItWasTheLast() {
        Folder in = new Folder(FakeCore.USER_BUCKET, "in");
        IntStream.range(0, 1).forEach(i -> fx.folders.put(in, i + ".csv", new byte[]{1}));
        Execution e = fx.pendingExecution(0, 1);
        fx.service().listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        ExecutionTask task = core.queue.bodies(BatchQueue.Name.INFERENCE).stream()
                .map(b -> Json.read(b, ExecutionTask.class)).findFirst().orElseThrow();
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m1", Json.write(task));
        core.queue.addDeadLetter(BatchQueue.Name.INFERENCE, "m2", Json.write(task));

        core.deadLetters().drain();

        Execution.FileReport file = fx.executions.settledFiles(e.id(), 0, 1).get(0);
        assertEquals(Execution.FileState.Failed, file.status());
        assertTrue(file.reason().startsWith("inference.dead_lettered: "), file.reason());
        Execution ended = fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
        assertEquals(1, ended.status().failedFiles(), "the second dead copy of the task settled nothing");
        scheduler.sweep();
        assertEquals(Execution.State.Failed, fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow().status().overview());
    }
}
