package dev.sluice.execution;

import dev.sluice.core.pipeline.ExecutionTask;

import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An execution's listing, its chain of file tasks, settling once and finishing, over in-memory ports. */
class ExecutionServiceTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();
    private final Folder in = new Folder(FakeCore.USER_BUCKET, "in");

    private List<ExecutionTask> fileTasks() {
        return core.queue.bodies(BatchQueue.Name.INFERENCE).stream().map(b -> Json.read(b, ExecutionTask.class)).toList();
    }

    private Execution get(Execution e) {
        return fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
    }

    private static Execution.FileReport report(ExecutionTask t, Execution.FileState state) {
        return new Execution.FileReport(t.index(), t.file(), "out/" + t.file(), state, 1L, 0L, 0L, 1.0,
                state == Execution.FileState.Failed ? "file.failed: test" : null);
    }

    @Test
    void theListingCountsOnlyMatchingFilesAndSendsOneTaskPerSlot() {
        for (String name : List.of("a.csv", "b.txt", "c.csv", "d/e.csv", "f.parquet")) {
            fx.folders.put(in, name, new byte[1]);
        }
        Execution e = fx.pendingExecution(0, 2);

        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);

        assertEquals(Execution.State.Running, get(e).status().overview());
        assertEquals(3L, get(e).status().totalFiles());
        assertEquals(List.of("a.csv", "c.csv"), fileTasks().stream().map(ExecutionTask::file).toList());
        assertEquals(List.of(0L, 1L), fileTasks().stream().map(ExecutionTask::index).toList());
    }

    @Test
    void aListingLowOnTimeContinuesFromItsCursorAndNumbersFilesOnFromWhereItStopped() {
        int n = ExecutionService.LIST_PAGE + 500;
        IntStream.range(0, n).forEach(i -> fx.folders.put(in, String.format("f%05d.csv", i), new byte[1]));
        Execution e = fx.pendingExecution(0, 3);

        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 0);
        ExecutionTask next = Json.read(core.queue.bodies(BatchQueue.Name.FANOUT).get(0), ExecutionTask.class);
        assertEquals(ExecutionService.LIST_PAGE, next.listed());
        assertEquals(Execution.State.Pending, get(e).status().overview(), "not running before the listing is whole");
        service.listFiles(next, () -> 0);

        assertEquals((long) n, get(e).status().totalFiles());
        assertEquals(List.of("f01200.csv"), new FileList(core.objects).names(FakeCore.PROJECT, e.id(), 1200, 1201));
        assertEquals(3, fileTasks().size());
    }

    @Test
    void aFolderWithoutMatchingFilesFailsTheExecution() {
        fx.folders.put(in, "a.txt", new byte[1]);
        Execution e = fx.pendingExecution(0, 2);

        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);

        assertEquals(Execution.State.Failed, get(e).status().overview());
        assertTrue(get(e).status().reason().startsWith("execution.no_files: "));
    }

    @Test
    void eachSettledFileSendsItsSlotsNextTaskAndTheLastFinishesTheExecutionAndFreesItsGuard() {
        IntStream.range(0, 3).forEach(i -> fx.folders.put(in, i + ".csv", new byte[1]));
        Execution e = fx.pendingExecution(0, 2);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        List<ExecutionTask> first = fileTasks();

        service.settle(get(e), first.get(0), report(first.get(0), Execution.FileState.Finished));
        ExecutionTask third = fileTasks().get(2);
        assertEquals(2L, third.index(), "slot 0's next file is 0 + parallelism");
        service.settle(get(e), first.get(1), report(first.get(1), Execution.FileState.Finished));
        assertEquals(3, fileTasks().size(), "no file 3");
        service.settle(get(e), third, report(third, Execution.FileState.Failed));

        Execution done = get(e);
        assertEquals(Execution.State.Failed, done.status().overview(), "a file failed");
        assertEquals(2, done.status().finishedFiles());
        assertEquals(1, done.status().failedFiles());
        assertTrue(done.status().reason().startsWith("execution.files_failed: 1 of 3"));
        assertNull(fx.executions.guardHolder(e.spec().identity()));
    }

    @Test
    void aFileSettledTwiceIsCountedOnce() {
        IntStream.range(0, 2).forEach(i -> fx.folders.put(in, i + ".csv", new byte[1]));
        Execution e = fx.pendingExecution(0, 1);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        ExecutionTask t = fileTasks().get(0);

        service.settle(get(e), t, report(t, Execution.FileState.Finished));
        service.settle(get(e), t, report(t, Execution.FileState.Failed));

        assertEquals(1, get(e).status().finishedFiles());
        assertEquals(0, get(e).status().failedFiles());
        assertEquals(Execution.State.Running, get(e).status().overview());
    }

    @Test
    void anIdenticalExecutionIsRefusedWhileOneRunsAndAllowedOnceItEnded() {
        Execution e = fx.pendingExecution(0, 1);
        var twin = new Execution("execution_twin", Execution.OBJECT, FakeCore.PROJECT, e.spec(), e.status(), 0, 0);

        SluiceException refused = assertThrows(SluiceException.class, () -> fx.executions.create(twin));
        assertEquals("execution.identical_running", refused.code());

        assertTrue(service.fail(get(e), "test: ended"));
        fx.executions.create(twin);
        assertEquals(twin.id(), fx.executions.guardHolder(e.spec().identity()));
    }

    @Test
    void aDeadListingFailsTheExecutionAndADeadFileTaskFailsOnlyItsFile() {
        IntStream.range(0, 2).forEach(i -> fx.folders.put(in, i + ".csv", new byte[1]));
        Execution e = fx.pendingExecution(0, 2);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);

        service.abandon(fileTasks().get(0), "inference.dead_lettered: test");

        assertEquals(1, get(e).status().failedFiles());
        assertEquals(Execution.State.Running, get(e).status().overview());
        Execution other = fx.pendingExecution(0, 1);
        service.abandon(ExecutionTask.list(FakeCore.PROJECT, other.id(), null, 0), "fanout.dead_lettered: test");
        assertEquals(Execution.State.Failed, get(other).status().overview());
        assertFalse(get(other).status().reason().isEmpty());
    }

    @Test
    void aReportCursorContinuesOnlyItsOwnReport_andACraftedOneIs400BadCursor() {
        int n = ExecutionService.REPORT_PAGE + 5;
        IntStream.range(0, n).forEach(i -> fx.folders.put(in, String.format("f%05d.csv", i), new byte[1]));
        Execution e = fx.pendingExecution(0, 1);
        Execution other = fx.pendingExecution(0, 1);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, other.id(), null, 0), () -> 600_000);

        Execution.Report first = service.report(FakeCore.PROJECT, e.id(), null);
        assertEquals(ExecutionService.REPORT_PAGE, first.files().size());
        Execution.Report second = service.report(FakeCore.PROJECT, e.id(), first.nextPage());
        assertEquals(5, second.files().size());
        assertEquals("f01000.csv", second.files().get(0).file());

        String real = dev.sluice.core.PageRequest.decode(first.nextPage());
        for (String crafted : List.of(
                dev.sluice.core.PageRequest.encode("n:-9223372036854775808"),
                dev.sluice.core.PageRequest.encode(real.replace("|1000", "|-9223372036854775808")),
                dev.sluice.core.PageRequest.encode(real.replace("|1000", "|9223372036854775807")),
                dev.sluice.core.PageRequest.encode(real.replace("|1000", "|99999999999999999999")),
                dev.sluice.core.PageRequest.encode(real.replace("|1000", "|" + (n + 1))),
                dev.sluice.core.PageRequest.encode(real.replace("|1000", "|1e3")),
                dev.sluice.core.PageRequest.encode(real.replace("|n|", "|p|")),
                dev.sluice.core.PageRequest.encode(real.replace(e.id(), other.id())),
                "not-a-cursor", "A")) {
            SluiceException thrown = assertThrows(SluiceException.class, () -> service.report(FakeCore.PROJECT, e.id(), crafted),
                    crafted);
            assertEquals("request.bad_cursor", thrown.code(), crafted);
        }
        // the other execution's own cursor is refused by this report
        String othersCursor = service.report(FakeCore.PROJECT, other.id(), null).nextPage();
        assertEquals("request.bad_cursor", assertThrows(SluiceException.class,
                () -> service.report(FakeCore.PROJECT, e.id(), othersCursor)).code());
    }
}
