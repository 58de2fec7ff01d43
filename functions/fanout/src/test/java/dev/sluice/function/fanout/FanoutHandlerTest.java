package dev.sluice.function.fanout;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.execution.Execution;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.local.LocalEventSource;
import dev.sluice.testing.Events;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fanout handler driven by events/sqs-fanout.json and events/sqs-fanout-execution.json. */
class FanoutHandlerTest {
    static HandlerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void fanOutEvent_sendsOneMessagePerBatch_andCountsBadLines() {
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < 70; i++) {
            ndjson.append(i == 40 ? "not json at all" : "{\"kind\":\"Image\",\"url\":\"https://example.com/" + i + ".jpg\"}")
                    .append('\n');
        }
        String key = Dataset.objectKey(HandlerFixture.PROJECT, HandlerFixture.DATASET);
        var put = fixture.clients.s3().putObject(b -> b.bucket(fixture.config.bucket()).key(key),
                RequestBody.fromString(ndjson.toString()));
        fixture.services.catalog().put(HandlerFixture.PROJECT, HandlerFixture.DATASET, new Dataset(HandlerFixture.DATASET,
                Dataset.OBJECT, "d", HandlerFixture.PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                new Dataset.Status(Dataset.State.Ready, null, 70L, (long) ndjson.length(), put.eTag(), null), 0, 0));
        fixture.job(70, null);

        SQSBatchResponse response = new FanoutHandler(fixture.services.fanout(), fixture.services.executions())
                .handleRequest(Events.load("sqs-fanout.json", SQSEvent.class), new LocalEventSource.LocalContext(60_000));

