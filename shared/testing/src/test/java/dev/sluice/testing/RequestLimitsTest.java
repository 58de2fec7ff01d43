package dev.sluice.testing;

import dev.sluice.aws.RequestLimits;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every batched AWS request Sluice makes stays within its limit ({@link RequestLimits}), whatever it is asked to
 * write: each request is watched by an SDK interceptor on the emulators' clients, and the work is still all done.
 */
class RequestLimitsTest {
    static HandlerFixture fixture;
    static final List<Integer> transactActions = new CopyOnWriteArrayList<>();
    static final List<Long> transactBytes = new CopyOnWriteArrayList<>();
    static final List<int[]> sqsBatches = new CopyOnWriteArrayList<>();

    /** Records the size of every TransactWriteItems and SendMessageBatch request. */
    static final class Watch implements ExecutionInterceptor {
        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof TransactWriteItemsRequest t) {
                transactActions.add(t.transactItems().size());
                long bytes = 0;
                for (var action : t.transactItems()) {
                    if (action.put() != null) {
                        for (var a : action.put().item().entrySet()) {
                            bytes += a.getKey().length() + (a.getValue().b() != null ? a.getValue().b().asByteArray().length
                                    : a.getValue().s() != null ? a.getValue().s().getBytes(StandardCharsets.UTF_8).length : 21);
                        }
                    }
                }
                transactBytes.add(bytes);
            } else if (context.request() instanceof SendMessageBatchRequest b) {
                int bytes = b.entries().stream().mapToInt(e -> e.messageBody().getBytes(StandardCharsets.UTF_8).length).sum();
                sqsBatches.add(new int[]{b.entries().size(), bytes});
            }
        }
    }

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture(List.of(new Watch()));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /**
     * A batch's commit with three log entries per item; long fields are random (gzip cannot shrink them much), and
     * with wide the URLs and reasons are random CJK characters (three bytes each in UTF-8, about two after gzip).
     */
    static JobStore.StageCommit commit(String jobId, String batchId, int items, int fieldChars, boolean wide) {
        List<LogEntry> entries = new ArrayList<>();
        java.util.Random random = new java.util.Random(batchId.hashCode());
        for (int i = 0; i < items; i++) {
            entries.add(LogEntry.info("ItemGathered", 1, url(random, fieldChars, wide), i, "Gathered", 1));
            entries.add(LogEntry.info("ItemPreprocessed", 1, url(random, fieldChars, wide), i, "Preprocessed", 1));
            entries.add(LogEntry.failure("ItemFailedPredict", 1, url(random, fieldChars, wide), i, "FailedPredict",
                    "predict.failed: " + randomText(random, fieldChars, wide)));
        }
        return new JobStore.StageCommit(jobId, dev.sluice.core.pipeline.Stage.INFERENCE, batchId,
                new ItemCounters(items, 0, items, 0, 0, items, 0, 0, 0), entries, 2, null);
    }

    static String url(java.util.Random random, int chars, boolean wide) {
        return "https://example.com/" + randomText(random, chars, wide);
    }

    static String randomText(java.util.Random random, int chars, boolean wide) {
        StringBuilder b = new StringBuilder(chars);
        for (int i = 0; i < chars; i++) {
            b.append(wide ? (char) (0x4E00 + random.nextInt(20_000)) : (char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }

    /** TransactWriteItems: 300 one-item batches (GpuPool, batchSize 1) are committed in transactions of ≤ 100 actions. */
    @Test
    void transactWriteItems_atMost100Actions_eachBatchStillOnce() {
        String job = fixture.job("batchjob_limits0001", 1000, null).id();
        JobStore store = fixture.services.jobStore();
        List<JobStore.StageCommit> commits = new ArrayList<>();
        for (int b = 0; b < 300; b++) {
            commits.add(commit(job, "b" + b, 1, 10, false));
        }
        transactActions.clear();
        List<Boolean> applied = store.commitAll(commits);
        assertEquals(300, applied.stream().filter(a -> a).count());
        assertTrue(transactActions.size() >= 6, "300 batches × (ledger + log) + counter updates: several requests");
        transactActions.forEach(n -> assertTrue(n <= RequestLimits.TRANSACT_ACTIONS, "actions in one request: " + n));
        assertEquals(300, store.get(job).orElseThrow().status().items().failedPredict());

        // the same batches again (a redelivery) beside 5 new ones: only the new ones count
        List<JobStore.StageCommit> again = new ArrayList<>(commits.subList(0, 150));
        for (int b = 300; b < 305; b++) {
            again.add(commit(job, "b" + b, 1, 10, false));
        }
        List<Boolean> second = store.commitAll(again);
        assertEquals(5, second.stream().filter(a -> a).count());
        assertEquals(305, store.get(job).orElseThrow().status().items().failedPredict());
        transactActions.forEach(n -> assertTrue(n <= RequestLimits.TRANSACT_ACTIONS, "actions in one request: " + n));
        store.atomicGroups(commits).forEach(g -> assertTrue(g.size() <= RequestLimits.TRANSACT_ACTIONS / 2));
    }

    /**
     * TransactWriteItems: 4 MB, and DynamoDB's 400 KB per item. The largest batch (256 items) whose every URL and
     * reason is thousands of characters long still commits atomically, in one transaction, with every log entry.
     */
    @Test
    void transactWriteItems_atMost4MB_andTheLargestBatchStillCommitsAtomically() {
        String job = fixture.job("batchjob_limits0002", 100_000, null).id();
        JobStore store = fixture.services.jobStore();
        List<JobStore.StageCommit> commits = new ArrayList<>();
        for (int b = 0; b < 5; b++) {
            commits.add(commit(job, "big" + b, 256, 60_000, false));
        }
        commits.add(commit(job, "big5", 256, 60_000, true));
        for (JobStore.StageCommit c : commits) {
            assertEquals(1, store.atomicGroups(List.of(c)).size(), "one commit alone is one group");
        }
        transactActions.clear();
        transactBytes.clear();
        List<Boolean> applied = store.commitAll(commits);
        assertEquals(List.of(true, true, true, true, true, true), applied);
        assertTrue(transactBytes.size() >= 3, "six batches of about 2 MB each: several transactions");
        transactBytes.forEach(n -> assertTrue(n <= RequestLimits.TRANSACT_BYTES, "bytes in one request: " + n));
        assertEquals(6 * 256, store.get(job).orElseThrow().status().items().failedPredict());
        JobStore.LogPage page = store.logs(job, 0, Long.MAX_VALUE, false, 100_000, null);
        long big = page.entries().stream().filter(e -> e.id().contains("#big")).count();
        assertEquals(6 * 256 * 3, big, "every log entry of every batch is there");
        Set<String> ids = new HashSet<>();
        page.entries().forEach(e -> assertTrue(ids.add(e.id()), "each entry once: " + e.id()));
        assertFalse(store.commitAll(List.of(commits.get(0))).get(0), "applied once only");
        page.entries().stream().filter(e -> e.id().contains("#big5#") && e.reason() != null).forEach(e ->
                assertTrue(e.reason().length() < 200 && e.reason().endsWith("…"), "shortened to fit: " + e.reason()));
        page.entries().stream().filter(e -> e.id().contains("#big0#") && e.reason() != null).forEach(e ->
                assertEquals(2_049, e.reason().length(), "kept to 2,048 characters and …"));
    }

    /** SendMessageBatch: at most 10 entries and 1 MiB a request; every message arrives. */
    @Test
    void sendMessageBatch_atMost10Entries_and1MiB() {
        List<dev.sluice.core.pipeline.Envelope> bodies = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            bodies.add(new dev.sluice.core.pipeline.Envelope(dev.sluice.core.pipeline.MessageKind.FANOUT,
                    "{\"n\":" + i + ",\"pad\":\"" + "z".repeat(i % 2 == 0 ? 100 : 200_000) + "\"}"));
        }
        sqsBatches.clear();
        fixture.services.queue().send(BatchQueue.Name.FANOUT, bodies);
        assertEquals(23, sqsBatches.stream().mapToInt(b -> b[0]).sum());
        assertTrue(sqsBatches.size() >= 3, "23 messages, 11 of them 200 KB: at least 3 requests");
        sqsBatches.forEach(b -> {
            assertTrue(b[0] <= RequestLimits.SQS_BATCH_ENTRIES, "entries: " + b[0]);
            assertTrue(b[1] <= RequestLimits.SQS_BATCH_BYTES, "bytes: " + b[1]);
        });
        Set<String> received = new HashSet<>();
        for (int polls = 0; polls < 100 && received.size() < 23; polls++) {
            fixture.clients.sqs().receiveMessage(b -> b.queueUrl(fixture.config.fanoutQueueUrl())
                    .maxNumberOfMessages(10).waitTimeSeconds(1)).messages().forEach(m -> received.add(m.body()));
        }
        assertEquals(bodies.stream().map(dev.sluice.core.pipeline.Envelope::body).collect(java.util.stream.Collectors.toSet()),
                received);
    }
}
