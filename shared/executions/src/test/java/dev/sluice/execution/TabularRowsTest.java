package dev.sluice.execution;

import dev.sluice.core.Ids;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.inference.TabularPredictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21 items 4, 6 and 10 at the runner: pandas' missing-value spellings in CSV features, booleans never a
 * default feature, a feature width the model cannot take ending the execution at its first file, a bad row's input
 * values kept in a Parquet output, and an output schema too large for the execution's record failing with a code.
 * The file format is a stub handing over the rows CSV gives (text cells); the model is a linear one of fixed width.
 */
class TabularRowsTest {
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();
    private Table input;
    private Table written;
    private int modelRuns;
    private int modelWidth = 3;
    private final List<float[]> modelRows = new ArrayList<>();

    private final TableFormat formats = new TableFormat() {
        @Override
        public TableReader open(FileType type, FolderStore.Source file, RowBudget budget) {
            return TableReader.of(input);
        }

        @Override
        public TableWriter create(FileType type, List<Table.Column> columns, java.io.OutputStream out, long bufferBytes) {
            return new TableWriter() {
                @Override
                public void write(Table chunk) throws java.io.IOException {
                    written = chunk;
                    out.write(1);
                }

                @Override
                public void finish() {
                }
            };
        }
    };

    /** score = sum of the features, one output of width 1; a fixed input width (3 unless a test sets it). */
    private final TabularPredictor linear = new TabularPredictor() {
        @Override
        public Map<String, float[][]> run(Model model, float[][] features) {
            modelRuns++;
            float[][] out = new float[features.length][1];
            for (int r = 0; r < features.length; r++) {
                modelRows.add(features[r]);
                for (float f : features[r]) {
                    out[r][0] += f;
                }
            }
            return Map.of("score", out);
        }

        @Override
        public int inputWidth(Model model) {
            return modelWidth;
        }
    };

    private final ExecutionRunner runner = new ExecutionRunner(fx.executions, service,
            new ModelService(core.catalog, core.objects, core.clock), formats, linear, core.predictor, core.fetcher,
            core.clock);

