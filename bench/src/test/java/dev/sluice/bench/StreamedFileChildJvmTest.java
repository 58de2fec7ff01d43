package dev.sluice.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27: a Parquet file over 4× the heap of the JVM that runs its file task streams through it on the emulators —
 * ranged GETs in, a multipart upload out — and every output row is right ({@link StreamedFileBench} checks the count,
 * the order, each score and the inputs' bits, streaming the output back from S3).
 */
class StreamedFileChildJvmTest {
    /** The smallest heap the file task runs in with room to spare, and the rows that make the file over 4× it. */
    static final String HEAP = "96m";
    static final long ROWS = 13_200_000;

    @Test
    void aParquetFileOver4TimesTheHeap_streamsThroughOneFileTask_everyOutputRowRight() throws Exception {
        StreamedFileBench.Result r = StreamedFileBench.run(ROWS, HEAP);
        System.out.printf("streamed %,d rows (%,d bytes) in a %s heap: %.1f s, %,.0f rows/s, peak heap %.0f MiB%n",
                r.rows(), r.fileBytes(), r.heap(), r.seconds(), r.rowsPerSecond(), r.peakHeapMib());
        assertTrue(r.fileBytes() >= 4 * (96L << 20), "the file (" + r.fileBytes() + " bytes) is over 4× the heap");
        assertNull(r.broken());
    }
}
