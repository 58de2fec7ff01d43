package dev.sluice.core.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A job's rate and estimated completion: while it runs, from its start to the read; once ended, over its run only. */
class JobProgressTest {
    private static final ItemCounters FOUR_DONE = new ItemCounters(4, 0, 4, 0, 4, 0, 4, 0, 0);

    @Test
    void aRunningJob_ratesItsItemsUntilTheRead_andEstimatesTheRest() {
        Job.Progress p = Job.Progress.of(2, 1, 500, 10_000L, FOUR_DONE, 8, 12_000, null);
        assertEquals(2.0, p.itemsPerSecond());
        assertEquals(14_000L, p.estimatedCompletionTime(), "4 items left at 2 items/s from the read");
    }

    @Test
    void anEndedJob_keepsTheRateOfItsRun_whenEverItIsRead_andHasNoEstimate() {
        // reported by a new user: a finished job's rate fell at every read and its ETA was the time of the read
        for (long read : new long[] {12_000, 60_000, 3_600_000}) {
            Job.Progress p = Job.Progress.of(0, 2, 500, 10_000L, FOUR_DONE, 4, read, 12_000L);
            assertEquals(2.0, p.itemsPerSecond(), "read at " + read);
            assertNull(p.estimatedCompletionTime());
        }
    }
}
