package dev.sluice.execution;

import dev.sluice.core.Ids;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20, item 2: the data bucket is closed on every path of an execution whatever credentials it names: the
 * listing, each file's read and its output's write. The executions here were stored as an execution started before
 * the start's check existed would be (a redrive, a stored record), naming the project's own stored access key.
 */
class DataBucketPathsTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();
    private final Folder victimDatasets = new Folder(FakeCore.DATA_BUCKET, "datasets/proj_victim");
    private final Folder own = new Folder(FakeCore.USER_BUCKET, "in");
    private final ExecutionRunner runner = new ExecutionRunner(fx.executions, service,
            new ModelService(core.catalog, core.objects, core.clock), new TableFormat() {
                @Override
                public TableReader open(FileType type, FolderStore.Source file, RowBudget budget) {
                    throw new AssertionError("no file of the data bucket is read");
                }

                @Override
                public TableWriter create(FileType type, List<Table.Column> columns, java.io.OutputStream out, long bufferBytes) {
                    throw new AssertionError("nothing is written");
                }
            }, null, core.predictor, core.fetcher, core.clock);

    private Execution stored(Folder source, Folder destination, Execution.State state) {
        fx.secrets.create(FakeCore.PROJECT, "key-id", "AKIDEXAMPLE", 0);
        fx.secrets.create(FakeCore.PROJECT, "key-secret", "secret", 0);
        long now = core.clock.nowMillis();
        Model model = core.readyModel();
        var spec = new Execution.Spec(model.id(), model.status().checksum(), source, destination, FileType.CSV,
                FileType.CSV, 0, 0, 1, Map.of(), "key-id", "key-secret");
        var e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, FakeCore.PROJECT, spec,
                new Execution.Status(state, null, null, 0, 0, 0, null, null), now, now);
        fx.executions.create(e);
        return e;
    }

    @Test
    void theListing_ofTheDataBucket_failsTheExecution_withOwnCredentials() {
        fx.folders.put(victimDatasets, "dataset_a.ndjson", new byte[]{1});
        Execution e = stored(victimDatasets, own, Execution.State.Pending);

        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);

        Execution now = fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
        assertEquals(Execution.State.Failed, now.status().overview());
        assertTrue(now.status().reason().startsWith("execution.bucket_refused: "), now.status().reason());
        assertTrue(fx.folders.credentials().isEmpty(), "no request was made with the stored key");
    }

    @Test
    void aFile_readFromTheDataBucket_orWrittenIntoIt_fails_withOwnCredentials_andTheVictimsFileStays() {
        byte[] victims = {1, 2, 3};
        fx.folders.put(victimDatasets, "dataset_a.ndjson", victims);
        fx.folders.put(own, "dataset_a.ndjson", new byte[]{9});
        for (var folders : List.of(List.of(victimDatasets, own), List.of(own, victimDatasets))) {
            Execution e = stored(folders.get(0), folders.get(1), Execution.State.Pending);
            fx.executions.startRunning(FakeCore.PROJECT, e.id(), 1, core.clock.nowMillis());

            runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "dataset_a.ndjson"));

            var settled = fx.executions.settledFiles(e.id(), 0, 1);
            assertEquals(1, settled.size());
            assertEquals(Execution.FileState.Failed, settled.get(0).status());
            assertTrue(settled.get(0).reason().startsWith("execution.bucket_refused: "), settled.get(0).reason());
        }
        assertArrayEquals(victims, fx.folders.get(victimDatasets, "dataset_a.ndjson"));
        assertTrue(fx.folders.credentials().isEmpty(), "no request was made with the stored key");
    }

    @Test
    void theGuard_refusesEveryCallOnTheDataBucket_andKeepsRefusingWithCredentials() {
        FolderStore guarded = new DataBucketGuard(fx.folders, FakeCore.DATA_BUCKET).withCredentials("AKID", "s");
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> guarded.list(victimDatasets, null, 10),
                () -> guarded.open(victimDatasets, "dataset_a.ndjson"),
                () -> guarded.create(victimDatasets, "dataset_a.ndjson", "text/csv"))) {
            assertEquals("execution.bucket_refused", assertThrows(FileProblem.class, call).code);
        }
        assertEquals(List.of(), guarded.list(own, null, 10).names());
    }
}
