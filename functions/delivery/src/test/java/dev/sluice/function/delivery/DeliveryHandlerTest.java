package dev.sluice.function.delivery;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.JobState;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.testing.Events;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalEventSource;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The delivery handler driven by events/sqs-delivery.json against a receiver that checks signatures. */
class DeliveryHandlerTest {
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
    void deliveryEvent_retriesA500ByVisibility_thenDeliversSignedWithTheSameRequestId() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String secret = WebhookSignature.newSecret();
            receiver.secret(secret);
            AtomicInteger calls = new AtomicInteger();
            receiver.respond(r -> calls.incrementAndGet() == 1 ? 503 : (r.verified() ? 204 : 401));
            fixture.webhook(receiver.url(), secret);
            fixture.job(1, HandlerFixture.WEBHOOK);
            fixture.services.jobStore().transition(HandlerFixture.JOB, java.util.Set.of(JobState.Waiting),
                    JobState.Running, "Running", null, 2);
            // the batch was predicted: its inference commit is what the delivery completes
            fixture.services.jobStore().commit(new dev.sluice.core.job.JobStore.StageCommit(HandlerFixture.JOB,
                    dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(1, 0, 1, 0, 1, 0, 0, 0, 0), java.util.List.of(), 3, null));
            // a real receipt handle, so the handler can change the message's visibility
            fixture.clients.sqs().sendMessage(b -> b.queueUrl(fixture.config.deliveryQueueUrl()).messageBody("x"));
            String receipt = fixture.clients.sqs().receiveMessage(b -> b.queueUrl(fixture.config.deliveryQueueUrl()))
                    .messages().get(0).receiptHandle();
            SQSEvent event = Events.load("sqs-delivery.json", SQSEvent.class);
            event.getRecords().get(0).setReceiptHandle(receipt);
            DeliveryHandler handler = new DeliveryHandler(fixture.services.delivery());

            SQSBatchResponse first = handler.handleRequest(event, new LocalEventSource.LocalContext(60_000));
            assertEquals(1, first.getBatchItemFailures().size(), "a 503 is retried later, not now");
            event.getRecords().get(0).getAttributes().put("ApproximateReceiveCount", "2");
            SQSBatchResponse second = handler.handleRequest(event, new LocalEventSource.LocalContext(60_000));
            assertTrue(second.getBatchItemFailures().isEmpty());

            var received = receiver.received();
            assertEquals(2, received.size());
            assertTrue(received.stream().allMatch(WebhookReceiver.Received::verified));
            assertEquals(DeliveryService.requestId(HandlerFixture.JOB, 0), received.get(0).requestId());
            assertEquals(received.get(0).requestId(), received.get(1).requestId());
            var job = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
            assertEquals(1, job.status().items().delivered());
            assertEquals(JobState.Finished, job.status().overview());
        }
    }
}
