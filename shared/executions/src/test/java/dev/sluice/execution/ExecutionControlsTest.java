package dev.sluice.execution;

import dev.sluice.core.Json;
import dev.sluice.core.Outcome;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An execution's sample size and error budget (issue 24 items 2 and 4), over in-memory ports: {@code limitFiles}
 * lists only the first N matching files; past {@code maxFailedFiles} or {@code maxFailedRowRate} the execution ends
 * Failed with reason {@code execution.error_budget_exceeded} (outcome Stopped), sends no further file, and its
 * counters stay exact (finished + failed + skipped = total).
 */
class ExecutionControlsTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();
    private final Folder in = new Folder(FakeCore.USER_BUCKET, "in");

    private Execution start(Long limitFiles, Long maxFailedFiles, Double maxFailedRowRate, int parallelism) {
        Execution e = service.start(FakeCore.PROJECT, new ExecutionService.StartRequest(
                new ExecutionService.ModelRef(core.readyModel().id(), null), FakeCore.USER_BUCKET, null, null, "in",
                "out", "CSV", "CSV", null, null, parallelism, Map.of(), null, null, null, null, limitFiles,
                maxFailedFiles, maxFailedRowRate, null));
        service.listFiles(Json.read(core.queue.bodies(BatchQueue.Name.FANOUT).get(0), ExecutionTask.class), () -> 600_000);
        return e;
    }

    private List<ExecutionTask> fileTasks() {
        return core.queue.bodies(BatchQueue.Name.INFERENCE).stream().map(b -> Json.read(b, ExecutionTask.class)).toList();
    }

    private Execution get(Execution e) {
        return fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
    }

    private void settle(Execution e, ExecutionTask t, Execution.FileState state, long rows, long failedRows) {
        service.settle(get(e), t, new Execution.FileReport(t.index(), t.file(), null, state,
                state == Execution.FileState.Finished ? rows : null, state == Execution.FileState.Finished ? failedRows : null,
                0L, 1.0, state == Execution.FileState.Failed ? "execution.file_unreadable: test" : null));
    }

    @Test
    void limitFiles_listsOnlyTheFirstNMatchingFiles_evenAcrossPages() {
        IntStream.range(0, ExecutionService.LIST_PAGE + 50).forEach(i -> fx.folders.put(in, String.format("f%05d.csv", i),
                new byte[1]));
        fx.folders.put(in, "a-readme.txt", new byte[1]);
        Execution e = start(ExecutionService.LIST_PAGE + 3L, null, null, 2);
        assertEquals((long) ExecutionService.LIST_PAGE + 3, get(e).status().totalFiles());
        assertEquals(List.of("f00000.csv", "f00001.csv"), fileTasks().stream().map(ExecutionTask::file).toList());
        assertEquals(1, core.queue.bodies(BatchQueue.Name.FANOUT).size(), "no continuation of the listing");
        assertEquals("execution.bad_limit_files", assertThrows(SluiceException.class,
                () -> start(0L, null, null, 1)).code());
    }

    @Test
    void pastMaxFailedFiles_theExecutionStops_sendsNothingMore_andCountsStayExact() {
        IntStream.range(0, 6).forEach(i -> fx.folders.put(in, i + ".csv", new byte[1]));
        Execution e = start(null, 1L, null, 2);
        List<ExecutionTask> first = fileTasks();
        assertEquals(2, first.size());

        settle(e, first.get(0), Execution.FileState.Failed, 0, 0);
        assertEquals(Execution.State.Running, get(e).status().overview(), "one failed file is within the budget");
        assertEquals(3, fileTasks().size(), "its slot's next file was sent");
        settle(e, first.get(1), Execution.FileState.Failed, 0, 0);

        Execution.Status s = get(e).status();
        assertEquals(Execution.State.Failed, s.overview());
        assertTrue(s.reason().startsWith(Execution.BUDGET_EXCEEDED + ": 2 files failed"), s.reason());
        assertEquals(Outcome.Stopped, s.outcome());
        assertEquals(3, fileTasks().size(), "nothing sent after the budget was exceeded");
        // the file in flight ends after the execution did: skipped, not counted
        settle(e, fileTasks().get(2), Execution.FileState.Finished, 10, 0);
        s = get(e).status();
        assertEquals(List.of(0L, 2L, 4L, 6L), List.of(s.finishedFiles(), s.failedFiles(), s.skippedFiles(), s.totalFiles()));
    }

    @Test
    void pastMaxFailedRowRate_overTheFinishedFilesRows_theExecutionStops() {
        IntStream.range(0, 4).forEach(i -> fx.folders.put(in, i + ".csv", new byte[1]));
        Execution e = start(null, null, 0.1, 1);
        settle(e, fileTasks().get(0), Execution.FileState.Finished, 100, 5);
        assertEquals(Execution.State.Running, get(e).status().overview(), "5 of 100 rows is within 0.1");
        settle(e, fileTasks().get(1), Execution.FileState.Finished, 100, 30);

        Execution.Status s = get(e).status();
        assertEquals(Execution.State.Failed, s.overview());
        assertTrue(s.reason().startsWith(Execution.BUDGET_EXCEEDED + ": 35 of 200 rows failed"), s.reason());
        assertEquals(List.of(200L, 35L), List.of(s.rows(), s.failedRows()));
        assertEquals(List.of(2L, 0L, 2L), List.of(s.finishedFiles(), s.failedFiles(), s.skippedFiles()));
        assertEquals(2, fileTasks().size(), "the third file was never sent");
    }

    @Test
    void badBudgets_getStableCodes() {
        fx.folders.put(in, "a.csv", new byte[1]);
        assertEquals("execution.bad_error_budget", assertThrows(SluiceException.class,
                () -> start(null, -1L, null, 1)).code());
        assertEquals("execution.bad_error_budget", assertThrows(SluiceException.class,
                () -> start(null, null, 1.5, 1)).code());
    }

    private ExecutionService.DryRun dryRun(Long limitFiles) {
        return service.dryRun(FakeCore.PROJECT, new ExecutionService.StartRequest(
                new ExecutionService.ModelRef(core.readyModel().id(), null), FakeCore.USER_BUCKET, null, null, "in",
                "out", "CSV", "CSV", null, null, 4, Map.of(), null, null, null, null, limitFiles, null, null, null));
    }

    @Test
    void dryRun_listsTheMatchingFilesWithTheirBytes_namesTheFirstThousand_andHonoursLimitFiles() {
        IntStream.range(0, 1500).forEach(i -> fx.folders.put(in, String.format("f%04d.csv", i), new byte[i % 7 + 1]));
        fx.folders.put(in, "_SUCCESS", new byte[0]);
        fx.folders.put(in, ".part-0.csv.crc", new byte[8]);
        fx.folders.put(in, "notes.txt", new byte[100]);
        long bytes = IntStream.range(0, 1500).mapToLong(i -> i % 7 + 1).sum();

        ExecutionService.DryRun all = dryRun(null);
        assertEquals(1500, all.fileCount());
        assertEquals(bytes, all.bytes());
        assertEquals(ExecutionService.DRY_RUN_LISTED, all.files().size());
        assertEquals(new ExecutionService.ListedFile("f0999.csv", 999 % 7 + 1), all.files().get(999));
        assertEquals(2, all.hiddenFiles());
        assertFalse(all.listingTruncated());
        assertEquals(4, all.basis().workers());
        assertTrue(all.estimatedSeconds() >= 1 && all.estimatedCostUsd() > 0, all.toString());

        ExecutionService.DryRun sample = dryRun(3L);
        assertEquals(3, sample.fileCount());
        assertEquals(List.of("f0000.csv", "f0001.csv", "f0002.csv"),
                sample.files().stream().map(ExecutionService.ListedFile::name).toList());
        assertEquals(3, sample.basis().workers(), "min(parallelism, files)");
        assertTrue(fx.executions.list(FakeCore.PROJECT, dev.sluice.core.PageRequest.of(null, null)).data().isEmpty(),
                "nothing stored");
        assertTrue(core.queue.bodies(BatchQueue.Name.FANOUT).isEmpty(), "nothing sent");
        assertTrue(core.objects.keys("").isEmpty(), "no file list written");
    }

    @Test
    void dryRun_ofAFolderBeyondItsListingBound_saysTheCountStopped() {
        int n = ExecutionService.DRY_RUN_PAGES * ExecutionService.LIST_PAGE + 1;
        IntStream.range(0, n).forEach(i -> fx.folders.put(in, String.format("f%06d.csv", i), new byte[1]));
        ExecutionService.DryRun dry = dryRun(null);
        assertTrue(dry.listingTruncated());
        assertEquals(n - 1, dry.fileCount());
        ExecutionService.DryRun limited = dryRun((long) n - 1);
        assertFalse(limited.listingTruncated(), "limitFiles reached: nothing more would run");
    }

    @Test
    void dryRun_refusesWhatAStartRefuses_withTheSameCode() {
        var bad = new ExecutionService.StartRequest(new ExecutionService.ModelRef(core.readyModel().id(), null),
                FakeCore.USER_BUCKET, null, null, "in", "out", "CSV", "CSV", null, null, 4, Map.of(), null, null, null,
                null, 0L, null, null, null);
        assertEquals(assertThrows(SluiceException.class, () -> service.start(FakeCore.PROJECT, bad)).code(),
                assertThrows(SluiceException.class, () -> service.dryRun(FakeCore.PROJECT, bad)).code());
    }
}
