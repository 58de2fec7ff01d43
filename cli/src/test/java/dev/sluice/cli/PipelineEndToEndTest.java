package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.sluice.cli.LocalJobs.Run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline end to end on the emulators, driven over the REST API of a local stack exactly as a user drives it:
 * upload model and dataset through their upload URLs, create webhook and job, poll the job.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineEndToEndTest {
    enum Fault { NONE, DUPLICATE_EVERY_BATCH, CRASH_AFTER_PROCESSING }

    static volatile Fault fault = Fault.NONE;
    static final Set<String> seenBodies = ConcurrentHashMap.newKeySet();

    LocalStack stack;
    SluiceClient client;
    StaticFiles images;
    Path imageDir;
    RequestCounter counter = new RequestCounter();
    String modelId;
    LocalJobs jobs;

    /** Every log line of the run (the JSON lines of `sluice local --log-format json`), to check that no secret reaches a log. */
    LogCapture logged;
    final List<String> secrets = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void start() throws Exception {
        logged = LogCapture.install();
        System.setProperty("sluice.local.schedulerPeriodMillis", "500");
        imageDir = Files.createTempDirectory("sluice-images");
        for (String[] photo : Samples.PHOTOS) {
            Files.copy(Samples.image(photo[0]), imageDir.resolve(photo[0]));
        }
        Files.writeString(imageDir.resolve("not-an-image.jpg"), "<html>this is a web page, not a photo</html>");
        byte[] goldfish = Samples.bytes(Samples.image("goldfish.jpg"));
        Files.write(imageDir.resolve("truncated.jpg"), java.util.Arrays.copyOf(goldfish, goldfish.length / 2));
        images = new StaticFiles(imageDir);
        // Short visibility so that redelivered batches come back within seconds.
        LocalProvisioner.QueueSettings queues = new LocalProvisioner.QueueSettings(5, 5, 5, 5, 16);
        stack = LocalStack.start(new LocalStack.Options(0, null, queues, List.of(counter), new dev.sluice.local.StageWrapper() {
            @Override
            public RequestHandler<SQSEvent, SQSBatchResponse> wrap(Stage stage, RequestHandler<SQSEvent, SQSBatchResponse> handler) {
                return stage == Stage.INFERENCE ? faulty(handler) : handler;
            }
        }, StackUnderTest.ACCESS));
        client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        modelId = LocalJobs.uploadClassifier(client);
        jobs = new LocalJobs(client, images, modelId, secrets::add);
        assertEquals("Ready", client.waitFor(() -> client.model(modelId), Duration.ofMinutes(5), "Uploading")
                .path("status").path("overview").asText());
    }

    @AfterAll
    void stop() {
        secrets.add(stack.apiKey);
        List<String> lines = logged.lines();
        assertTrue(lines.size() > 0, "the run logged something");
        for (String line : lines) {
            assertTrue(Json.tree(line).isObject(), "one JSON object per line: " + line);
            for (String secret : secrets) {
                assertTrue(!line.contains(secret), "a secret reached the log: " + line);
            }
            assertTrue(!line.contains("X-Amz-Signature") && !line.contains("X-Amz-Credential"), "a presigned URL reached the log: " + line);
        }
        if (stack != null) {
            stack.close();
        }
        if (images != null) {
            images.close();
        }
    }

    /** Wraps the inference handler to inject the faults the tests ask for. */
    static RequestHandler<SQSEvent, SQSBatchResponse> faulty(RequestHandler<SQSEvent, SQSBatchResponse> real) {
        return (event, context) -> {
            Fault mode = fault;
            boolean firstTime = event.getRecords().stream().allMatch(r -> seenBodies.add(r.getBody()));
            if (mode == Fault.DUPLICATE_EVERY_BATCH && firstTime) {
                // SQS delivers at least once: the same batch arrives again, here and now.
                SQSBatchResponse first = real.handleRequest(event, context);
                SQSBatchResponse second = real.handleRequest(event, context);
                assertEquals(first.getBatchItemFailures(), second.getBatchItemFailures());
                return first;
            }
            SQSBatchResponse response = real.handleRequest(event, context);
            if (mode == Fault.CRASH_AFTER_PROCESSING && firstTime) {
                throw new IllegalStateException("injected: the function died after predicting, before acknowledging");
            }
            return response;
        };
    }

    Run runJob(List<String> lines, Integer batchSize) {
        return jobs.runJob(lines, batchSize, "Lambda");
    }

    Run runJob(List<String> lines, Integer batchSize, String target) {
        return jobs.runJob(lines, batchSize, target);
    }

    List<String> photoLines(int count) {
        return jobs.photoLines(count);
    }

    @Test
    void mixedDataset_everyLineEndsInExactlyOneTerminalState() {
        fault = Fault.NONE;
        List<String> lines = photoLines(200);
        lines.add(17, "{\"kind\":\"Image\",\"url\":");                                      // malformed JSON
        lines.add(60, "{\"kind\":\"Video\",\"url\":\"" + images.url("coffee.png") + "\"}");  // unknown kind
        lines.add(99, "{\"kind\":\"Image\",\"url\":\"http://127.0.0.1:1/photo.jpg\"}");       // unreachable
        lines.add(120, "{\"kind\":\"Image\",\"url\":\"" + images.url("missing.jpg") + "\"}"); // 404
        lines.add(150, "{\"kind\":\"Image\",\"url\":\"" + images.url("not-an-image.jpg") + "\"}");
        lines.add(201, "{\"kind\":\"Image\",\"url\":\"" + images.url("truncated.jpg") + "\"}");
        Run run = runJob(lines, null);
        ItemCounters c = run.counters();
        String jobId = run.job().get("id").asText();
        assertEquals("Finished", run.job().path("status").path("overview").asText(), run.job().toString());
        assertNull(c.violation(lines.size()), c.toString());
        assertEquals(4, c.failedGather(), c.toString());
        assertEquals(2, c.failedProcess(), c.toString());
        assertEquals(200, c.delivered(), c.toString());
        JsonNode progress = run.job().path("status").path("progress");
        int batch = dev.sluice.core.job.JobSpec.DEFAULT_BATCH_SIZE;
        assertEquals((206 + batch - 1) / batch, progress.path("batchesDone").asLong(), "206 lines in batches of " + batch
                + " (the default): " + progress);
        assertEquals(0, progress.path("batchesQueued").asLong());
        assertTrue(progress.path("averageBatchMs").asDouble() > 0 && progress.path("itemsPerSecond").asDouble() > 0,
                progress.toString());

        // every item POSTed, with labels that are right for each photo. POSTs are at least once (README "Webhook
        // deliveries"): a delivery message whose invocation outlives the queue's visibility timeout (20 s in the tests,
        // where a loaded machine can take that long over a message of 128 POSTs; on AWS 360 s against the function's
        // 60 s, so only after an invocation was killed) is received again and its unsettled items are POSTed again,
        // each with the same request id and body, which receivers dedupe by. So this counts distinct request ids, and
        // checks that a repeated POST is the same delivery; delivered exactly once is the counter above (200), one
        // ItemDelivered log entry per item and one result line per item below.
        List<WebhookReceiver.Received> posts = run.itemPosts();
        Map<String, List<WebhookReceiver.Received>> byRequest = posts.stream()
                .collect(java.util.stream.Collectors.groupingBy(WebhookReceiver.Received::requestId));
        assertEquals(200, byRequest.size(), "one request id per item");
        byRequest.forEach((id, same) -> assertEquals(1, same.stream().map(WebhookReceiver.Received::body).distinct().count(),
                "a POST made again is the same delivery: " + id));
        if (posts.size() > 200) {
            System.out.println("mixedDataset: " + (posts.size() - 200) + " POSTs made again (same request id and body)");
        }
        assertTrue(posts.stream().allMatch(WebhookReceiver.Received::verified), "every signature verifies");
        Map<String, String> expected = new java.util.HashMap<>();
        Samples.PHOTOS.forEach(p -> expected.put(images.url(p[0]), p[1]));
        for (WebhookReceiver.Received post : posts) {
            JsonNode body = Json.tree(post.body());
            assertEquals(jobId, body.get("jobId").asText());
            assertEquals(expected.get(body.path("item").path("url").asText()),
                    body.path("prediction").path("classes").path(0).path("label").asText());
        }

        // one result line per successful item, in the batch parts on S3
        var s3 = stack.clients.s3();
        String bucket = stack.services.config().bucket();
        Set<Long> resultIndices = new HashSet<>();
        for (var object : s3.listObjectsV2Paginator(b -> b.bucket(bucket)
                .prefix(dev.sluice.core.ObjectKeys.resultsParts(stack.projectId, jobId))).contents()) {
            String part = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asUtf8String();
            for (String line : part.split("\n")) {
                assertTrue(resultIndices.add(Json.tree(line).path("item").path("index").asLong()), "duplicate result line");
            }
        }
        assertEquals(200, resultIndices.size());

        // a log entry with a reason for every failure
        JsonNode errors = client.logs(jobId, "minLevel=Error").get("entries");
        assertEquals(6, errors.size(), errors.toString());
        Set<Long> failedLines = new HashSet<>();
        for (JsonNode e : errors) {
            assertTrue(e.path("reason").asText().length() > 10, e.toString());
            failedLines.add(e.path("index").asLong());
        }
        assertEquals(Set.of(17L, 60L, 99L, 120L, 150L, 201L), failedLines);

        // retry: a new job over exactly the 6 lines that did not deliver, linked to this one
        JsonNode retry = client.post("/batch/jobs/" + jobId + ":retry", Map.of());
        assertEquals(jobId, retry.path("spec").path("retryOf").asText());
        assertEquals(6, retry.path("status").path("itemCount").asLong());
        JsonNode retried = client.waitFor(() -> client.job(retry.get("id").asText()), Duration.ofMinutes(5), "Waiting", "Running");
        ItemCounters rc = Json.MAPPER.convertValue(retried.path("status").path("items"), ItemCounters.class);
        assertEquals(4, rc.failedGather(), rc.toString());
        assertEquals(2, rc.failedProcess(), rc.toString());

        // one signed job.completed event, and the manifest, parts and errors file it points to
        long deadline = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
        while (run.completionEvents().isEmpty() && System.currentTimeMillis() < deadline) {
            SluiceClient.sleep(100);
        }
        List<WebhookReceiver.Received> events = run.completionEvents();
        assertEquals(1, events.stream().map(WebhookReceiver.Received::requestId).distinct().count());
        assertTrue(events.get(0).verified());
        JsonNode event = Json.tree(events.get(0).body());
        assertEquals("Finished", event.path("status").path("overview").asText());
        assertEquals(200, event.path("status").path("items").path("delivered").asLong());
        JsonNode results = LocalJobs.results(client, jobId);
        JsonNode manifest = Json.tree(LocalJobs.httpGet(results.path("manifest").path("url").asText()));
        assertEquals(jobId, manifest.get("jobId").asText());
        assertEquals(6, manifest.path("errors").path("count").asLong());
        long resultLines = 0;
        for (JsonNode part : results.get("parts")) {
            resultLines += LocalJobs.httpGet(part.path("url").asText()).lines().count();
        }
        assertEquals(200, resultLines, "the manifest's parts hold one line per delivered item");
        assertEquals(6, LocalJobs.httpGet(results.path("errors").path("url").asText()).lines().count());
        // the same entries, four at a time, through the cursor
        JsonNode first = client.logs(jobId, "minLevel=Error&maxEntries=4");
        assertEquals(4, first.get("entries").size());
        JsonNode second = client.logs(jobId, "minLevel=Error&maxEntries=4&page=" + first.get("nextPage").asText());
        assertEquals(2, second.get("entries").size());
        assertTrue(second.path("nextPage").isMissingNode() || second.get("nextPage").isNull());
        // every item entry of the job in pages of 250: one entry per item and stage it ended (predicted and delivered
        // for each of the 200 delivered items) and the 6 failures: 406 (the job.completed event's delivery, when it
        // has happened, adds one JobEventDelivered entry)
        JsonNode page1 = client.logs(jobId, "maxEntries=250");
        assertEquals(250, page1.get("entries").size());
        JsonNode page2 = client.logs(jobId, "maxEntries=250&page=" + page1.get("nextPage").asText());
        long itemEntries = java.util.stream.Stream.of(page1, page2).flatMap(p -> java.util.stream.StreamSupport
                .stream(p.get("entries").spliterator(), false)).filter(e -> e.get("kind").asText().startsWith("Item")).count();
        assertEquals(406, itemEntries);
        Set<String> ids = new HashSet<>();
        page1.get("entries").forEach(e -> ids.add(e.get("id").asText()));
        page2.get("entries").forEach(e -> assertTrue(ids.add(e.get("id").asText()), "no entry twice"));
    }

    @Test
    void batchDeliveredTwice_isCountedOnce() {
        fault = Fault.DUPLICATE_EVERY_BATCH;
        try {
            Run run = runJob(photoLines(48), 8);
            assertEquals("Finished", run.job().path("status").path("overview").asText());
            ItemCounters c = run.counters();
            assertNull(c.violation(48), c.toString());
            assertEquals(48, c.gathered());
            assertEquals(48, c.delivered());
            assertEquals(48, run.itemPosts().stream().map(WebhookReceiver.Received::requestId).distinct().count());
        } finally {
            fault = Fault.NONE;
        }
    }

    @Test
    void handlerDiesAfterPredictingBeforeAcknowledging_countersStayExact() {
        fault = Fault.CRASH_AFTER_PROCESSING;
        try {
            Run run = runJob(photoLines(40), 8);
            assertEquals("Finished", run.job().path("status").path("overview").asText());
            ItemCounters c = run.counters();
            assertNull(c.violation(40), c.toString());
            assertEquals(40, c.predicted());
            assertEquals(40, c.delivered());
            // a receiver may see a retry, always with the same request id: 40 distinct ids
            assertEquals(40, run.itemPosts().stream().map(WebhookReceiver.Received::requestId).distinct().count());
        } finally {
            fault = Fault.NONE;
        }
    }

    @Test
    void job_of320Items_makesDynamoAndSqsRequestsPerBatchNotPerItem() {
        fault = Fault.NONE;
        List<String> lines = photoLines(320);
        Map<String, Long> before = counter.snapshot();
        Run run = runJob(lines, 32);
        Map<String, Long> used = RequestCounter.diff(counter.snapshot(), before);
        assertEquals("Finished", run.job().path("status").path("overview").asText());
        long dynamoWrites = used.entrySet().stream()
                .filter(e -> e.getKey().startsWith("DynamoDb:") && RequestCounter.DYNAMO_WRITES.contains(e.getKey().substring(9)))
                .mapToLong(Map.Entry::getValue).sum();
        long sqsSends = used.entrySet().stream().filter(e -> e.getKey().matches("Sqs:(SendMessage|SendMessageBatch)"))
                .mapToLong(Map.Entry::getValue).sum();
        System.out.println("requests for a 320-item job (all stages, incl. dataset and webhook setup): " + used);
        assertTrue(dynamoWrites <= 320 / 8, "DynamoDB writes " + dynamoWrites + ": " + used);
        assertTrue(sqsSends <= 320 / 8, "SQS sends " + sqsSends + ": " + used);
    }

    @Test
    void deployment_bindsModelTargetAndBatchSize_andAJobNamesIt() throws Exception {
        JsonNode deployment = client.post("/deployments", Map.of("name", "gpu-8", "modelId", modelId,
                "target", "GpuPool", "batchSize", 8, "maxConcurrency", 2));
        String deploymentId = deployment.get("id").asText();
        assertTrue(deploymentId.startsWith("deploy_"));
        String datasetId = readyDataset(photoLines(16));
        JsonNode job = client.post("/batch/jobs", Map.of("name", "via-deployment", "spec", Map.of("datasetId", datasetId,
                "deployment", Map.of("deploymentId", deploymentId))));
        assertEquals("GpuPool", job.path("spec").path("deployment").path("target").asText());
        assertEquals(modelId, job.path("spec").path("deployment").path("modelId").asText());
        assertEquals(8, job.path("spec").path("batchSize").asInt());
        String jobId = job.get("id").asText();
        JsonNode done = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals("Finished", done.path("status").path("overview").asText());
        assertEquals(2, done.path("status").path("progress").path("batchesDone").asLong());
        assertEquals(1, client.get("/deployments?limit=10").get("data").size());
        client.delete("/deployments/" + deploymentId);
        assertEquals(404, org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                () -> client.get("/deployments/" + deploymentId)).status);
    }

    @Test
    void lambdaAndGpuPoolTargets_giveIdenticalPredictionsAndCounters() {
        fault = Fault.NONE;
        List<String> lines = photoLines(40);
        lines.add(5, "{\"kind\":\"Image\",\"url\":\"" + images.url("not-an-image.jpg") + "\"}");
        Run lambda = runJob(lines, 8, "Lambda");
        Run gpu = runJob(lines, 8, "GpuPool");
        assertEquals("Finished", gpu.job().path("status").path("overview").asText());
        assertEquals(lambda.counters(), gpu.counters());
        assertEquals(predictionsByIndex(lambda), predictionsByIndex(gpu));
    }

    static Map<Long, String> predictionsByIndex(Run run) {
        Map<Long, String> byIndex = new java.util.TreeMap<>();
        for (WebhookReceiver.Received post : run.itemPosts()) {
            JsonNode body = Json.tree(post.body());
            byIndex.put(body.path("item").path("index").asLong(), body.path("prediction").toString());
        }
        return byIndex;
    }

    String readyDataset(List<String> lines) {
        return jobs.readyDataset(lines);
    }

    /** Waits until every item of an ended job is accounted for (batches still queued drain as skipped). */
    ItemCounters awaitAccounted(String jobId, long itemCount) throws InterruptedException {
        long deadline = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
        ItemCounters c;
        do {
            Thread.sleep(200);
            c = Json.MAPPER.convertValue(client.job(jobId).path("status").path("items"), ItemCounters.class);
        } while (c.terminal() < itemCount && System.currentTimeMillis() < deadline);
        return c;
    }

    JsonNode createTimedJob(String datasetId, Long startAtTime, Long stopAtTime, int batchSize) {
        Map<String, Object> spec = new java.util.HashMap<>(Map.of("datasetId", datasetId,
                "deployment", Map.of("modelId", modelId), "batchSize", batchSize));
        if (startAtTime != null) {
            spec.put("startAtTime", startAtTime);
        }
        if (stopAtTime != null) {
            spec.put("stopAtTime", stopAtTime);
        }
        return client.post("/batch/jobs", Map.of("name", "timed", "spec", spec));
    }

    @Test
    void stopAtTimePassingMidRun_endsTheJobTimedOut_withSkippedItems_andTheInvariantIntact() throws Exception {
        fault = Fault.NONE;
        int n = 800;
        String datasetId = readyDataset(photoLines(n));
        String jobId = createTimedJob(datasetId, null, System.currentTimeMillis() + 2_000, 8).get("id").asText();
        JsonNode job = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals("TimedOut", job.path("status").path("overview").asText(), job.toString());
        assertTrue(job.path("status").path("reason").asText().startsWith("job.timed_out"));
        // batches already in the queues drain as skipped; then every item is accounted for
        ItemCounters c = awaitAccounted(jobId, n);
        assertTrue(c.skipped() > 0, c.toString());
        assertNull(c.violation(n), c.toString());
        assertEquals("TimedOut", client.job(jobId).path("status").path("overview").asText(), "a terminal job never leaves its state");
    }

    @Test
    void cancelledJob_isCancelledAtOnce_skipsWhatHadNotStarted_andCannotBeCancelledTwice() throws Exception {
        fault = Fault.NONE;
        int n = 800;
        String datasetId = readyDataset(photoLines(n));
        String jobId = createTimedJob(datasetId, null, null, 8).get("id").asText();
        // wait for the first items to be done (then the job has a rate and an estimate), not for a fixed time
        long deadline = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
        long asked;
        JsonNode job;
        do {
            Thread.sleep(50);
            asked = System.currentTimeMillis();
            job = client.job(jobId);
        } while (!job.path("status").path("progress").hasNonNull("estimatedCompletionTime") && asked < deadline);
        JsonNode running = job.path("status").path("progress");
        assertEquals("Running", job.path("status").path("overview").asText(), job.toString());
        assertTrue(running.path("batchesQueued").asLong() > 0, "batches wait in the queue: " + running);
        assertTrue(running.path("estimatedCompletionTime").asLong() >= asked, "the estimate is not in the past: " + running);
        JsonNode cancelled = client.cancel(jobId);
        assertEquals("Cancelled", cancelled.path("status").path("overview").asText());
        ItemCounters c = awaitAccounted(jobId, n);
        assertTrue(c.skipped() > 0, c.toString());
        assertNull(c.violation(n), c.toString());
        assertEquals("Cancelled", client.job(jobId).path("status").path("overview").asText());
        SluiceClient.ApiException again = org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                () -> client.cancel(jobId));
        assertEquals(409, again.status);
        assertEquals("job.already_terminal", again.code);
    }

    @Test
    void webhookManagement_test_rotate_update_delete() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            JsonNode created = client.createWebhook("managed", receiver.url(), 3, 2000);
            String id = created.get("id").asText();
            String first = created.get("secret").asText();
            receiver.secret(first);
            JsonNode ok = client.post("/batch/webhooks/" + id + ":test", Map.of());
            assertEquals("Delivered", ok.get("status").asText(), ok.toString());
            assertEquals(204, ok.get("responseCode").asInt());
            assertEquals(1, ok.get("attemptCount").asInt());

            JsonNode rotated = client.put("/batch/webhooks/" + id + "/secret", Map.of());
            String second = rotated.get("secret").asText();
            assertTrue(!second.equals(first), "a new secret");
            JsonNode refused = client.post("/batch/webhooks/" + id + ":test", Map.of());
            assertEquals(401, refused.get("responseCode").asInt(), "signed with the new secret, which the receiver does not know yet");
            receiver.secret(second);
            assertEquals("Delivered", client.post("/batch/webhooks/" + id + ":test", Map.of()).get("status").asText());

            receiver.respond(r -> 503);
            JsonNode down = client.post("/batch/webhooks/" + id + ":test", Map.of());
            assertEquals("Failed", down.get("status").asText());
            assertEquals(3, down.get("attemptCount").asInt(), "retriable answers are retried");

            JsonNode updated = client.put("/batch/webhooks/" + id, Map.of("spec", Map.of("retries",
                    Map.of("maxRetries", 7, "maxBackoffMs", 5000))));
            assertEquals(7, updated.path("spec").path("retries").path("maxRetries").asInt());
            assertEquals(receiver.url(), updated.path("spec").path("endpoint").asText(), "what is not given stays");
            assertTrue(client.get("/batch/webhooks/" + id).path("secret").isMissingNode(), "the secret is never read back");

            client.delete("/batch/webhooks/" + id);
            JsonNode spare = client.createModel("spare", List.of("a", "b"));
            client.delete("/models/" + spare.get("id").asText());
            assertEquals(404, org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                    () -> client.model(spare.get("id").asText())).status);
            assertEquals(404, org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                    () -> client.get("/batch/webhooks/" + id)).status);
        }
    }

    @Test
    void startAtTimeInTheFuture_keepsTheJobWaitingUntilThen() throws Exception {
        fault = Fault.NONE;
        String datasetId = readyDataset(photoLines(4));
        long startAt = System.currentTimeMillis() + 3_000;
        String jobId = createTimedJob(datasetId, startAt, null, 8).get("id").asText();
        // every read made before startAtTime sees Waiting (however long the machine takes to answer), and the job
        // starts running no sooner than startAtTime: conditions on the clock, not a fixed sleep
        int readsBefore = 0;
        while (true) {
            JsonNode job = client.job(jobId);
            long readAt = System.currentTimeMillis();
            if (readAt >= startAt) {
                break;
            }
            assertEquals("Waiting", job.path("status").path("overview").asText(), job.toString());
            readsBefore++;
            Thread.sleep(100);
        }
        assertTrue(readsBefore > 0, "the job was read before its startAtTime at least once");
        JsonNode done = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals("Finished", done.path("status").path("overview").asText());
        assertTrue(done.path("status").path("updateTime").asLong() >= startAt);
    }

    @Test
    void jobsList_pagesWithCursors_andOtherProjectsSeeNothing() {
        fault = Fault.NONE;
        for (int i = 0; i < 3; i++) {
            runJob(photoLines(1), null);
        }
        JsonNode first = client.jobs(2, null);
        assertEquals(2, first.get("data").size());
        JsonNode second = client.jobs(2, first.get("nextPage").asText());
        assertTrue(second.get("data").size() >= 1);
        String firstIdOfSecond = second.get("data").get(0).get("id").asText();
        assertTrue(first.get("data").get(1).get("id").asText().compareTo(firstIdOfSecond) > 0, "newest first");
        JsonNode back = client.jobs(2, second.get("prevPage").asText());
        assertEquals(first.get("data").get(0).get("id").asText(), back.get("data").get(0).get("id").asText());

        SluiceClient stranger = new SluiceClient(stack.apiUrl(), "proj_someoneelse", stack.apiKey);
        SluiceClient.ApiException e = org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                () -> stranger.jobs(null, null));
        assertEquals(404, e.status);
        SluiceClient noKey = new SluiceClient(stack.apiUrl(), stack.projectId, "sk_wrongwrongwrongwrong");
        assertEquals(401, org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class,
                () -> noKey.jobs(null, null)).status);
    }
}
