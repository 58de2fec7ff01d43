package dev.sluice.tables;

import dev.sluice.execution.FileProblem;
import dev.sluice.execution.FileType;
import dev.sluice.execution.RowBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21 item 10: a CSV of small numbers costs ~30× its size in heap. A 12 MB one read in a child JVM of 64 MiB
 * heap ends with {@code execution.file_too_large} on the heap's budget ({@link RowBudget#ofHeap()}), and the same
 * read without the bound runs out of memory: the bound is what keeps the worker alive.
 */
class HeapBoundChildJvmTest {
    /** The child: reads the file as CSV and prints what became of it (rows N, code C, or OutOfMemoryError). */
    public static void main(String[] args) throws IOException {
        RowBudget budget = args[1].equals("bounded") ? RowBudget.ofHeap() : RowBudget.unbounded();
        try {
            System.out.println("rows " + new Tables().read(FileType.CSV, Path.of(args[0]), budget).rows().size());
        } catch (FileProblem p) {
            System.out.println("code " + p.code);
        } catch (OutOfMemoryError e) {
            System.out.println("OutOfMemoryError");
        }
    }

    private static String child(Path csv, String mode) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                HeapBoundChildJvmTest.class.getName(), csv.toString(), mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child ended");
        return out.strip();
    }

    @Test
    void aCsvOverTheHeapsBudgetFailsWithACodeInASmallHeapInsteadOfOutOfMemory(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("numbers.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("a,b,c,d,e,f\n");
            for (int i = 0; i < 1_000_000; i++) {
                w.write("1,2,3,4,5,6\n");
            }
        }
        assertEquals("code execution.file_too_large", lastLine(child(csv, "bounded")));
        assertEquals("OutOfMemoryError", lastLine(child(csv, "unbounded")), "without the bound the heap runs out");
    }

    private static String lastLine(String out) {
        String[] lines = out.split("\n");
        return lines[lines.length - 1].strip();
    }
}
