package dev.sluice.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27: a Parquet file over 4× the heap of the local pool worker (`sluice local`'s task worker child JVM, as an
 * ECS task of the CpuPool runs it) streams through a CpuPool execution on the emulators, and every output row is
 * right ({@link PoolFileBench}: count, order, each score as ONNX Runtime adds the features, the inputs' bits; the
 * worker's own peak heap under its -Xmx). {@code ./sluice bench} runs the same code at full size (a 422 MB file).
 */
class PoolFileChildJvmTest {
    /** A small heap the worker runs in, and the rows that make the file over 4× it. */
    static final String HEAP = "80m";
    static final long ROWS = 10_600_000;

    @Test
    void aParquetFileOver4TimesTheWorkersHeap_runsOnTheLocalCpuPool_everyOutputRowRight() throws Exception {
        StreamedFileBench.Result r;
        try (StreamedFileBench.Input input = StreamedFileBench.generate(ROWS)) {
            r = PoolFileBench.run(input, HEAP);
        }
        System.out.printf("pool worker: %,d rows (%,d bytes) in a %s heap: %.1f s, %,.0f rows/s, peak heap %.0f MiB%n",
                r.rows(), r.fileBytes(), r.heap(), r.seconds(), r.rowsPerSecond(), r.peakHeapMib());
        assertNull(r.broken());
        assertTrue(r.fileBytes() >= 4 * (80L << 20), "the file (" + r.fileBytes() + " bytes) is over 4× the heap");
        assertTrue(r.peakHeapMib() <= 80, "the worker's peak heap " + r.peakHeapMib() + " MiB is within -Xmx80m");
    }
}
