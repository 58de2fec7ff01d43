package dev.sluice.tables;

import dev.sluice.execution.FileType;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import dev.sluice.execution.TableReader;
import dev.sluice.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 21 item 10, issue 27: a CSV of small numbers costs ~30× its size in heap once held. A 12 MB one streamed in
 * chunks on the heap's budget ({@link RowBudget#ofHeap()}) in a child JVM of 64 MiB heap reads every row, and the same
 * file read whole runs out of memory: streaming is what keeps the worker alive.
 */
class HeapBoundChildJvmTest {
    /** The child: reads the file as CSV and prints what became of it (rows N, or OutOfMemoryError). */
    public static void main(String[] args) throws IOException {
        try {
            if (args[1].equals("streamed")) {
                RowBudget budget = RowBudget.ofHeap();
                long rows = 0;
                try (TableReader reader = new Tables().open(FileType.CSV, FolderStore.Source.of(Path.of(args[0])), budget)) {
                    TableReader.Limit limit = new TableReader.Limit(65_536, budget.chunkBytes());
                    for (Table chunk = reader.next(limit); chunk != null; chunk = reader.next(limit)) {
                        rows += chunk.rows().size();
                    }
                }
                System.out.println("rows " + rows);
            } else {
                System.out.println("rows " + new Tables().read(FileType.CSV, Path.of(args[0])).rows().size());
            }
        } catch (OutOfMemoryError e) {
            System.out.println("OutOfMemoryError");
        }
    }

    @Test
    void aCsvOverTheHeapStreamsInASmallHeap_andReadWholeRunsOutOfMemory(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("numbers.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("a,b,c,d,e,f\n");
            for (int i = 0; i < 1_000_000; i++) {
                w.write("1,2,3,4,5,6\n");
            }
        }
        assertEquals("rows 1000000", ChildJvm.run(HeapBoundChildJvmTest.class, "64m", Map.of(), 5,
                csv.toString(), "streamed").lastLine());
        assertEquals("OutOfMemoryError", ChildJvm.run(HeapBoundChildJvmTest.class, "64m", Map.of(), 5,
                csv.toString(), "whole").lastLine(), "held whole, the heap runs out");
    }
}
