package dev.sluice.execution;

import dev.sluice.core.pipeline.ExecutionTask;

import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.model.ModelService;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file task's outcomes that need no model run: files of an ended execution are skipped, a file settled before is not
 * run again, and a file that cannot be had or read fails with a stable code while the execution moves on.
 */
class ExecutionRunnerTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();
    private final Folder in = new Folder(FakeCore.USER_BUCKET, "in");
    private int reads;
    private final List<Long> budgets = new java.util.ArrayList<>();
    /** Reads nothing: a file reaching it is "unreadable" (the happy path needs a real format and model). */
    private final TableFormat formats = new TableFormat() {
        @Override
        public TableReader open(FileType type, FolderStore.Source file, RowBudget budget) throws IOException {
            reads++;
            budgets.add(budget.maxBytes());
            throw new IOException("not a " + type + " file");
        }

        @Override
        public TableWriter create(FileType type, List<Table.Column> columns, java.io.OutputStream out, long bufferBytes) {
            throw new UnsupportedOperationException();
        }
    };
    private final ExecutionRunner runner = new ExecutionRunner(fx.executions, service,
            new ModelService(core.catalog, core.objects, core.clock), formats, null, core.predictor, core.fetcher, core.clock);

    private Execution running(int files, int parallelism) {
        IntStream.range(0, files).forEach(i -> fx.folders.put(in, i + ".csv", new byte[]{1}));
        Execution e = fx.pendingExecution(0, parallelism);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        return e;
    }

    private Execution get(Execution e) {
        return fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
    }

    private Execution.FileReport settled(Execution e, long index) {
        return fx.executions.settledFiles(e.id(), index, index + 1).get(0);
    }

    @Test
    void theFilesAWorkerRunsAtOnce_shareTheHeap_soTogetherTheyStayWithinThreeQuartersOfIt() {
        Execution e = running(2, 2);
        long heap = Runtime.getRuntime().maxMemory();
        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv"));
        new ExecutionRunner(fx.executions, service, new ModelService(core.catalog, core.objects, core.clock), formats,
                null, core.predictor, core.fetcher, core.clock, 3) // a task pool worker of 2 slots and its spare
                .run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 1, "1.csv"));
        assertEquals(List.of(heap / 4, heap / 4 * 2 / 3), budgets, "one file: a quarter; three at once: a sixth each");
        budgets.clear();
        // a Lambda invocation's file tasks (up to 10, side by side): before, each took a quarter of the heap, so ten
        // of them could hold two and a half heaps
        Execution ten = running(2, 10);
        runner.run(ExecutionTask.file(FakeCore.PROJECT, ten.id(), 0, "0.csv"), 10);
        runner.run(ExecutionTask.file(FakeCore.PROJECT, ten.id(), 1, "1.csv"), 1);
        assertEquals(List.of(heap / 4 * 2 / 10, heap / 4), budgets, "ten in an invocation: a twentieth each; alone: a quarter");
        for (int files = 1; files <= 16; files++) {
            RowBudget each = RowBudget.ofHeap(files);
            // at its peak a file holds its piece, its chunk three times over and the output's row group
            long peak = each.maxBytes() + 4 * each.chunkBytes();
            assertTrue(files * peak <= heap * 3 / 4, files + " files hold " + files * peak + " of " + heap);
        }
    }

    @Test
    void aFileOfAnEndedExecutionIsSkippedWithoutBeingRead() {
        Execution e = running(2, 2);
        service.cancel(FakeCore.PROJECT, e.id());

        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv"));

        assertEquals(Execution.FileState.Skipped, settled(e, 0).status());
        assertTrue(settled(e, 0).reason().startsWith("execution.ended: "));
        assertEquals(0, reads);
        Execution ended = get(e);
        assertEquals(2, ended.status().skippedFiles(), "every file not settled by the end counts as skipped");
        assertEquals(0, ended.status().failedFiles());
    }

    @Test
    void aFileSettledBeforeIsNotRunAgainButItsSlotMovesOn() {
        Execution e = running(3, 1);
        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv"));
        int readsAfterFirst = reads;
        int tasksAfterFirst = core.queue.sent(dev.sluice.core.pipeline.BatchQueue.Name.INFERENCE).size();

        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv")); // SQS redelivered it

        assertEquals(readsAfterFirst, reads, "not downloaded and read again");
        assertEquals(1, get(e).status().failedFiles(), "counted once");
        assertEquals(tasksAfterFirst + 1, core.queue.sent(dev.sluice.core.pipeline.BatchQueue.Name.INFERENCE).size(),
                "the slot's next task is sent again, in case the first run died before sending it");
    }

    @Test
    void aFileThatCannotBeReadFailsWithItsCodeAndTheExecutionGoesOn() {
        Execution e = running(2, 2);

        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv"));

        Execution.FileReport r = settled(e, 0);
        assertEquals(Execution.FileState.Failed, r.status());
        assertTrue(r.reason().startsWith("execution.file_unreadable: cannot read 0.csv as CSV"), r.reason());
        assertEquals(Execution.State.Running, get(e).status().overview());
    }

    @Test
    void aFileGoneSinceTheListingFailsAsFileGone() {
        Execution e = running(2, 2);

        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 1, "vanished.csv"));

        assertTrue(settled(e, 1).reason().startsWith("execution.file_gone: "), settled(e, 1).reason());
        assertEquals(0, reads);
    }

    @Test
    void theLastFileSettledEndsTheExecutionFailedWhenAnyFileFailed() {
        Execution e = running(2, 2);

        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "0.csv"));
        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 1, "1.csv"));

        Execution done = get(e);
        assertEquals(Execution.State.Failed, done.status().overview());
        assertEquals(2, done.status().failedFiles());
        assertEquals(List.of(0L, 1L), fx.executions.settledFiles(e.id(), 0, 10).stream()
                .map(Execution.FileReport::index).toList());
    }
}
