package dev.sluice.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fan-out of a 1,000,000-line dataset, in a child JVM limited to a 64 MiB heap (the dataset alone is 80 MB, so a
 * fan-out that held it could not finish), handing over to continuation messages as its time budget runs low: every
 * batch is sent exactly once and the job's counters say so.
 */
class FanoutMillionLinesTest {
    @Test
    void aMillionLines_fanOutThroughContinuations_inBoundedMemory_withExactCounts() throws Exception {
        int lines = 1_000_000;
        FanoutBench.Result r = FanoutBench.run(lines);
        System.out.printf("fan-out of %,d lines: %.1f s, %d invocations, heap peak %.0f MiB, %d messages%n",
                lines, r.seconds(), r.invocations(), r.heapPeakMb(), r.messages());
        assertTrue(r.invocations() >= 2, "the fan-out continued in new messages: " + r.invocations());
        assertTrue(r.heapPeakMb() <= 64, "within the 64 MiB heap: " + r.heapPeakMb());
        assertEquals(lines / 32, r.messages(), "one message per batch of 32, none twice");
        assertEquals(lines / 32, r.batchesSent(), "the job counted every batch once");
        assertEquals(0, r.failedGather());
    }
}
