package dev.sluice.cli;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StageWrapper;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Poison messages: a message that fails on every attempt reaches its DLQ after maxReceiveCount receives, the
 * scheduler accounts its items (failed, with a reason) so the job still ends, `sluice dlq list` shows it, and a
 * redrive runs exactly those lines again in a new job.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeadLetterTest {
    /** Messages whose body contains one of these fail on every attempt, alone (their neighbours succeed). */
    final Set<String> poison = ConcurrentHashMap.newKeySet();
    StackUnderTest under;
    LocalStack stack;
    SluiceClient client;
    StaticFiles images;
    LocalJobs jobs;
    String modelId;

    @BeforeAll
    void start() {
        // visibility 3 s and 3 receives: a poison message reaches its DLQ in about 10 s
        under = new StackUnderTest(Samples.root().resolve("images"), new LocalProvisioner.QueueSettings(3, 3, 3, 3, 3),
                new StageWrapper() {
                    @Override
                    public RequestHandler<SQSEvent, SQSBatchResponse> wrap(Stage stage, RequestHandler<SQSEvent, SQSBatchResponse> h) {
                        return failingAlone(h, body -> poison.stream().anyMatch(body::contains));
                    }
                }, true);
        stack = under.stack;
        client = under.client;
        images = under.images;
        jobs = under.jobs;
        modelId = under.modelId;
    }

    @AfterAll
    void stop() {
        if (under != null) {
            under.close();
        }
    }

    /** Hands the healthy messages to the handler and reports the poisoned ones as batch item failures. */
    static RequestHandler<SQSEvent, SQSBatchResponse> failingAlone(RequestHandler<SQSEvent, SQSBatchResponse> real,
                                                                 Predicate<String> poisoned) {
        return (event, context) -> {
            List<SQSEvent.SQSMessage> healthy = new ArrayList<>();
            List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
            for (SQSEvent.SQSMessage m : event.getRecords()) {
                if (poisoned.test(m.getBody())) {
                    failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
                } else {
                    healthy.add(m);
                }
            }
            if (!healthy.isEmpty()) {
                SQSEvent rest = new SQSEvent();
                rest.setRecords(healthy);
                SQSBatchResponse response = real.handleRequest(rest, context);
                if (response != null && response.getBatchItemFailures() != null) {
                    failures.addAll(response.getBatchItemFailures());
                }
            }
            return new SQSBatchResponse(failures);
        };
    }

    @Test
    void poisonInferenceBatch_isAccountedFromItsDlq_listed_andRedrivenOnce() {
        List<String> lines = jobs.photoLines(12);
        lines.set(5, Json.write(Map.of("kind", "Image", "url", images.url("goldfish.jpg"), "id", "poison-inference")));
        poison.add("poison-inference");
        LocalJobs.Run run = jobs.runJob(lines, 4, "Lambda");
        assertEquals("Finished", run.job().path("status").path("overview").asText(), run.job().toString());
        ItemCounters c = run.counters();
        assertNull(c.violation(12), c.toString());
        assertEquals(4, c.failedPredict(), "the poisoned batch b1 (lines 4..7) failed: " + c);
        assertEquals(8, c.delivered(), c.toString());
        JsonNode errors = client.logs(run.jobId(), "minLevel=Error").get("entries");
        assertEquals(4, errors.size());
        errors.forEach(e -> assertTrue(e.path("reason").asText().startsWith("inference.dead_lettered: "), e.toString()));

        JsonNode letter = letterOf(run.jobId());
        assertEquals("INFERENCE", letter.path("queue").asText());
        assertEquals("b1", letter.path("batchId").asText());
        assertEquals(List.of(4L, 5L, 6L, 7L), longs(letter.path("lines")));
        String table = cli("dlq", "list");
        assertTrue(table.contains(letter.path("id").asText()) && table.contains("INFERENCE"), table);

        poison.remove("poison-inference");
        assertEquals(letter.path("id").asText(), OneDocument.parse(cli("dlq", "get", letter.path("id").asText(), "--output", "json"))
                .path("id").asText());
        String redriven = OneDocument.parse(cli("dlq", "redrive", letter.path("id").asText(), "--output", "json")).path("id").asText();
        JsonNode again = client.waitFor(() -> client.job(redriven), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals(run.jobId(), again.path("spec").path("retryOf").asText());
        assertEquals(4, again.path("status").path("itemCount").asLong());
        assertEquals(4, again.path("status").path("items").path("delivered").asLong(), again.toString());
        assertEquals(redriven, client.deadLetter(letter.path("id").asText()).path("redriveJobId").asText());
        SluiceClient.ApiException twice = assertThrows(SluiceClient.ApiException.class,
                () -> client.redrive(letter.path("id").asText()));
        assertEquals("dead_letter.already_redriven", twice.code);
    }

    @Test
    void poisonDeliveryBatch_failsItsUnsettledItems_andTheJobEnds() {
        WebhookReceiver receiver = new WebhookReceiver();
        JsonNode webhook = client.createWebhook("poisoned", receiver.url(), 10, 1000);
        receiver.secret(webhook.get("secret").asText());
        String webhookId = webhook.get("id").asText();
        poison.add(webhookId);
        try {
            String datasetId = jobs.readyDataset(jobs.photoLines(8));
            String jobId = client.createJob("poisoned-delivery", datasetId, modelId, "Lambda", webhookId, 4).get("id").asText();
            JsonNode done = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
            assertEquals("Finished", done.path("status").path("overview").asText(), done.toString());
            ItemCounters c = Json.MAPPER.convertValue(done.path("status").path("items"), ItemCounters.class);
            assertNull(c.violation(8), c.toString());
            assertEquals(8, c.failedDeliver(), c.toString());
            JsonNode letter = letterOf(jobId);
            assertEquals("DELIVERY", letter.path("queue").asText());
            assertEquals(4, letter.path("lines").size());
        } finally {
            poison.remove(webhookId);
            receiver.close();
        }
    }

    @Test
    void poisonFanOut_failsTheJob_andCountsItsLinesSkipped() {
        String datasetId = jobs.readyDataset(jobs.photoLines(6));
        // every fan-out message is poisoned before the job exists (the tests of this class run one at a time, and
        // the dataset's validation is done): no race between the job's first fan-out and the test (it raced a
        // startAtTime 1.5 s ahead before, which a busy machine could lose)
        String fanOut = "\"type\":\"" + dev.sluice.core.pipeline.FanoutMessage.FAN_OUT + "\"";
        poison.add(fanOut);
        try {
            JsonNode job = client.post("/batch/jobs", Map.of("name", "poisoned-fanout", "spec", Map.of("datasetId", datasetId,
                    "deployment", Map.of("modelId", modelId))));
            String id = job.get("id").asText();
            JsonNode done = client.waitFor(() -> client.job(id), Duration.ofMinutes(5), "Waiting", "Running");
            assertEquals("Failed", done.path("status").path("overview").asText(), done.toString());
            assertTrue(done.path("status").path("reason").asText().startsWith("fanout.dead_lettered: "), done.toString());
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            ItemCounters c;
            do {
                c = Json.MAPPER.convertValue(client.job(id).path("status").path("items"), ItemCounters.class);
            } while (c.skipped() < 6 && System.currentTimeMillis() < deadline && sleep());
            assertNull(c.violation(6), c.toString());
            assertEquals(6, c.skipped());
            JsonNode letter = letterOf(id);
            assertEquals("FANOUT", letter.path("queue").asText());
            assertEquals(0, letter.path("fromLine").asLong());
        } finally {
            poison.remove(fanOut);
        }
    }

    /** A cap on waiting for a condition (never an expectation of speed: a busy machine may take long). */
    static final long WAIT_MILLIS = 120_000;

    static boolean sleep() {
        SluiceClient.sleep(200);
        return true;
    }

    JsonNode letterOf(String jobId) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (true) {
            for (JsonNode letter : client.deadLetters(100, null).get("data")) {
                if (jobId.equals(letter.path("jobId").asText())) {
                    return letter;
                }
            }
            assertTrue(System.currentTimeMillis() < deadline, "no dead letter for job " + jobId);
            SluiceClient.sleep(200);
        }
    }

    static List<Long> longs(JsonNode array) {
        List<Long> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asLong()));
        return values;
    }

    String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api", stack.apiUrl(), "--project", stack.projectId, "--key", stack.apiKey));
        int code = Main.client(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
