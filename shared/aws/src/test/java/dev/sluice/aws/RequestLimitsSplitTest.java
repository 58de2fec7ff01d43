package dev.sluice.aws;

import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.job.JobStore;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per request limit of {@link RequestLimits}: the code that builds the request splits exactly at the limit
 * (a request at the limit is one request, one more item makes two). No emulator: the SQS client records the requests
 * it is given, and DynamoJobStore's grouping is computed without a call (the emulator-backed RequestLimitsTest of
 * shared/testing sends them for real).
 */
class RequestLimitsSplitTest {
    static final SluiceConfig CONFIG = new SluiceConfig("jobs", "catalog", "keys", "ledger", "logs",
            "http://q/fanout", "http://q/inference", "http://q/delivery", null, "bucket", false, List.of(), List.of(),
            SluiceConfig.SecretsBackend.SECRETS_MANAGER);

    /** An SQS client that accepts every message and records each request's entries and bytes. */
    static final class RecordingSqs implements SqsClient {
        final List<int[]> batches = new ArrayList<>();
        final List<Integer> singles = new ArrayList<>();

        @Override
        public SendMessageBatchResponse sendMessageBatch(SendMessageBatchRequest request) {
            batches.add(new int[]{request.entries().size(), request.entries().stream()
                    .mapToInt(e -> e.messageBody().getBytes(StandardCharsets.UTF_8).length).sum()});
            return SendMessageBatchResponse.builder().successful(request.entries().stream()
                    .map(e -> SendMessageBatchResultEntry.builder().id(e.id()).messageId("m" + e.id()).build())
                    .toList()).build();
        }

        @Override
        public SendMessageResponse sendMessage(SendMessageRequest request) {
            singles.add(request.messageBody().getBytes(StandardCharsets.UTF_8).length);
            return SendMessageResponse.builder().messageId("m").build();
        }

        @Override
        public String serviceName() {
            return "sqs";
        }

        @Override
        public void close() {
        }
    }

    static List<dev.sluice.core.pipeline.Envelope> bodies(int n, int bytes) {
        return Collections.nCopies(n, message("x".repeat(bytes)));
    }

    static dev.sluice.core.pipeline.Envelope message(String body) {
        return new dev.sluice.core.pipeline.Envelope(dev.sluice.core.pipeline.MessageKind.DELIVERY, body);
    }

    @Test
    void sendMessageBatch_atMost10Entries() {
        RecordingSqs sqs = new RecordingSqs();
        SqsBatchQueue queue = new SqsBatchQueue(sqs, CONFIG);
        queue.send(BatchQueue.Name.FANOUT, bodies(RequestLimits.SQS_BATCH_ENTRIES, 10));
        assertEquals(1, sqs.batches.size(), "10 entries: one request");
        queue.send(BatchQueue.Name.FANOUT, bodies(RequestLimits.SQS_BATCH_ENTRIES + 1, 10));
        assertEquals(List.of(10, 1), sqs.batches.subList(1, 3).stream().map(b -> b[0]).toList());
        queue.send(BatchQueue.Name.FANOUT, bodies(25, 10));
        assertEquals(List.of(10, 10, 5), sqs.batches.subList(3, 6).stream().map(b -> b[0]).toList());
    }

    @Test
    void sendMessageBatch_atMost1MiB() {
        RecordingSqs sqs = new RecordingSqs();
        SqsBatchQueue queue = new SqsBatchQueue(sqs, CONFIG);
        // four bodies of a quarter MiB less a little fit one request; five do not
        int quarter = (int) (RequestLimits.SQS_BATCH_BYTES / 4) - 8_192;
        queue.send(BatchQueue.Name.DELIVERY, bodies(4, quarter));
        assertEquals(1, sqs.batches.size());
        queue.send(BatchQueue.Name.DELIVERY, bodies(5, quarter));
        assertEquals(List.of(4, 1), sqs.batches.subList(1, 3).stream().map(b -> b[0]).toList());
        sqs.batches.forEach(b -> assertTrue(b[1] <= RequestLimits.SQS_BATCH_BYTES, "bytes: " + b[1]));
    }

