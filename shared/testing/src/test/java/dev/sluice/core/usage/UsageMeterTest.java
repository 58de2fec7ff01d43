package dev.sluice.core.usage;

import dev.sluice.core.observe.ContextExecutors;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The meter on the runtimes' MDC (JBoss LogManager's, as in every Sluice process; the core's own tests have none). */
class UsageMeterTest {
    static final UsageMeter.Compute NO_TIME = new UsageMeter.Compute.Lambda(0);

    @Test
    void aUseOutsideAnyInvocation_isNotCounted() {
        UsageMeter meter = new UsageMeter();
        try (var ids = LogScope.of(LogKey.JOB_ID, "batchjob_api")) {
            meter.record(Usage.sqs(1)); // the API serving a request: the user's call, not the job's work
        }
        assertEquals(Usage.ZERO, meter.drain("batchjob_api"));
    }

    @Test
    void owners_areTheOpenInvocationsMessagesJobs_onlyWhileItIsOpen_andNotInsideUncountedWork() {
        UsageMeter meter = new UsageMeter();
        assertEquals(Map.of(), meter.owners());
        try (var invocation = meter.open(Map.of("batchjob_a", 2L, "batchjob_b", 1L), NO_TIME)) {
            assertEquals(Map.of("batchjob_a", 2L, "batchjob_b", 1L), meter.owners());
            assertEquals(Map.of(), meter.uncounted(meter::owners));
        }
        assertEquals(Map.of(), meter.owners());
    }

    @Test
    void aScopedUse_goesToItsJob_andUnclaimedUses_areSplitByMessages_exactly() {
        UsageMeter meter = new UsageMeter();
        Map<String, Long> owners = new LinkedHashMap<>();
        owners.put("batchjob_a", 2L);
        owners.put("batchjob_b", 1L);
        try (var invocation = meter.open(owners, NO_TIME)) {
            try (var ids = LogScope.of(LogKey.JOB_ID, "batchjob_b")) {
                meter.record(Usage.webhookPost());
            }
            meter.record(Usage.dynamo(0, 10)); // one transaction for both jobs' batches
        }
        Usage a = meter.drain("batchjob_a");
        Usage b = meter.drain("batchjob_b");
        assertEquals(0, a.webhookPosts());
        assertEquals(1, b.webhookPosts());
        // 10 WCU and the event source mapping's 2 requests split 2:1, nothing lost to rounding
        assertEquals(10_000, a.dynamoWriteMilliUnits() + b.dynamoWriteMilliUnits());
        assertEquals(6_667, a.dynamoWriteMilliUnits());
        assertEquals(2, a.sqsRequests() + b.sqsRequests());
        assertEquals(Usage.ZERO, meter.drain("batchjob_a"), "drained once");
    }

    @Test
    void aDrainInsideTheInvocation_takesTheInvocationsShareSoFar_andAFailedWrite_givesItBack() {
        UsageMeter meter = new UsageMeter();
        try (var invocation = meter.open(Map.of("batchjob_a", 1L), NO_TIME)) {
            meter.record(Usage.s3(1, 2));
            Usage taken = meter.drain("batchjob_a");
            assertEquals(3, taken.s3PutRequests() + taken.s3GetRequests());
            meter.giveBack("batchjob_a", taken); // the transaction applied nothing
        }
        Usage after = meter.drain("batchjob_a");
        assertEquals(1, after.s3PutRequests());
        assertEquals(2, after.s3GetRequests());
        assertEquals(2, after.sqsRequests());
    }