        assertTrue(response.getBatchItemFailures().isEmpty());
        assertEquals(3, fixture.queueDepth(fixture.config.inferenceQueueUrl()), "lines 0-31, 32-63, 64-69");
        Job job = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
        assertEquals(JobState.Running, job.status().overview());
        assertEquals(1, job.status().items().failedGather());
        var messages = fixture.clients.sqs().receiveMessage(b -> b.queueUrl(fixture.config.inferenceQueueUrl())
                .maxNumberOfMessages(10)).messages();
        long items = messages.stream().mapToLong(m -> Json.tree(m.body()).get("items").size()).sum();
        assertEquals(69, items);
    }

    @Test
    void lowTimeBudget_continuesFromAByteOffset_andEveryLineIsSentOnce() {
        HandlerFixture f = new HandlerFixture();
        try (f) {
            int lines = 7_000; // batch 32 → segments of 3,200 lines: three invocations
            StringBuilder ndjson = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                ndjson.append("{\"kind\":\"Image\",\"url\":\"https://example.com/").append(i).append(".jpg\"}\n");
            }
            String key = Dataset.objectKey(HandlerFixture.PROJECT, HandlerFixture.DATASET);
            var put = f.clients.s3().putObject(b -> b.bucket(f.config.bucket()).key(key),
                    RequestBody.fromString(ndjson.toString()));
            f.services.catalog().put(HandlerFixture.PROJECT, HandlerFixture.DATASET, new Dataset(HandlerFixture.DATASET,
                    Dataset.OBJECT, "d", HandlerFixture.PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                    new Dataset.Status(Dataset.State.Ready, null, (long) lines, (long) ndjson.length(), put.eTag(), null),
                    0, 0));
            f.job(lines, null);
            FanoutHandler handler = new FanoutHandler(f.services.fanout(), f.services.executions());
            // An invocation that always has less time left than the fan-out's reserve.
            var almostOutOfTime = new LocalEventSource.LocalContext(1_000);
            SQSEvent event = Events.load("sqs-fanout.json", SQSEvent.class);
            int invocations = 0;
            while (event != null) {
                assertTrue(handler.handleRequest(event, almostOutOfTime).getBatchItemFailures().isEmpty());
                invocations++;
                var next = f.clients.sqs().receiveMessage(b -> b.queueUrl(f.config.fanoutQueueUrl())).messages();
                if (next.isEmpty()) {
                    event = null;
                } else {
                    SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
                    m.setMessageId(next.get(0).messageId());
                    m.setBody(next.get(0).body());
                    event = new SQSEvent();
                    event.setRecords(java.util.List.of(m));
                    f.clients.sqs().deleteMessage(b -> b.queueUrl(f.config.fanoutQueueUrl())
                            .receiptHandle(next.get(0).receiptHandle()));
                }
            }
            assertEquals(3, invocations, "two continuations");
            java.util.Set<Long> indices = new java.util.HashSet<>();
            while (true) {
                var messages = f.clients.sqs().receiveMessage(b -> b.queueUrl(f.config.inferenceQueueUrl())
                        .maxNumberOfMessages(10)).messages();
                if (messages.isEmpty()) {
                    break;
                }
                for (var m : messages) {
                    Json.tree(m.body()).get("items").forEach(i -> assertTrue(indices.add(i.get("index").asLong())));
                }
            }
            assertEquals(lines, indices.size());
        }
    }

    @Test
    void executionListingEvent_listsTheSourceFolder_andSendsTheFirstTaskOfEverySlot() {
        try (HandlerFixture f = new HandlerFixture()) {
            f.executionsBucket();
            for (String name : new String[]{"a.csv", "b.csv", "sub/c.csv", "README.txt"}) {
                f.clients.s3().putObject(b -> b.bucket(HandlerFixture.EXECUTIONS_BUCKET).key("tables/" + name),
                        RequestBody.fromString("x,y\n1,2\n"));
            }
            long now = System.currentTimeMillis();
            Execution.Spec spec = new Execution.Spec(HandlerFixture.MODEL, "etag",
                    new Folder(HandlerFixture.EXECUTIONS_BUCKET, "tables"), new Folder(HandlerFixture.EXECUTIONS_BUCKET, "out"),
                    FileType.CSV, FileType.CSV, 0, 0, 2, Map.of(), null, null);
            f.services.executionStore().create(new Execution("execution_events0001", Execution.OBJECT,
                    HandlerFixture.PROJECT, spec, new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0,
                    null, null), now, now));

            SQSBatchResponse response = new FanoutHandler(f.services.fanout(), f.services.executions()).handleRequest(
                    Events.load("sqs-fanout-execution.json", SQSEvent.class), new LocalEventSource.LocalContext(60_000));

            assertTrue(response.getBatchItemFailures().isEmpty());
            Execution execution = f.services.executions().get(HandlerFixture.PROJECT, "execution_events0001");
            assertEquals(Execution.State.Running, execution.status().overview());
            assertEquals(3L, execution.status().totalFiles(), "the three .csv files, README.txt ignored");
            assertEquals(2, f.queueDepth(f.config.inferenceQueueUrl()), "parallelism 2: the first task of each slot");

            // issue 14: a stored execution whose bucket is no longer allowed (or is the data bucket) is not listed
            for (String bucket : new String[]{HandlerFixture.ITEMS_BUCKET, f.config.bucket()}) {
                String id = "execution_" + bucket.replaceAll("[^a-z0-9]", "");
                Execution.Spec elsewhere = new Execution.Spec(HandlerFixture.MODEL, "etag", new Folder(bucket, "tables"),
                        new Folder(HandlerFixture.EXECUTIONS_BUCKET, "out"), FileType.CSV, FileType.CSV, 0, 0, 2, Map.of(),
                        null, null);
                f.services.executionStore().create(new Execution(id, Execution.OBJECT, HandlerFixture.PROJECT, elsewhere,
                        new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now));
                f.services.executions().listFiles(dev.sluice.core.pipeline.ExecutionTask.list(HandlerFixture.PROJECT, id,
                        null, 0), () -> 60_000);
                Execution refused = f.services.executions().get(HandlerFixture.PROJECT, id);
                assertEquals(Execution.State.Failed, refused.status().overview());
                assertTrue(refused.status().reason().startsWith("execution.bucket_refused"), refused.status().reason());
            }
            assertEquals(2, f.queueDepth(f.config.inferenceQueueUrl()), "no task of a refused execution");

            // the tasks went out with their kind in the message attribute the handlers route by
            var sent = f.clients.sqs().receiveMessage(b -> b.queueUrl(f.config.inferenceQueueUrl())
                    .maxNumberOfMessages(10).messageAttributeNames("All")).messages();
            assertFalse(sent.isEmpty());
            sent.forEach(m -> assertEquals("ExecutionTask",
                    m.messageAttributes().get(dev.sluice.core.pipeline.MessageKind.ATTRIBUTE).stringValue(), m.body()));
        }
    }

    /**
     * A job whose dataset file is replaced after it was counted (or whose dataset is deleted) ends Failed with its
     * unsent lines counted as skipped: counters add up to itemCount. On old main it ended with all counters 0.
     */
    @Test
    void jobWhoseDatasetChanged_failsWithItsLinesSkipped() {
        datasetGoneWrong("dataset.changed");
    }

    @Test
    void jobWhoseDatasetWasDeleted_failsWithItsLinesSkipped() {
        datasetGoneWrong("dataset.not_found");
    }

    static void datasetGoneWrong(String code) {
        try (HandlerFixture f = new HandlerFixture()) {
            String key = Dataset.objectKey(HandlerFixture.PROJECT, HandlerFixture.DATASET);
            var put = f.clients.s3().putObject(b -> b.bucket(f.config.bucket()).key(key),
                    RequestBody.fromString("{\"kind\":\"Image\",\"url\":\"https://example.com/1.jpg\"}\n".repeat(10)));
            f.services.catalog().put(HandlerFixture.PROJECT, HandlerFixture.DATASET, new Dataset(HandlerFixture.DATASET,
                    Dataset.OBJECT, "d", HandlerFixture.PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                    new Dataset.Status(Dataset.State.Ready, null, 10L, 10L * 48, put.eTag(), null), 0, 0));
            f.job(10, null);
            if (code.equals("dataset.changed")) {
                f.clients.s3().putObject(b -> b.bucket(f.config.bucket()).key(key), RequestBody.fromString("{}\n"));
            } else {
                f.services.catalog().delete(HandlerFixture.PROJECT, HandlerFixture.DATASET);
            }

            SQSBatchResponse response = new FanoutHandler(f.services.fanout(), f.services.executions())
                    .handleRequest(Events.load("sqs-fanout.json", SQSEvent.class), new LocalEventSource.LocalContext(60_000));

            assertTrue(response.getBatchItemFailures().isEmpty());
            Job job = f.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
            assertEquals(JobState.Failed, job.status().overview());
            assertTrue(job.status().reason().startsWith(code + ": "), job.status().reason());
            assertEquals(10, job.status().items().skipped(), job.status().items().toString());
            assertEquals(null, job.status().items().violation(10), job.status().items().toString());
        }
    }
}