    @Test
    void sqsMessage_atMost256KiB_bodyAndAttributes() {
        assertEquals(RequestLimits.SQS_MESSAGE_BYTES, BatchQueue.MAX_MESSAGE_BYTES, "the core names the same limit");
        assertTrue(BatchQueue.MAX_BODY_BYTES < RequestLimits.SQS_MESSAGE_BYTES, "room kept for attributes");
        RecordingSqs sqs = new RecordingSqs();
        SqsBatchQueue queue = new SqsBatchQueue(sqs, CONFIG);
        queue.send(BatchQueue.Name.DELIVERY, bodies(1, BatchQueue.MAX_BODY_BYTES));
        queue.send(BatchQueue.Name.DELIVERY, message("x".repeat(BatchQueue.MAX_BODY_BYTES)), 1);
        assertEquals(1, sqs.batches.size());
        assertEquals(List.of(BatchQueue.MAX_BODY_BYTES), sqs.singles);
        // counted in UTF-8 bytes, not characters: a 3-byte character one over the limit
        String wide = "x".repeat(BatchQueue.MAX_BODY_BYTES - 2) + "界";
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> queue.send(BatchQueue.Name.DELIVERY, List.of(message("small"), message(wide))));
        assertTrue(batch.getMessage().startsWith("queue.message_too_large"), batch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> queue.send(BatchQueue.Name.DELIVERY, message(wide), 0));
        assertEquals(1, sqs.batches.size(), "nothing of a refused send was sent");
    }

    @Test
    void deleteAndChangeVisibilityBatches_atMost10Entries() {
        // GpuWorker and LocalEventSource delete and hide received messages in groups split this way
        List<Integer> handles = IntStream.range(0, 25).boxed().toList();
        assertEquals(List.of(10, 10, 5), RequestLimits.split(handles, RequestLimits.SQS_BATCH_ENTRIES).stream()
                .map(List::size).toList());
        assertEquals(1, RequestLimits.split(handles.subList(0, 10), RequestLimits.SQS_BATCH_ENTRIES).size());
    }

    static JobStore.StageCommit commit(String job, String batch, int entries, int urlChars) {
        List<LogEntry> log = new ArrayList<>();
        java.util.Random random = new java.util.Random(batch.hashCode());
        for (int i = 0; i < entries; i++) {
            StringBuilder url = new StringBuilder("https://example.com/");
            for (int c = 0; c < urlChars; c++) {
                url.append((char) ('a' + random.nextInt(26)));
            }
            log.add(LogEntry.failure("ItemFailedPredict", 1, url.toString(), i, "FailedPredict", "predict.failed: x"));
        }
        return new JobStore.StageCommit(job, dev.sluice.core.pipeline.Stage.INFERENCE, batch, ItemCounters.failedPredict(entries), log, 2, null);
    }

    /** Actions a group's transaction holds: per commit its ledger item and log records, plus one update per job. */
    static int actions(List<JobStore.StageCommit> group) {
        return group.stream().mapToInt(c -> 1 + DynamoJobStore.logRecords(c).size()).sum()
                + (int) group.stream().map(JobStore.StageCommit::jobId).distinct().count();
    }

    @Test
    void transactWriteItems_atMost100Actions() {
        DynamoJobStore store = new DynamoJobStore(null, CONFIG);
        List<JobStore.StageCommit> commits = new ArrayList<>();
        for (int b = 0; b < 300; b++) {
            commits.add(commit("batchjob_a", "b" + b, 1, 10));
        }
        List<List<JobStore.StageCommit>> groups = store.atomicGroups(commits);
        groups.forEach(g -> assertTrue(actions(g) <= RequestLimits.TRANSACT_ACTIONS, "actions: " + actions(g)));
        // one log record per commit: 49 commits are 99 actions, a 50th would make 101
        assertEquals(49, groups.get(0).size());
        assertEquals(300, groups.stream().mapToInt(List::size).sum(), "every commit, once, in order");
        assertEquals(commits, groups.stream().flatMap(List::stream).toList());
    }

    @Test
    void transactWriteItems_atMost4MB() {
        DynamoJobStore store = new DynamoJobStore(null, CONFIG);
        List<JobStore.StageCommit> commits = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            commits.add(commit("batchjob_b", "big" + b, 256, 2_000)); // about 0.3 MB of gzipped random URLs each
        }
        List<List<JobStore.StageCommit>> groups = store.atomicGroups(commits);
        assertTrue(groups.size() >= 2, "16 commits of about 0.3 MB: more than one transaction");
        for (List<JobStore.StageCommit> g : groups) {
            long bytes = g.stream().flatMap(c -> DynamoJobStore.logRecords(c).stream())
                    .mapToLong(DynamoJobStore::itemBytes).sum();
            assertTrue(bytes <= RequestLimits.TRANSACT_BYTES, "bytes: " + bytes);
            DynamoJobStore.logRecords(g.get(0)).forEach(r -> assertTrue(DynamoJobStore.itemBytes(r)
                    <= RequestLimits.ITEM_BYTES, "one item within DynamoDB's 400 KB"));
        }
        assertEquals(commits, groups.stream().flatMap(List::stream).toList());
    }

    @Test
    void split_keepsOrder_andBothBounds_andAnOversizedItemAlone() {
        List<Integer> sizes = List.of(5, 5, 5, 20, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        assertEquals(List.of(List.of(5, 5), List.of(5), List.of(20), List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                List.of(1, 1)), RequestLimits.split(sizes, 10, 12, i -> i));
    }
}
