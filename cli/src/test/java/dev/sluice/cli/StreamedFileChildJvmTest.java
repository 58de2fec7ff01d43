package dev.sluice.cli;

import dev.sluice.aws.UserFolders;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import dev.sluice.execution.TableReader;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.tables.Tables;
import dev.sluice.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27: one file task streams a Parquet file more than 4× larger than its JVM's heap, on the emulators' S3 —
 * ranged GETs in, a multipart upload out — and every output row is right. The input (id 0..n-1 and three random
 * float64 columns, uncompressed: pyarrow, generated once) is checked back by streaming the output from S3: the row
 * count, the ids in order, each score the float sum of its row's x0..x2, and the x columns carried exactly (the sum of
 * their bit patterns equals the input's, computed by pyarrow).
 */
class StreamedFileChildJvmTest {
    /** The child's heap, and the rows that make the file over 4× it (32 bytes a row, uncompressed). */
    static final String HEAP = "64m";
    static final long ROWS = 8_600_000;

    /**
     * Writes big.parquet (ROWS rows in row groups of 100,000) with pyarrow; returns the wrapped sum of the x columns'
     * bit patterns (int64 arithmetic).
     */
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
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "python3 ended");
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.split("\n");
        return Long.parseLong(lines[lines.length - 1].strip());
    }

    @Test
    void aParquetFileOver4TimesTheHeapStreamsThroughOneFileTask_everyRowRight(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("big.parquet");
        long bits = generate(file, ROWS);
        long heap = 64L << 20;
        assertTrue(Files.size(file) >= 4 * heap, "the file is " + Files.size(file) + " bytes, over 4× the heap");
        try (EmulatorStack stack = EmulatorStack.start()) {
            var s3 = LocalProvisioner.clients(stack, List.of()).s3();
            s3.createBucket(b -> b.bucket(FakeCore.USER_BUCKET));
            s3.putObject(b -> b.bucket(FakeCore.USER_BUCKET).key("in/big.parquet"), RequestBody.fromFile(file));
            Files.delete(file);

            ChildJvm.Result child = ChildJvm.run(StreamedFileTask.class, HEAP, Map.of(), 15,
                    stack.s3Endpoint.toString(), "big.parquet");
            assertTrue(child.lastLine().startsWith("state Finished rows " + ROWS + " failed 0 "), child.output());

            long seen = 0;
            long outBits = 0;
            FolderStore.Source output = new UserFolders(s3).open(new Folder(FakeCore.USER_BUCKET, "out"), "big.parquet");
            RowBudget budget = RowBudget.ofHeap();
            try (TableReader reader = new Tables().open(FileType.PARQUET, output, budget)) {
                TableReader.Limit limit = new TableReader.Limit(65_536, budget.chunkBytes());
                for (Table chunk = reader.next(limit); chunk != null; chunk = reader.next(limit)) {
                    assertEquals(List.of("id", "x0", "x1", "x2", "score", "error"), chunk.columns().stream()
                            .map(Table.Column::name).toList());
                    for (Object[] row : chunk.rows()) {
                        assertEquals(seen, row[0], "the rows in their order");
                        float sum = 0;
                        for (int c = 1; c <= 3; c++) {
                            sum += (float) (double) (Double) row[c];
                            outBits += Double.doubleToRawLongBits((Double) row[c]);
                        }
                        assertEquals(sum, (Float) row[4], "row " + seen + "'s score");
                        assertEquals(null, row[5]);
                        seen++;
                    }
                }
            }
            assertEquals(ROWS, seen, "every row once");
            assertEquals(bits, outBits, "the inputs are carried exactly");
            System.out.printf("streamed %d rows (%d MB) in a %s heap: peak heap %d MiB, %s%n", ROWS,
                    4 * 8 * ROWS / 1_000_000, HEAP, child.peakHeapBytes() >> 20, child.lastLine());
        }
    }
}
