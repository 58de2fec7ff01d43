package dev.sluice.bench;

import dev.sluice.aws.UserFolders;
import dev.sluice.core.Ids;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.Execution;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import dev.sluice.execution.TableReader;
import dev.sluice.tables.Tables;
import dev.sluice.testing.ChildJvm;
import dev.sluice.testing.HandlerFixture;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One large Parquet file through one streaming file task (issue 27) in a child JVM of a small heap, on the emulators:
 * a file of {@code rows} rows (id 0..n-1 and three random float64 columns x0..x2, uncompressed, row groups of 100,000
 * rows: 32 bytes a row, written once by pyarrow) in S3, an execution of it in DynamoDB, and {@link StreamedFileTask}
 * running file 0 as a worker does. The output is then streamed back from S3 and every row checked: the count, the ids
 * in order, each score the float sum of its row's x0..x2, and the inputs carried exactly (the wrapped sum of the x
 * columns' bit patterns equals the input's, which pyarrow computed). Gives rows/s and the child's peak heap (its GC
 * log); "broken" says what was wrong, or is null.
 */
public final class StreamedFileBench {
    /** fileBytes: the input's size; seconds: the file task's own time; peakHeapMib: the child's, from its GC log. */
    public record Result(long rows, long fileBytes, String heap, double seconds, double peakHeapMib, String broken) {
        public double rowsPerSecond() {
            return rows / seconds;
        }
    }

    private StreamedFileBench() {
    }

    /** Writes the file with pyarrow; returns the wrapped int64 sum of the x columns' bit patterns. */
    static long generate(Path file, long rows) throws Exception {
        String script = """
                import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
                n = int(sys.argv[2]); rng = np.random.default_rng(27)
                cols = {'id': np.arange(n, dtype=np.int64)}
                total = np.int64(0)
                for c in ('x0', 'x1', 'x2'):
                    x = rng.standard_normal(n)
                    cols[c] = x
                    total = total + x.view(np.int64).sum(dtype=np.int64)
                pq.write_table(pa.table(cols), sys.argv[1], row_group_size=100_000, compression='none',
                               use_dictionary=False)
                print(int(total))
                """;
        Process p = new ProcessBuilder("python3", "-c", script, file.toString(), Long.toString(rows))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("pyarrow did not write the file: " + out);
        }
        String[] lines = out.split("\n");
        return Long.parseLong(lines[lines.length - 1].strip());
    }

    public static Result run(long rows, String heap) throws Exception {
        Path file = Files.createTempFile("sluice-streamed", ".parquet");
        try (HandlerFixture f = new HandlerFixture()) {
            long bits;
            long size;
            try {
                bits = generate(file, rows);
                size = Files.size(file);
                f.executionsBucket();
                f.clients.s3().putObject(b -> b.bucket(HandlerFixture.EXECUTIONS_BUCKET).key("in/big.parquet"),
                        RequestBody.fromFile(file));
            } finally {
                Files.deleteIfExists(file);
            }
            Model image = f.readyModel();
            Model tabular = new Model(image.id(), image.object(), image.name(), image.projectId(), Model.Task.Tabular,
                    image.source(), null, null, image.status(), 0, 0);
            f.services.catalog().put(HandlerFixture.PROJECT, tabular.id(), tabular);
            long now = System.currentTimeMillis();
            var spec = new Execution.Spec(tabular.id(), tabular.status().checksum(),
                    new Folder(HandlerFixture.EXECUTIONS_BUCKET, "in"), new Folder(HandlerFixture.EXECUTIONS_BUCKET, "out"),
                    FileType.PARQUET, FileType.PARQUET, 0, 0, 1, Map.of("featureColumns", "x0,x1,x2"), null, null);
            Execution e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, HandlerFixture.PROJECT, spec,
                    new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now);
            f.services.executionStore().create(e);
            f.services.executions().listFiles(ExecutionTask.list(HandlerFixture.PROJECT, e.id(), null, 0), () -> 600_000);

            ChildJvm.Result child = ChildJvm.run(StreamedFileTask.class, heap, f.config.toEnv(), 20,
                    f.emulators.dynamoEndpoint.toString(), f.emulators.sqsEndpoint.toString(),
                    f.emulators.s3Endpoint.toString(), HandlerFixture.PROJECT, e.id(), "big.parquet");
            if (!child.lastLine().startsWith("RESULT ")) {
                return new Result(rows, size, heap, 0, 0, "the file task's JVM ended without a result: " + child.output());
            }
            double seconds = Long.parseLong(child.lastLine().substring("RESULT ".length())) / 1000.0;
            var settled = f.services.executionStore().settledFiles(e.id(), 0, 1);
            String broken = settled.size() != 1 ? "the file was not settled once"
                    : settled.get(0).status() != Execution.FileState.Finished || settled.get(0).rows() != rows
                    || settled.get(0).failedRows() != 0 ? "the file ended " + settled.get(0) : check(f, rows, bits);
            return new Result(rows, size, heap, seconds, child.peakHeapBytes() / (double) (1 << 20), broken);
        }
    }

    /** Streams the output back from S3 and checks every row (see the class comment); null when all is right. */
    private static String check(HandlerFixture f, long rows, long bits) throws Exception {
        var output = new UserFolders(f.clients.s3()).open(new Folder(HandlerFixture.EXECUTIONS_BUCKET, "out"), "big.parquet");
        RowBudget budget = RowBudget.ofHeap();
        long seen = 0;
        long outBits = 0;
        try (TableReader reader = new Tables().open(FileType.PARQUET, output, budget)) {
            TableReader.Limit limit = new TableReader.Limit(65_536, budget.chunkBytes());
            for (Table chunk = reader.next(limit); chunk != null; chunk = reader.next(limit)) {
                List<String> names = chunk.columns().stream().map(Table.Column::name).toList();
                if (!names.equals(List.of("id", "x0", "x1", "x2", "score", "error"))) {
                    return "the output's columns are " + names;
                }
                for (Object[] row : chunk.rows()) {
                    float sum = 0;
                    for (int c = 1; c <= 3; c++) {
                        sum += (float) (double) (Double) row[c];
                        outBits += Double.doubleToRawLongBits((Double) row[c]);
                    }
                    if (!Long.valueOf(seen).equals(row[0]) || !Float.valueOf(sum).equals(row[4]) || row[5] != null) {
                        return "output row " + seen + " is " + java.util.Arrays.toString(row);
                    }
                    seen++;
                }
            }
        }
        return seen != rows ? "the output has " + seen + " rows, not " + rows
                : outBits != bits ? "the output's x columns are not the input's" : null;
    }
}
