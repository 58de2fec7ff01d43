package dev.sluice.function.inference;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.JobState;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.testing.Events;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalEventSource;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inference handler driven by events/sqs-inference.json: one batch, three items, three outcomes. */
class InferenceHandlerTest {
    static HandlerFixture fixture;
    static OnnxPredictor predictor;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        predictor = new OnnxPredictor(m -> fixture.services.objects().read(m.objectKey()), 2);
    }

    @AfterAll
    static void stop() {
        predictor.close();
        fixture.close();
    }

    @Test
    void batchEvent_predictsCommitsOnceAndEnqueuesOneDelivery() {
        var s3 = fixture.clients.s3();
        fixture.itemsBucket();
        s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("photos/goldfish.jpg"),
                RequestBody.fromBytes(Samples.bytes(Samples.image("goldfish.jpg"))));
        s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("photos/not-an-image.jpg"),
                RequestBody.fromString("<html></html>"));
        fixture.readyModel();
        fixture.webhook("https://hooks.example.com/sluice", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=");
        fixture.job(3, HandlerFixture.WEBHOOK);
        fixture.services.jobStore().transition(HandlerFixture.JOB, java.util.Set.of(JobState.Waiting), JobState.Running,
                "Running", null, 2);
        InferenceHandler handler = new InferenceHandler(fixture.services.batchProcessor(predictor),
                fixture.services.executionRunner(predictor, predictor, new dev.sluice.tables.Tables()));
        SQSEvent event = Events.load("sqs-inference.json", SQSEvent.class);
        // the same batch twice in one invocation (a re-sent fan-out segment): one transaction cannot hold both
        SQSEvent twice = Events.load("sqs-inference.json", SQSEvent.class);
        SQSEvent.SQSMessage copy = Events.load("sqs-inference.json", SQSEvent.class).getRecords().get(0);
        copy.setMessageId("copy-of-" + copy.getMessageId());
        twice.getRecords().add(copy);

        SQSBatchResponse first = handler.handleRequest(twice, new LocalEventSource.LocalContext(120_000));
        SQSBatchResponse redelivered = handler.handleRequest(event, new LocalEventSource.LocalContext(120_000));

        assertTrue(first.getBatchItemFailures().isEmpty(), "both copies are done");
        assertTrue(redelivered.getBatchItemFailures().isEmpty());
        ItemCounters c = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().items();
        assertEquals(new ItemCounters(2, 1, 1, 1, 1, 0, 0, 0, 0), c, "counted once although delivered three times");
        assertEquals(2, fixture.queueDepth(fixture.config.deliveryQueueUrl()),
                "the redelivered batch re-sends its deliveries (the delivery ledger drops the copy)");
        var reasons = fixture.services.jobStore().logs(HandlerFixture.JOB, 0, Long.MAX_VALUE / 2, false, 100, null).entries().stream()
                .filter(e -> "Error".equals(e.level())).map(e -> e.reason()).toList();
        assertEquals(2, reasons.size(), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.startsWith("gather.not_found")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.startsWith("process.not_an_image")), reasons.toString());
    }

    /**
     * Two batches in one invocation: the second batch's images are being decoded (prepare called) before the model
     * runs on the first, so decoding overlaps the model instead of following it.
     */
    @Test
    void twoBatches_theSecondIsDecodedWhileTheFirstIsPredicted() throws Exception {
        try (HandlerFixture fixture = new HandlerFixture();
             OnnxPredictor predictor = new OnnxPredictor(m -> fixture.services.objects().read(m.objectKey()), 2)) {
            twoBatches(fixture, predictor);
        }
    }

    private static void twoBatches(HandlerFixture fixture, OnnxPredictor predictor) {
        var s3 = fixture.clients.s3();
        fixture.itemsBucket();
        s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("photos/goldfish.jpg"),
                RequestBody.fromBytes(Samples.bytes(Samples.image("goldfish.jpg"))));
        fixture.readyModel();
        fixture.job(6, null);
        fixture.services.jobStore().transition(HandlerFixture.JOB, java.util.Set.of(JobState.Waiting), JobState.Running,
                "Running", null, 2);
        java.util.concurrent.CountDownLatch secondPrepared = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger prepares = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean overlapped = new java.util.concurrent.atomic.AtomicBoolean();
        dev.sluice.core.inference.Predictor recording = new dev.sluice.core.inference.Predictor() {
            @Override
            public java.util.List<Output> predict(dev.sluice.core.model.Model model, java.util.List<Input> inputs) {
                return predictor.predict(model, inputs);
            }

            @Override
            public Prepared prepare(dev.sluice.core.model.Model model, java.util.List<Input> inputs) {
                int n = prepares.incrementAndGet();
                Prepared inner = predictor.prepare(model, inputs);
                if (n == 2) {
                    secondPrepared.countDown();
                }
                return () -> {
                    if (n == 1) {
                        try {
                            overlapped.set(secondPrepared.await(60, java.util.concurrent.TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return inner.predict();
                };
            }
        };
        InferenceHandler handler = new InferenceHandler(fixture.services.batchProcessor(recording),
                fixture.services.executionRunner(predictor, predictor, new dev.sluice.tables.Tables()));
        SQSEvent event = Events.load("sqs-inference.json", SQSEvent.class);
        SQSEvent.SQSMessage second = Events.load("sqs-inference.json", SQSEvent.class).getRecords().get(0);
        second.setMessageId("second-" + second.getMessageId());
        second.setBody(second.getBody().replace("\"batchId\":\"b0\"", "\"batchId\":\"b1\"")
                .replace("\"index\":0", "\"index\":3").replace("\"index\":1", "\"index\":4")
                .replace("\"index\":2", "\"index\":5"));
        event.getRecords().add(second);

        SQSBatchResponse response = handler.handleRequest(event, new LocalEventSource.LocalContext(120_000));

        assertTrue(response.getBatchItemFailures().isEmpty());
        assertEquals(2, prepares.get(), "each batch's decoding is started once");
        assertTrue(overlapped.get(), "batch b1 was being decoded before the model ran batch b0");
        ItemCounters c = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().items();
        assertEquals(2, c.predicted(), c.toString());
    }
}