    @Test
    void manyWorkerThreads_recordingAtOnce_loseNothing() throws Exception {
        UsageMeter meter = new UsageMeter();
        try (var invocation = meter.open(Map.of("batchjob_a", 1L), NO_TIME)) {
            ExecutorService pool = ContextExecutors.carryingContext(Executors.newFixedThreadPool(8));
            for (int i = 0; i < 8_000; i++) {
                int n = i;
                pool.execute(() -> {
                    if (n % 2 == 0) {
                        try (var ids = LogScope.of(LogKey.JOB_ID, "batchjob_a")) {
                            meter.record(Usage.fetched(3));
                        }
                    } else {
                        meter.record(Usage.fetched(3));
                    }
                });
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
        }
        assertEquals(24_000, meter.drain("batchjob_a").bytesFetched());
    }

    @Test
    void anEventSourcesRequest_isSplitOverTheJobsOfItsMessages_andAnInvocationOfASelfMeteredSourceAddsNoEstimate() {
        UsageMeter meter = new UsageMeter();
        Map<String, Long> messages = new LinkedHashMap<>();
        messages.put("batchjob_a", 3L);
        messages.put("batchjob_b", 1L);
        meter.recordFor(messages, Usage.sqs(4)); // e.g. 4 receives of 3 + 1 messages
        assertEquals(3, meter.pending("batchjob_a").sqsRequests());
        assertEquals(1, meter.pending("batchjob_b").sqsRequests());
        try (var invocation = meter.open(Map.of("batchjob_a", 25L), NO_TIME, 0)) {
            meter.record(Usage.sqs(1));
        }
        assertEquals(4, meter.drain("batchjob_a").sqsRequests());
        assertEquals(6, UsageMeter.eventSourceRequests(25), "Lambda's mapping: 3 receives and 3 deletes of ≤ 10");
    }

    @Test
    void pastItsBound_theMeterForgetsTheOwnerAddedToLongestAgo_neverANewOne() {
        UsageMeter meter = new UsageMeter();
        meter.recordFor(Map.of("batchjob_old", 1L), Usage.sqs(1));
        meter.recordFor(Map.of("batchjob_kept", 1L), Usage.sqs(1));
        for (int i = 0; i < UsageMeter.MAX_PENDING_OWNERS - 2; i++) {
            meter.recordFor(Map.of("batchjob_" + i, 1L), Usage.sqs(1));
        }
        meter.recordFor(Map.of("batchjob_kept", 1L), Usage.sqs(1)); // added to again: now the newest
        meter.recordFor(Map.of("batchjob_new", 1L), Usage.sqs(1));
        assertEquals(Usage.ZERO, meter.pending("batchjob_old"));
        assertEquals(2, meter.pending("batchjob_kept").sqsRequests());
        assertEquals(1, meter.pending("batchjob_new").sqsRequests());
    }

    @Test
    void anInvocationsTime_isBilledAsItsCompute() {
        UsageMeter meter = new UsageMeter();
        try (var invocation = meter.open(Map.of("batchjob_a", 1L), new UsageMeter.Compute.Lambda(1024))) {
            long start = System.nanoTime();
            while (System.nanoTime() - start < 5_000_000) {
                Thread.onSpinWait(); // at least 5 ms of work
            }
        }
        assertTrue(meter.drain("batchjob_a").lambdaMbMillis() >= 5 * 1024);
    }

    @Test
    void theEstimate_isThePriceTablesArithmetic_andAnUnknownRegionHasNone() {
        Usage u = new Usage(1024L * 1000 * 100, 0, 0, 1_000_000, 1_000_000_000L, 2_000_000_000L, 1000, 10_000, 0, 0);
        UsageReport r = UsageReport.of(u, "us-east-1");
        // 100 GB-s × 0.0000166667 + 1M SQS × 0.40/M + 1M RRU × 0.125/M + 2M WRU × 0.625/M + 1k PUT × 0.005/k + 10k GET × 0.0004/k
        assertEquals(0.00166667 + 0.40 + 0.125 + 1.25 + 0.005 + 0.004, r.estimatedCostUsd(), 1e-8);
        assertEquals(100.0, r.lambdaGbSeconds());
        assertEquals(11_000, r.s3Requests());
        assertEquals("us-east-1", r.priceTable().region());
        assertEquals(PriceTable.bundled().date(), r.priceTable().date());
        UsageReport nowhere = UsageReport.of(u, "xx-nowhere-1");
        assertEquals(null, nowhere.estimatedCostUsd());
        assertEquals(null, nowhere.priceTable());
    }
}
