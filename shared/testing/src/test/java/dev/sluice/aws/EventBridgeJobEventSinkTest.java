package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobEvent;
import dev.sluice.core.job.JobState;
import dev.sluice.testing.MotoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EventBridgeJobEventSink} through the AWS SDK over HTTP against moto's server (EventBridge's PutEvents, a rule
 * on the bus and an SQS target, as moto implements them; {@link MotoServer}, skipped with a message where it
 * cannot be started): the event arrives with source dev.sluice, detail-type "Sluice Job State Change"
 * and the event's JSON as detail; a bus that does not exist fails the publish instead of losing the event quietly.
 */
class EventBridgeJobEventSinkTest {
    static MotoServer moto;
    static EventBridgeClient events;
    static SqsClient sqs;

    @BeforeAll
    static void start() throws Exception {
        moto = MotoServer.start();
        events = moto.client(EventBridgeClient.builder());
        sqs = moto.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        if (events != null) {
            events.close();
            sqs.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void aJobEvent_arrivesOnTheBus_withSluicesSourceDetailTypeAndTheEventAsDetail() {
        events.createEventBus(b -> b.name("sluice-test"));
        String queueUrl = sqs.createQueue(b -> b.queueName("job-events")).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        events.putRule(b -> b.name("sluice-jobs").eventBusName("sluice-test")
                .eventPattern("{\"source\":[\"dev.sluice\"],\"detail-type\":[\"Sluice Job State Change\"]}"));
        events.putTargets(b -> b.rule("sluice-jobs").eventBusName("sluice-test")
                .targets(Target.builder().id("q").arn(queueArn).build()));

        Job.Status status = new Job.Status(JobState.Finished, "Finished", null,
                ItemCounters.predicted(3).plus(ItemCounters.delivered(3)), 3, 10);
        JobEvent.End end = new JobEvent.Completed("batchjob_1", "proj_a", 10, status,
                new JobEvent.Timings(1, 10, 9), new JobEvent.Results("results/proj_a/batchjob_1/manifest.json", 1,
                "results/proj_a/batchjob_1/errors.ndjson"));
        new EventBridgeJobEventSink(() -> events, "sluice-test").publish(end);

        List<Message> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (got.isEmpty() && System.nanoTime() < deadline) {
            got.addAll(sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1)).messages());
        }
        assertEquals(1, got.size(), "one event on the target");
        var envelope = Json.tree(got.get(0).body());
        assertEquals("dev.sluice", envelope.path("source").asText());
        assertEquals("Sluice Job State Change", envelope.path("detail-type").asText());
        var detail = envelope.path("detail");
        assertEquals("job.completed", detail.path("type").asText());
        assertEquals("batchjob_1/job.completed", detail.path("id").asText());
        assertEquals("Succeeded", detail.path("outcome").asText());
        assertEquals("proj_a", detail.path("projectId").asText());
        assertEquals(3, detail.path("status").path("items").path("delivered").asLong());
    }

    @Test
    void aBusThatDoesNotExist_failsThePublish() {
        JobEvent started = new JobEvent.Started("batchjob_2", "proj_a", 1,
                new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, 3, 1));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new EventBridgeJobEventSink(() -> events, "no-such-bus").publish(started));
        assertTrue(e.getMessage() != null, "it says why");
    }
}