    private static Table csv(String... lines) {
        List<Table.Column> columns = Arrays.stream(lines[0].split(",", -1))
                .map(n -> new Table.Column(n, Table.Type.STRING)).toList();
        List<Object[]> rows = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            Object[] cells = lines[i].split(",", -1);
            for (int c = 0; c < cells.length; c++) {
                cells[c] = ((String) cells[c]).isEmpty() ? null : cells[c]; // as CsvFiles reads an empty cell
            }
            rows.add(cells);
        }
        return new Table(columns, rows);
    }

    /** Runs the one file of a CSV → output execution of a Tabular model; the execution as it ends. */
    private Execution runFile(FileType output, Map<String, String> parameters) {
        long now = core.clock.nowMillis();
        Model image = core.readyModel();
        Model tabular = new Model(image.id(), image.object(), image.name(), image.projectId(), Model.Task.Tabular,
                image.source(), null, null, image.status(), now, now);
        core.catalog.put(FakeCore.PROJECT, tabular.id(), tabular);
        var spec = new Execution.Spec(tabular.id(), tabular.status().checksum(), new Folder(FakeCore.USER_BUCKET, "in"),
                new Folder(FakeCore.USER_BUCKET, "out"), FileType.CSV, output, 0, 0, 1, parameters, null, null);
        Execution e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, FakeCore.PROJECT, spec,
                new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now);
        fx.executions.create(e);
        fx.folders.put(spec.source(), "rows.csv", new byte[]{1});
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, "rows.csv"));
        return fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
    }

    private Object cell(int row, String column) {
        return written.rows().get(row)[written.columnIndex(column)];
    }

    @Test
    void pandasMissingSpellingsAreMissingFeatures_andATrueFalseTargetIsNeverADefaultFeature() {
        List<String> lines = new ArrayList<>(List.of("name,tenure,spend,visits,churned"));
        for (String na : Cells.MISSING_TEXT) {
            lines.add("r,1," + na + ",2,True");
        }
        lines.add("good,1,2.5,2,False");
        input = csv(lines.toArray(String[]::new));

        Execution e = runFile(FileType.CSV, Map.of());

        assertEquals(1, e.status().finishedFiles(), String.valueOf(fx.executions.settledFiles(e.id(), 0, 1)));
        int good = written.rows().size() - 1;
        for (int r = 0; r < good; r++) {
            assertEquals("row.bad_feature: column \"spend\" is missing", cell(r, "error"), "row " + r);
            assertNull(cell(r, "score"));
        }
        assertNull(cell(good, "error"));
        assertEquals(5.5f, cell(good, "score"), "tenure + spend + visits; churned is not a feature");
        assertArrayEquals(new float[]{1, 2.5f, 2}, modelRows.get(modelRows.size() - 1));
        assertEquals((long) Cells.MISSING_TEXT.size(), fx.executions.settledFiles(e.id(), 0, 1).get(0).failedRows());
    }

    @Test
    void aBooleanColumnIsAFeatureOnlyWhenNamed() {
        input = csv("tenure,spend,churned", "1,2,True", "3,4,false");

        runFile(FileType.CSV, Map.of(RowMapping.FEATURE_COLUMNS, "tenure,spend,churned"));

        assertEquals(4f, cell(0, "score"));
        assertEquals(7f, cell(1, "score"));
    }

    @Test
    void aDefaultFeatureSetTheModelCannotTakeFailsTheExecutionAtItsFirstFileWithoutRunningRows() {
        modelWidth = 2;
        input = csv("tenure,spend,visits", "1,2,3");

        Execution e = runFile(FileType.CSV, Map.of());

        assertEquals(Execution.State.Failed, e.status().overview());
        assertTrue(e.status().reason().startsWith("execution.feature_width: the model takes 2 features, but the file"
                + " has 3 feature columns [tenure, spend, visits]"), e.status().reason());
        assertEquals(0, modelRuns, "no row, not even the probe, ran");
    }

    @Test
    void aBadRowKeepsEveryInputValueInAParquetOutput() {
        input = csv("id,key,tenure,spend,visits", "1,00001,1.0,1,1", "3,00003,NaN,1,1", "4,00004,inf,NA,2");

        runFile(FileType.PARQUET, Map.of(RowMapping.FEATURE_COLUMNS, "tenure,spend,visits"));

        assertEquals("00003", cell(1, "key"));
        assertNull(cell(1, "tenure"), "pandas reads NaN as missing");
        assertEquals(1.0, cell(1, "spend"));
        assertEquals(1.0, cell(1, "visits"));
        assertEquals("row.bad_feature: column \"tenure\" is missing", cell(1, "error"));
        assertEquals(Double.POSITIVE_INFINITY, cell(2, "tenure"), "kept, though not a feature value");
        assertNull(cell(2, "spend"));
        assertEquals(2.0, cell(2, "visits"));
        assertEquals(Table.Type.FLOAT64, written.columns().get(written.columnIndex("visits")).type());
    }

    @Test
    void aFeatureColumnHoldingTextKeepsItsTextInAParquetOutput() {
        input = csv("tenure,spend,visits", "1,2,3", "x1,2,3");

        runFile(FileType.PARQUET, Map.of(RowMapping.FEATURE_COLUMNS, "tenure,spend,visits"));

        assertEquals("x1", cell(1, "tenure"));
        assertEquals(Table.Type.STRING, written.columns().get(0).type());
        assertTrue(((String) cell(1, "error")).startsWith("row.bad_feature: column \"tenure\" is not a finite number"));
    }

    @Test
    void anOutputSchemaOverTheExecutionRecordFailsTheFileWithACode() {
        int n = 10_000;
        StringBuilder header = new StringBuilder("a,b,c");
        StringBuilder row = new StringBuilder("1,2,3");
        for (int i = 0; i < n; i++) {
            header.append(",text_column_").append(i);
            row.append(",x");
        }
        input = csv(header.toString(), row.toString());

        Execution e = runFile(FileType.CSV, Map.of(RowMapping.FEATURE_COLUMNS, "a,b,c"));

        String reason = fx.executions.settledFiles(e.id(), 0, 1).get(0).reason();
        assertTrue(reason.startsWith("execution.too_many_columns: the output schema of " + (n + 5) + " columns"), reason);
        assertEquals(Execution.State.Failed, e.status().overview());
    }

    @Test
    void hiddenAndMarkerFilesAreNotInputsAndAreCounted() {
        for (String name : List.of("a.csv", "._a.csv", ".b.csv", "_SUCCESS", "_tmp/c.csv", "d.csv.crc", "sub/e.csv",
                "sub/.f.csv")) {
            fx.folders.put(new Folder(FakeCore.USER_BUCKET, "in"), name, new byte[]{1});
        }
        Execution e = fx.pendingExecution(0, 1);

        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);

        Execution listed = fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
        assertEquals(2L, listed.status().totalFiles(), "a.csv and sub/e.csv");
        assertEquals(6L, listed.status().hiddenFiles());
        assertEquals(List.of("a.csv", "sub/e.csv"), new FileList(core.objects).names(FakeCore.PROJECT, e.id(), 0, 10));
    }
}
