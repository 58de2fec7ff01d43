package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The done-when test of structured logs and metrics: one job on a stack of its own, then every JSON line of the run
 * and every EMF document are read back. The job's id is on every line of its batches, every line is one JSON object,
 * no secret, key or presigned URL is in any; the Items values of the EMF documents add up to the job's counters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ObservabilityEndToEndTest {
    LocalStack stack;
    SluiceClient client;
    StaticFiles images;
    LogCapture logged;
    Path metricsFile;
    final List<String> secrets = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        logged = LogCapture.install();
        metricsFile = Files.createTempFile("sluice-metrics", ".ndjson");
        System.setProperty(LocalStack.METRICS_FILE_PROPERTY, metricsFile.toString());
        Path imageDir = Files.createTempDirectory("sluice-images");
        for (String[] photo : Samples.PHOTOS) {
            Files.copy(Samples.image(photo[0]), imageDir.resolve(photo[0]));
        }
        Files.writeString(imageDir.resolve("not-an-image.jpg"), "<html>this is a web page, not a photo</html>");
        images = new StaticFiles(imageDir);
        stack = LocalStack.start(LocalStack.Options.defaults(0, null, StackUnderTest.ACCESS));
        client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
    }

    @AfterAll
    void stop() {
        System.clearProperty(LocalStack.METRICS_FILE_PROPERTY);
        if (stack != null) {
            stack.close();
        }
        if (images != null) {
            images.close();
        }
    }

    @Test
    void aJobsIdIsOnEveryLineOfItsBatches_everyLineIsJsonWithoutSecrets_andItsItemMetricsAddUpToItsCounters()
            throws Exception {
        LocalJobs jobs = new LocalJobs(client, images, LocalJobs.uploadClassifier(client), secrets::add);
        List<String> lines = jobs.photoLines(20);
        lines.add(5, "{\"kind\":\"Image\",\"url\":\"" + images.url("missing.jpg") + "\"}");       // 404: failedGather
        lines.add(9, "{\"kind\":\"Image\",\"url\":\"" + images.url("not-an-image.jpg") + "\"}");  // failedProcess
        LocalJobs.Run run = jobs.await(jobs.startJob(lines, 8, "Lambda"), Duration.ofMinutes(5));
        String jobId = run.jobId();
        assertEquals("Finished", run.job().path("status").path("overview").asText(), run.job().toString());
        // the job.completed event is the last thing the pipeline does for a job: after it, nothing more is counted
        long deadline = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
        while (run.completionEvents().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(1, run.completionEvents().size());
        ItemCounters counters = jobs.await(run, Duration.ofMinutes(1)).counters();
        assertEquals(1, counters.failedGather(), counters.toString());
        assertEquals(1, counters.failedProcess(), counters.toString());
        assertEquals(20, counters.delivered(), counters.toString());

        // logs: every line one JSON object with the fixed keys; every line of a batch names the job and its project
        secrets.add(stack.apiKey);
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : logged.lines()) {
            JsonNode node = Json.tree(line);
            assertTrue(node.isObject(), line);
            for (String key : List.of("time", "level", "service", "message")) {
                assertTrue(node.path(key).isTextual(), key + " in " + line);
            }
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "a secret reached the log: " + line);
            }
            assertFalse(line.contains("X-Amz-Signature") || line.contains("X-Amz-Credential"), "a presigned URL: " + line);
            parsed.add(node);
        }
        Set<String> batchesDone = new HashSet<>();
        for (JsonNode line : parsed) {
            if (line.has("batch_id")) {
                assertEquals(jobId, line.path("job_id").asText(), "a line of one of its batches: " + line);
                assertEquals(stack.projectId, line.path("project_id").asText(), line.toString());
                if (line.path("message").asText().startsWith("batch done")) {
                    batchesDone.add(line.get("batch_id").asText());
                }
            }
        }
        long batches = run.job().path("status").path("progress").path("batchesDone").asLong();
        assertEquals(3, batches, "22 lines in batches of 8");
        assertEquals(batches, batchesDone.size(), "one 'batch done' line per batch, with its ids");
        for (String lifecycle : List.of("job created", "job started", "job finished")) {
            assertTrue(parsed.stream().anyMatch(l -> l.path("message").asText().startsWith(lifecycle)
                    && jobId.equals(l.path("job_id").asText())), lifecycle + " with the job's id");
        }
        assertTrue(parsed.stream().anyMatch(l -> l.path("message").asText().matches("POST \\S*/batch/jobs -> 201")
                && l.path("request_id").isTextual() && stack.projectId.equals(l.path("project_id").asText())
                && "api".equals(l.path("service").asText())),
                "the request line of the job's creation, with its request id, its project and its function");
        // each line names the function that wrote it, as on Lambda (one process runs them all here)
        for (JsonNode line : parsed) {
            String message = line.path("message").asText();
            if (message.startsWith("batch done")) {
                assertEquals("inference", line.path("service").asText(), line.toString());
            } else if (message.startsWith("job created")) {
                assertEquals("api", line.path("service").asText(), line.toString());
            }
        }
        Set<String> services = new HashSet<>();
        parsed.forEach(l -> services.add(l.path("service").asText()));
        assertTrue(services.containsAll(List.of("api", "fanout", "inference", "delivery")), services.toString());
        // a path whose route takes other methods is logged by that route's template (405), with the caller's project
        int before = logged.lines().size();
        var wrongMethod = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(stack.apiUrl() + "/v1/projects/" + stack.projectId + "/api-keys/apikey_x"))
                .header("Authorization", "Bearer " + stack.apiKey).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(405, wrongMethod.statusCode());
        JsonNode line405 = logged.lines().subList(before, logged.lines().size()).stream().map(Json::tree)
                .filter(l -> l.path("message").asText().startsWith("GET ")).findFirst().orElseThrow();
        assertEquals("GET /v1/projects/{projectId}/api-keys/{keyId} -> 405", line405.path("message").asText());
        assertEquals(stack.projectId, line405.path("project_id").asText(), line405.toString());

        // metrics: every EMF document valid; the Items values per outcome add up to the job's counters
        Map<String, Double> items = new HashMap<>();
        double webhook2xx = 0;
        int latencies = 0;
        for (String line : Files.readAllLines(metricsFile, StandardCharsets.UTF_8)) {
            JsonNode doc = Json.tree(line);
            JsonNode directive = doc.at("/_aws/CloudWatchMetrics/0");
            assertTrue(doc.at("/_aws/Timestamp").isIntegralNumber(), line);
            assertEquals("Sluice", directive.path("Namespace").asText(), line);
            for (JsonNode name : directive.path("Dimensions").path(0)) {
                assertTrue(doc.path(name.asText()).isTextual(), name + " in " + line);
                assertFalse(doc.path(name.asText()).asText().contains(jobId), "no id is a dimension: " + line);
            }
            for (JsonNode metric : directive.path("Metrics")) {
                assertTrue(doc.path(metric.path("Name").asText()).isNumber(), line);
            }
            if (doc.has("Items")) {
                items.merge(doc.get("Outcome").asText(), doc.get("Items").asDouble(), Double::sum);
            }
            if ("2xx".equals(doc.path("AnswerClass").asText())) {
                webhook2xx += doc.get("WebhookAnswers").asDouble();
            }
            latencies += doc.has("BatchLatency") ? 1 : 0;
        }
        Map<String, Double> expected = new HashMap<>();
        long[] c = {counters.gathered(), counters.failedGather(), counters.preprocessed(), counters.failedProcess(),
                counters.predicted(), counters.failedPredict(), counters.delivered(), counters.failedDeliver(), counters.skipped()};
        String[] names = {"gathered", "failedGather", "preprocessed", "failedProcess", "predicted", "failedPredict",
                "delivered", "failedDeliver", "skipped"};
        for (int i = 0; i < c.length; i++) {
            if (c[i] != 0) {
                expected.put(names[i], (double) c[i]);
            }
        }
        assertEquals(expected, items, "the EMF Items per outcome are the job's counters");
        assertTrue(webhook2xx >= counters.delivered() + 1, "a 2xx answer for every delivered item and the job.completed event");
        assertEquals(batches, latencies, "one BatchLatency per batch");
    }
}
