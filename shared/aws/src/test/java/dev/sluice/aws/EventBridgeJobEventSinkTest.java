package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobEvent;
import dev.sluice.core.job.JobState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EventBridgeJobEventSink} through the AWS SDK over HTTP against moto's server (EventBridge's PutEvents, a rule
 * on the bus and an SQS target, as moto implements them; started as {@code SecretsManagerStoreTest} does, skipped
 * with a message where it cannot be): the event arrives with source dev.sluice, detail-type "Sluice Job State Change"
 * and the event's JSON as detail; a bus that does not exist fails the publish instead of losing the event quietly.
 */
class EventBridgeJobEventSinkTest {
    static Process moto;
    static URI endpoint;
    static EventBridgeClient events;
    static SqsClient sqs;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try {
            moto = new ProcessBuilder("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            Assumptions.abort("python3 cannot be started: " + e.getMessage());
        }
        endpoint = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            if (!moto.isAlive()) {
                Assumptions.abort("moto's server is not installed (python3 -m pip install 'moto[server]')");
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(5000);
                if (c.getResponseCode() > 0) {
                    break;
                }
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("moto's server did not answer on " + endpoint);
                }
                Thread.sleep(100);
            }
        }
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
        events = EventBridgeClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create()).build();
        sqs = SqsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (events != null) {
            events.close();
            sqs.close();
        }
        if (moto != null) {
            moto.destroy();
            if (!moto.waitFor(30, TimeUnit.SECONDS)) {
                moto.destroyForcibly();
            }
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
