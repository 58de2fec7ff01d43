package dev.sluice.function.inference;

import dev.sluice.core.Json;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.job.JobState;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A delivery message always fits a queue message (256 KiB): the largest batch (256 items) with long URLs and
 * detection-sized predictions is about 1 MB of payloads, and one item's payload alone is 300 KB; both are delivered,
 * every item once, through one message per batch (the payloads kept in the bucket), and a redelivered message
 * delivers nothing twice.
 */
class LargeDeliveryTest {
    static HandlerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** Detection-like predictions: 24 boxes per item, and over 300 KB of them for the item of line 256. */
    static final Predictor DETECTIONS = new Predictor() {
        @Override
        public List<Output> predict(Model model, List<Input> inputs) {
            List<Output> outputs = new ArrayList<>();
            for (Input in : inputs) {
                int boxes = in.index() == 256 ? 4_500 : 24;
                List<Map<String, Object>> detections = new ArrayList<>();
                for (int b = 0; b < boxes; b++) {
                    Map<String, Object> box = new LinkedHashMap<>();
                    box.put("label", "label-" + b + "-\"quoted\"");
                    box.put("score", 0.5 + b / 100_000.0);
                    box.put("box", List.of(b, b + 1.25, b + 2.5, b + 3.75));
                    detections.add(box);
                }
                outputs.add(new Output(in.index(), Map.of("detections", detections), null, null, 1, 1));
            }
            return outputs;
        }
    };

    @Test
    void batchOf256_withLongUrlsAndLargePredictions_fitsTheQueue_andEveryItemIsDeliveredOnce() {
        String key = "photos/" + "k".repeat(1_000) + ".jpg";
        fixture.itemsBucket();
        fixture.clients.s3().putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key(key), RequestBody.fromString("x"));
        String url = "s3://" + HandlerFixture.ITEMS_BUCKET + "/" + key;
        fixture.readyModel();
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String secret = WebhookSignature.newSecret();
            receiver.secret(secret);
            fixture.webhook(receiver.url(), secret);
            fixture.job(257, HandlerFixture.WEBHOOK);
            fixture.services.jobStore().transition(HandlerFixture.JOB, Set.of(JobState.Waiting), JobState.Running,
                    "Running", null, 2);
            List<Item> items = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                items.add(new Item(i, "id-" + i, Item.IMAGE, url));
            }
            BatchProcessor processor = fixture.services.batchProcessor(DETECTIONS, true);
            List<Boolean> done = processor.process(List.of(new BatchMessage(HandlerFixture.JOB, "b0", items),
                    new BatchMessage(HandlerFixture.JOB, "b256", List.of(new Item(256, null, Item.IMAGE, url)))));
            assertEquals(List.of(true, true), done);

            List<Message> queued = receive(2);
            List<DeliveryService.Received> received = new ArrayList<>();
            for (Message m : queued) {
                assertTrue(m.body().getBytes(StandardCharsets.UTF_8).length <= BatchQueue.MAX_BODY_BYTES,
                        "body of " + m.body().length() + " characters");
                DeliveryMessage message = Json.read(m.body(), DeliveryMessage.class);
                assertNotNull(message.payloadsKey(), "too large for the queue: the payloads are in the bucket");
                assertTrue(message.posts().isEmpty());
                received.add(new DeliveryService.Received(message, m.receiptHandle(), 1));
            }
            // what today's one message per batch with the payloads in it would be: the queue refuses it
            DeliveryMessage whole = new dev.sluice.core.delivery.DeliveryPayloads(fixture.services.objects())
                    .resolve(received.get(0).message());
            assertTrue(whole.posts().size() == 256 || whole.posts().size() == 1);
            String wholeBody = Json.write(whole);
            assertTrue(wholeBody.getBytes(StandardCharsets.UTF_8).length > BatchQueue.MAX_MESSAGE_BYTES);
            assertThrows(RuntimeException.class, () -> fixture.clients.sqs().sendMessage(b -> b
                    .queueUrl(fixture.config.deliveryQueueUrl()).messageBody(wholeBody)));

            DeliveryService delivery = fixture.services.delivery();
            // as the delivery function does: deliver, delete what is done, take the next messages (an endpoint busy
            // with 16 POSTs defers the rest of a batch as a new message, without its payloads)
            List<DeliveryService.Received> pending = received;
            for (int round = 0; round < 200 && !finished(); round++) {
                List<DeliveryService.Result> results = delivery.deliver(pending);
                for (int i = 0; i < results.size(); i++) {
                    if (results.get(i) == DeliveryService.Result.DONE) {
                        String handle = pending.get(i).receiptHandle();
                        fixture.clients.sqs().deleteMessage(b -> b.queueUrl(fixture.config.deliveryQueueUrl())
                                .receiptHandle(handle));
                    }
                }
                pending = new ArrayList<>();
                for (Message m : fixture.clients.sqs().receiveMessage(b -> b.queueUrl(fixture.config.deliveryQueueUrl())
                        .maxNumberOfMessages(10).waitTimeSeconds(finished() ? 0 : 2)
                        .messageSystemAttributeNamesWithStrings("ApproximateReceiveCount")).messages()) {
                    assertTrue(m.body().getBytes(StandardCharsets.UTF_8).length <= BatchQueue.MAX_BODY_BYTES);
                    pending.add(new DeliveryService.Received(Json.read(m.body(), DeliveryMessage.class), m.receiptHandle(),
                            Integer.parseInt(m.attributesAsStrings().getOrDefault("ApproximateReceiveCount", "1"))));
                }
            }
            assertTrue(finished(), "every item delivered");
            // SQS delivers a message twice: the ledger drops the copy
            assertEquals(List.of(DeliveryService.Result.DONE, DeliveryService.Result.DONE), delivery.deliver(
                    received.stream().map(r -> new DeliveryService.Received(r.message(), r.receiptHandle(), 2)).toList()));

            Map<String, Integer> posts = new HashMap<>();
            receiver.received().forEach(r -> posts.merge(r.requestId(), 1, Integer::sum));
            assertEquals(257, posts.size(), "every item POSTed");
            assertTrue(posts.values().stream().allMatch(n -> n == 1), "each once: " + posts.values());
            assertTrue(receiver.received().stream().allMatch(WebhookReceiver.Received::verified));
            Set<Long> lines = new HashSet<>();
            for (WebhookReceiver.Received r : receiver.received()) {
                Map<?, ?> body = Json.read(r.body(), Map.class);
                Map<?, ?> item = (Map<?, ?>) body.get("item");
                assertEquals(url, item.get("url"));
                lines.add(((Number) item.get("index")).longValue());
                if (((Number) item.get("index")).longValue() == 256) {
                    assertTrue(r.body().length() > BatchQueue.MAX_MESSAGE_BYTES, "the lone large payload, whole");
                }
            }
            assertEquals(257, lines.size());
            var job = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
            assertEquals(257, job.status().items().delivered());
            assertEquals(JobState.Finished, job.status().overview());
        }
    }

    private static boolean finished() {
        return fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().overview() == JobState.Finished;
    }

    private static List<Message> receive(int n) {
        List<Message> messages = new ArrayList<>();
        for (int polls = 0; polls < 60 && messages.size() < n; polls++) {
            messages.addAll(fixture.clients.sqs().receiveMessage(b -> b.queueUrl(fixture.config.deliveryQueueUrl())
                    .maxNumberOfMessages(10).waitTimeSeconds(1)).messages());
        }
        assertEquals(n, messages.size());
        return messages;
    }
}
