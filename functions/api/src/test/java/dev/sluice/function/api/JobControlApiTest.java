package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.local.WebhookReceiver;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 items 3, 4 and 7 through the public REST API on the emulators: a dry run checks and answers without a
 * trace, a sample run takes the first valid lines, a retry takes the failure class and overrides. Every exchange is
 * checked against the OpenAPI document ({@link OpenApiContract}).
 */
class JobControlApiTest {
    static final String P = "/v1/projects/" + HandlerFixture.PROJECT;
    static HandlerFixture fixture;
    static ApiRouter router;
    static WebhookReceiver receiver;
    static String datasetId;
    static String webhookId;

    /** 8 lines: 0, 3, 5, 6, 7 valid; 1 malformed; 2 unknown kind; 4 a refused IP spelling (valid, refused). */
    static final List<String> LINES = List.of(
            "{\"kind\":\"Image\",\"url\":\"https://img.example.com/a.jpg\"}",
            "{\"kind\":\"Image\",\"url\":",
            "{\"kind\":\"Video\",\"url\":\"https://img.example.com/v.mp4\"}",
            "{\"kind\":\"Image\",\"url\":\"https://img.example.com/b.jpg\"}",
            "{\"kind\":\"Image\",\"url\":\"https://0x7f000001/c.jpg\"}",
            "{\"kind\":\"Image\",\"url\":\"s3://" + HandlerFixture.ITEMS_BUCKET + "/d.jpg\"}",
            "{\"kind\":\"Image\",\"url\":\"https://img.example.com/e.jpg\"}",
            "{\"kind\":\"Image\",\"url\":\"https://cdn.example.org/f.jpg\"}");

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        fixture.readyModel();
        receiver = new WebhookReceiver();
        JsonNode webhook = ok(call("POST", "/batch/webhooks", Map.of("name", "hook",
                "spec", Map.of("endpoint", receiver.url()))), 201);
        webhookId = webhook.get("id").asText();
        datasetId = readyDataset(String.join("\n", LINES) + "\n");
    }

    @AfterAll
    static void stop() {
        receiver.close();
        fixture.close();
    }

    static String readyDataset(String ndjson) {
        JsonNode created = ok(call("POST", "/batch/datasets", Map.of("name", "ds",
                "source", Map.of("kind", "UploadedNdjson"))), 201);
        String id = created.get("id").asText();
        fixture.clients.s3().putObject(b -> b.bucket(fixture.config.bucket())
                .key(Dataset.objectKey(HandlerFixture.PROJECT, id)), RequestBody.fromString(ndjson));
        fixture.services.datasets().get(HandlerFixture.PROJECT, id);
        Dataset ready = fixture.services.datasets().validate(HandlerFixture.PROJECT, id);
        assertEquals(Dataset.State.Ready, ready.status().overview());
        // the validation message the look sent has done its work (the test validated in place)
        fixture.clients.sqs().purgeQueue(b -> b.queueUrl(fixture.config.fanoutQueueUrl()));
        return id;
    }

    static ApiRouter.Response call(String method, String path, Object body) {
        return call(method, path, body, Map.of());
    }

    static ApiRouter.Response call(String method, String path, Object body, Map<String, String> query) {
        return router.handle(new ApiRouter.Request(method, P + path, query,
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY), body == null ? null : Json.write(body)));
    }

    static JsonNode ok(ApiRouter.Response r, int status) {
        assertEquals(status, r.status(), r.body());
        return Json.tree(r.body());
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    static Map<String, Object> spec(Object... more) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("datasetId", datasetId);
        spec.put("deployment", Map.of("modelId", HandlerFixture.MODEL));
        spec.put("resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", webhookId))));
        for (int i = 0; i < more.length; i += 2) {
            spec.put((String) more[i], more[i + 1]);
        }
        return spec;
    }

    /** Items of every table, messages of every queue (visible or in flight), objects of the bucket, POSTs received. */
    static List<Long> footprint() {
        var c = fixture.config;
        List<Long> counts = new ArrayList<>();
        for (String table : List.of(c.jobsTable(), c.catalogTable(), c.keysTable(), c.ledgerTable(), c.logsTable())) {
            counts.add((long) fixture.clients.dynamo().scan(b -> b.tableName(table)).count());
        }
        for (String queue : List.of(c.fanoutQueueUrl(), c.inferenceQueueUrl(), c.deliveryQueueUrl(), c.inferenceGpuQueueUrl())) {
            Map<String, String> a = fixture.clients.sqs().getQueueAttributes(b -> b.queueUrl(queue)
                    .attributeNamesWithStrings("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed")).attributesAsStrings();
            counts.add(a.values().stream().mapToLong(Long::parseLong).sum());
        }
        counts.add((long) fixture.clients.s3().listObjectsV2(b -> b.bucket(c.bucket())).keyCount());
        counts.add((long) receiver.received().size());
        return counts;
    }

    @Test
    void dryRun_answersWhatWouldHappen_andLeavesNoTrace() {
        List<Long> before = footprint();
        JsonNode dry = ok(call("POST", "/batch/jobs", Map.of("name", "j", "spec", spec()), Map.of("dryRun", "true")), 200);
        assertEquals(before, footprint(), "no row, message, object or POST");

        assertTrue(dry.get("dryRun").asBoolean());
        assertEquals(8, dry.get("lineCount").asLong());
        assertEquals(6, dry.get("itemCount").asLong());
        assertEquals(2, dry.get("invalidLineCount").asLong());
        assertEquals(1, dry.at("/invalidLines/0/line").asLong());
        assertEquals("item.malformed_json", dry.at("/invalidLines/0/code").asText());
        assertEquals(2, dry.at("/invalidLines/1/line").asLong());
        assertEquals("item.unknown_kind", dry.at("/invalidLines/1/code").asText());
        assertEquals(1, dry.get("refusedUrlCount").asLong());
        assertEquals(4, dry.at("/refusedUrls/0/line").asLong());
        assertEquals("url.ip_spelling_refused", dry.at("/refusedUrls/0/code").asText());
        Map<String, Long> hosts = new LinkedHashMap<>();
        dry.get("hosts").forEach(h -> hosts.put(h.get("host").asText(), h.get("items").asLong()));
        assertEquals(Map.of("https://img.example.com", 3L, "https://0x7f000001", 1L,
                "s3://" + HandlerFixture.ITEMS_BUCKET, 1L, "https://cdn.example.org", 1L), hosts);
        assertEquals("Benchmark", dry.at("/basis/source").asText());
        assertTrue(dry.get("estimatedSeconds").asLong() >= 1 && dry.get("estimatedCostUsd").asDouble() > 0, dry.toString());

        // what a create refuses, a dry run refuses with the same code, and still writes nothing
        Map<String, Object> noModel = spec("deployment", Map.of("modelId", "model_missing"));
        ApiRouter.Response refused = call("POST", "/batch/jobs", Map.of("name", "j", "spec", noModel), Map.of("dryRun", "true"));
        assertEquals(code(call("POST", "/batch/jobs", Map.of("name", "j", "spec", noModel))), code(refused));
        assertEquals(404, refused.status());
        assertEquals("request.bad_dry_run", code(call("POST", "/batch/jobs", Map.of("name", "j", "spec", spec()),
                Map.of("dryRun", "yes"))));
        assertEquals(before, footprint());
    }

    @Test
    void executionParametersTooLargeForTheExecutionsRecord_areA400WithItsCode_neverA500() {
        fixture.executionsBucket();
        Map<String, String> wide = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            wide.put("k" + i, "\u6f22".repeat(4096)); // 50 × 4,096 characters of 3 UTF-8 bytes: 600 KiB in a 1 MiB body
        }
        List<Long> before = footprint();
        for (Map<String, String> parameters : List.of(wide, Map.of("imageColumn", "x".repeat(4096), "k",
                "\u6f22".repeat(4096), "l", "\u6f22".repeat(4096), "m", "\u6f22".repeat(4096),
                "n", "\u6f22".repeat(4096), "o", "\u6f22".repeat(4096), "p", "\u6f22".repeat(1000)))) {
            Map<String, Object> start = Map.of("model", Map.of("id", HandlerFixture.MODEL),
                    "bucket", HandlerFixture.EXECUTIONS_BUCKET, "sourceFolder", "in", "destinationFolder", "out",
                    "parameters", parameters);
            ApiRouter.Response refused = call("POST", "/executions", start);
            assertEquals(400, refused.status(), refused.body());
            assertEquals("execution.bad_parameters", code(refused));
        }
        assertEquals(before, footprint(), "nothing stored or sent");
        Map<String, Object> fits = Map.of("model", Map.of("id", HandlerFixture.MODEL),
                "bucket", HandlerFixture.EXECUTIONS_BUCKET, "sourceFolder", "in", "destinationFolder", "out-fits",
                "parameters", Map.of("imageColumn", "x".repeat(4096), "k", "\u6f22".repeat(4096)));
        assertEquals(200, call("POST", "/executions", fits, Map.of("dryRun", "true")).status());
    }

    @Test
    void executionDryRun_listsTheFilesItWouldRun_andLeavesNoTrace() {
        var s3 = fixture.clients.s3();
        String bucket = HandlerFixture.EXECUTIONS_BUCKET;
        fixture.executionsBucket();
        Map<String, String> files = new LinkedHashMap<>();
        files.put("dry/a.csv", "id,x\n1,2\n");
        files.put("dry/b.csv", "id,x\n1,2\n3,4\n");
        files.put("dry/sub/c.csv", "id\n1\n");
        files.put("dry/_SUCCESS", "");
        files.put("dry/notes.txt", "not a table");
        files.forEach((key, body) -> s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body)));
        Map<String, Object> start = new LinkedHashMap<>(Map.of("model", Map.of("id", HandlerFixture.MODEL),
                "bucket", bucket, "sourceFolder", "dry", "destinationFolder", "dry-out", "parallelism", 2));
        List<Long> before = footprint();
        before.add((long) s3.listObjectsV2(b -> b.bucket(bucket)).keyCount());

        JsonNode dry = ok(call("POST", "/executions", start, Map.of("dryRun", "true")), 200);
        List<Long> after = footprint();
        after.add((long) s3.listObjectsV2(b -> b.bucket(bucket)).keyCount());
        assertEquals(before, after, "no execution, row, message, object or file list");

        assertTrue(dry.get("dryRun").asBoolean());
        assertEquals(3, dry.get("fileCount").asLong());
        assertEquals(9 + 13 + 5, dry.get("bytes").asLong(), "the three CSV files' sizes");
        assertEquals(List.of("a.csv", "b.csv", "sub/c.csv"), dry.get("files").findValuesAsText("name"));
        assertEquals(13, dry.at("/files/1/bytes").asLong());
        assertEquals(1, dry.get("hiddenFiles").asLong());
        assertEquals("Benchmark", dry.at("/basis/source").asText());
        assertEquals(2, dry.at("/basis/workers").asInt());
        assertTrue(dry.get("estimatedSeconds").asLong() >= 1 && dry.get("estimatedCostUsd").asDouble() > 0, dry.toString());
        start.put("limitFiles", 2);
        assertEquals(2, ok(call("POST", "/executions", start, Map.of("dryRun", "true")), 200).get("fileCount").asLong());

        // what a start refuses, a dry run refuses with the same status and code, and writes nothing
        for (Map<String, Object> bad : List.of(Map.<String, Object>of("model", Map.of("id", "model_missing"),
                        "bucket", bucket, "sourceFolder", "dry", "destinationFolder", "o"),
                Map.<String, Object>of("model", Map.of("id", HandlerFixture.MODEL), "bucket", fixture.config.bucket(),
                        "sourceFolder", "dry", "destinationFolder", "o"),
                Map.<String, Object>of("model", Map.of("id", HandlerFixture.MODEL), "bucket", bucket,
                        "sourceFolder", "dry", "destinationFolder", "o", "parallelism", 0))) {
            ApiRouter.Response refused = call("POST", "/executions", bad, Map.of("dryRun", "true"));
            ApiRouter.Response real = call("POST", "/executions", bad);
            assertEquals(real.status(), refused.status(), refused.body());
            assertEquals(code(real), code(refused));
        }
        after = footprint();
        after.add((long) s3.listObjectsV2(b -> b.bucket(bucket)).keyCount());
        assertEquals(before, after);
    }

    @Test
    void dryRun_ofALargeDataset_countsEveryLine_andListsTheFirstThousand() {
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < 30_000; i++) {
            ndjson.append(i % 10 == 0 ? "not json" : "{\"kind\":\"Image\",\"url\":\"https://h" + (i % 1500)
                    + ".example.com/" + i + ".jpg\"}").append('\n');
        }
        String big = readyDataset(ndjson.toString());
        JsonNode dry = ok(call("POST", "/batch/jobs", Map.of("name", "j", "spec", spec("datasetId", big)),
                Map.of("dryRun", "true")), 200);
        assertEquals(30_000, dry.get("lineCount").asLong());
        assertEquals(27_000, dry.get("itemCount").asLong());
        assertEquals(3_000, dry.get("invalidLineCount").asLong());
        assertEquals(1_000, dry.get("invalidLines").size());
        assertEquals(1_000, dry.get("hosts").size());
        assertTrue(dry.get("hostsTruncated").asBoolean());
        assertEquals(100, dry.get("hostsChecked").asInt());
    }

    @Test
    void sampleRun_runsTheFirstValidLines_withoutAWebhook() {
        Map<String, Object> sample = spec("limit", 3);
        sample.remove("resultDelivery");
        JsonNode dry = ok(call("POST", "/batch/jobs", Map.of("name", "s", "spec", sample), Map.of("dryRun", "true")), 200);
        assertEquals(3, dry.get("itemCount").asLong());
        assertEquals(5, dry.get("lineCount").asLong(), "lines 0, 3 and 4 are the first three valid ones");

        JsonNode job = ok(call("POST", "/batch/jobs", Map.of("name", "s", "spec", sample)), 201);
        assertEquals(3, job.at("/status/itemCount").asLong());
        assertEquals(3, job.at("/spec/limit").asInt());
        String sampleDataset = job.at("/spec/datasetId").asText();
        assertNotEquals(datasetId, sampleDataset);
        String copied = fixture.clients.s3().getObjectAsBytes(b -> b.bucket(fixture.config.bucket())
                .key(Dataset.objectKey(HandlerFixture.PROJECT, sampleDataset))).asUtf8String();
        assertEquals(List.of(LINES.get(0), LINES.get(3), LINES.get(4)), copied.lines().toList());

        assertEquals("job.bad_limit", code(call("POST", "/batch/jobs", Map.of("name", "s", "spec", spec("limit", 0)))));
        assertEquals("job.bad_limit", code(call("POST", "/batch/jobs", Map.of("name", "s", "spec", spec("limit", 10_001)))));
        String invalidOnly = readyDataset("not json\n{\"kind\":\"Video\"}\n");
        assertEquals("job.no_valid_lines", code(call("POST", "/batch/jobs",
                Map.of("name", "s", "spec", spec("datasetId", invalidOnly, "limit", 5)))));
    }

    /**
     * The datasets a sample run and a retry copy are shown as the job's ({@code source: {kind: JobCopy, jobId}}) and
     * go with the job: deleting it deletes the copy's record and file, never the dataset the user uploaded. A copy
     * another job still reads stays (that job's user chose it).
     */
    @Test
    void theDatasetASampleOrARetryCopied_isTheJobs_andIsDeletedWithIt() {
        Map<String, Object> sample = spec("limit", 2);
        sample.remove("resultDelivery");
        JsonNode job = ok(call("POST", "/batch/jobs", Map.of("name", "copy", "spec", sample)), 201);
        String jobId = job.get("id").asText();
        String copyId = job.at("/spec/datasetId").asText();
        JsonNode copy = ok(call("GET", "/batch/datasets/" + copyId, null), 200);
        assertEquals("JobCopy", copy.at("/source/kind").asText(), copy.toString());
        assertEquals(jobId, copy.at("/source/jobId").asText(), copy.toString());
        assertTrue(fixture.services.jobStore().transition(jobId, EnumSet.of(JobState.Waiting, JobState.Running),
                JobState.Finished, "Finished", null, 3));
        JsonNode retry = ok(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "all-failed")), 201);
        String retryCopy = retry.at("/spec/datasetId").asText();
        assertEquals(retry.get("id").asText(), ok(call("GET", "/batch/datasets/" + retryCopy, null), 200)
                .at("/source/jobId").asText());

        ok(call("DELETE", "/batch/jobs/" + jobId, null), 200);
        assertEquals("dataset.not_found", code(call("GET", "/batch/datasets/" + copyId, null)));
        assertTrue(fixture.services.objects().head(Dataset.objectKey(HandlerFixture.PROJECT, copyId)).isEmpty());
        assertEquals("Ready", ok(call("GET", "/batch/datasets/" + datasetId, null), 200).at("/status/overview").asText(),
                "the uploaded dataset stays");
        assertEquals(200, call("GET", "/batch/datasets/" + retryCopy, null).status(), "the retry's copy is the retry's");

        // a job the user created on the retry's copy holds it: deleting the (ended) retry keeps the copy
        JsonNode reader = ok(call("POST", "/batch/jobs", Map.of("name", "reader", "spec", spec("datasetId", retryCopy))), 201);
        String retryId = retry.get("id").asText();
        assertTrue(fixture.services.jobStore().transition(retryId, EnumSet.of(JobState.Waiting, JobState.Running),
                JobState.Cancelled, "Cancelled", "job.cancelled: by the test", 3));
        ok(call("DELETE", "/batch/jobs/" + retryId, null), 200);
        assertEquals(200, call("GET", "/batch/datasets/" + retryCopy, null).status(), "read by " + reader.get("id"));
        assertEquals("job.not_found", code(call("GET", "/batch/jobs/" + retryId, null)));
        assertEquals("dataset.bad_source", code(call("POST", "/batch/datasets", Map.of("name", "forged",
                "source", Map.of("kind", "JobCopy", "jobId", jobId)))));
    }

    @Test
    void retry_onlyRetryable_leavesPermanentFailuresOut_andTakesOverrides() {
        // a Finished job of the 8 lines: 0 delivered, 1 and 2 failed as lines (permanent), 3 timed out (retryable),
        // 4 refused (permanent), 5 failed delivery (retryable), 6 a 404 (permanent), 7 never ran (skipped)
        JsonNode job = ok(call("POST", "/batch/jobs", Map.of("name", "r", "spec", spec())), 201);
        String jobId = job.get("id").asText();
        JobStore store = fixture.services.jobStore();
        List<LogEntry> entries = List.of(
                LogEntry.info("ItemDelivered", 1, "u0", 0, "Delivered", 1),
                LogEntry.failure("ItemFailedGather", 1, null, 1, "FailedGather", "item.malformed_json: line 1"),
                LogEntry.failure("ItemFailedGather", 1, "u2", 2, "FailedGather", "item.unknown_kind: line 2"),
                LogEntry.failure("ItemFailedGather", 1, "u3", 3, "FailedGather", "gather.timeout: no answer"),
                LogEntry.failure("ItemFailedGather", 1, "u4", 4, "FailedGather", "url.ip_spelling_refused: hex"),
                LogEntry.failure("ItemFailedDeliver", 1, "u5", 5, "FailedDeliver", "deliver.http_503: answered 503"),
                LogEntry.failure("ItemFailedGather", 1, "u6", 6, "FailedGather", "gather.not_found: 404"));
        store.commit(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0", ItemCounters.ZERO, entries, 2, null));
        assertTrue(store.transition(jobId, EnumSet.of(JobState.Waiting, JobState.Running), JobState.Finished,
                "Finished", null, 3));
        JsonNode logs = ok(call("GET", "/batch/jobs/" + jobId + "/logs", null, Map.of("minLevel", "Error")), 200);
        assertEquals("Retryable", logs.at("/data/2/failureClass").asText(), logs.toString());
        assertEquals("Permanent", logs.at("/data/3/failureClass").asText());

        JsonNode retry = ok(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "retryable",
                "spec", Map.of("batchSize", 8, "resultDelivery", Map.of("destinations", List.of())))), 201);
        assertEquals(jobId, retry.at("/spec/retryOf").asText());
        assertEquals(3, retry.at("/status/itemCount").asLong(), "lines 3, 5 and 7");
        assertEquals(8, retry.at("/spec/batchSize").asInt());
        assertTrue(retry.at("/spec/resultDelivery/destinations").isEmpty(), retry.toString());
        String copied = fixture.clients.s3().getObjectAsBytes(b -> b.bucket(fixture.config.bucket())
                .key(Dataset.objectKey(HandlerFixture.PROJECT, retry.at("/spec/datasetId").asText()))).asUtf8String();
        assertEquals(List.of(LINES.get(3), LINES.get(5), LINES.get(7)), copied.lines().toList());

        JsonNode all = ok(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "all-failed")), 201);
        assertEquals(7, all.at("/status/itemCount").asLong());
        assertEquals(dev.sluice.core.job.JobSpec.DEFAULT_BATCH_SIZE, all.at("/spec/batchSize").asInt(), "the original's batch size (the default)");
        assertEquals(webhookId, all.at("/spec/resultDelivery/destinations/0/webhookId").asText());
        assertEquals(7, ok(call("POST", "/batch/jobs/" + jobId + ":retry", null), 201).at("/status/itemCount").asLong(),
                "no body: all-failed");

        // overrides are checked as a create checks them, before anything is written
        assertEquals("job.bad_batch_size", code(call("POST", "/batch/jobs/" + jobId + ":retry",
                Map.of("spec", Map.of("batchSize", 0)))));
        assertEquals("webhook.not_found", code(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("spec",
                Map.of("resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", "webhook_other")))))))); 
        assertEquals("request.wrong_type", code(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "some"))));
        assertEquals("request.unknown_field", code(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("onyl", "retryable"))));
    }

    @Test
    void lineage_givesEachLinesFinalOutcomeAcrossRetries_aPageAtATime_andTheOriginalListsItsRetries() {
        // the original: 0 delivered, 1 failed for good, 3 timed out, 5 failed delivery, 7 never ran; Finished
        String jobId = ok(call("POST", "/batch/jobs", Map.of("name", "l", "spec", spec())), 201).get("id").asText();
        JobStore store = fixture.services.jobStore();
        store.commit(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0", ItemCounters.ZERO, List.of(
                LogEntry.info("ItemDelivered", 1, "u0", 0, "Delivered", 1),
                LogEntry.failure("ItemFailedGather", 1, null, 1, "FailedGather", "item.malformed_json: line 1"),
                LogEntry.failure("ItemFailedGather", 1, "u3", 3, "FailedGather", "gather.timeout: no answer"),
                LogEntry.failure("ItemFailedDeliver", 1, "u5", 5, "FailedDeliver", "deliver.http_503: answered 503")),
                2, null));
        assertTrue(store.transition(jobId, EnumSet.of(JobState.Waiting), JobState.Finished, "Finished", null, 3));
        // retry 1 runs the retryable lines 3, 5, 7 (and 2, 4, 6, which have no failure entry here) as its 0..5
        JsonNode first = ok(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "retryable")), 201);
        String retry1 = first.get("id").asText();
        assertEquals(6, first.at("/status/itemCount").asLong());
        store.commit(new JobStore.StageCommit(retry1, Stage.INFERENCE, "b0", ItemCounters.ZERO, List.of(
                LogEntry.info("ItemDelivered", 1, "u3", 1, "Delivered", 1),
                LogEntry.failure("ItemFailedDeliver", 1, "u5", 3, "FailedDeliver", "deliver.http_503: answered 503")),
                2, null));
        assertTrue(store.transition(retry1, EnumSet.of(JobState.Waiting), JobState.Finished, "Finished", null, 3));
        // retry 2, of retry 1, runs retry 1's lines 0, 2..5 (the original's 2, 4, 5, 6, 7) and has not ended
        String retry2 = ok(call("POST", "/batch/jobs/" + retry1 + ":retry", null), 201).get("id").asText();

        assertEquals(List.of(retry1), Json.MAPPER.convertValue(ok(call("GET", "/batch/jobs/" + jobId, null), 200)
                .get("retries"), List.class));
        assertEquals(List.of(retry2), Json.MAPPER.convertValue(ok(call("GET", "/batch/jobs/" + retry1, null), 200)
                .get("retries"), List.class));

        JsonNode page = ok(call("GET", "/batch/jobs/" + jobId + "/lineage", null, Map.of("limit", "4")), 200);
        assertEquals(List.of(jobId, retry1, retry2), Json.MAPPER.convertValue(page.get("jobs"), List.class));
        assertEquals(4, page.get("data").size());
        assertEquals("Delivered", page.at("/data/0/outcome").asText());
        assertEquals(jobId, page.at("/data/0/jobId").asText());
        assertEquals(1, page.at("/data/0/attempts").asInt());
        assertEquals("Failed", page.at("/data/1/outcome").asText(), "a permanent failure is not retried");
        assertEquals("Permanent", page.at("/data/1/failureClass").asText());
        assertEquals("Delivered", page.at("/data/3/outcome").asText(), "delivered by the first retry");
        assertEquals(retry1, page.at("/data/3/jobId").asText());
        assertEquals(2, page.at("/data/3/attempts").asInt());
        JsonNode rest = ok(call("GET", "/batch/jobs/" + jobId + "/lineage", null,
                Map.of("limit", "4", "page", page.get("nextPage").asText())), 200);
        assertEquals(4, rest.at("/data/0/line").asInt());
        assertEquals("Pending", rest.at("/data/1/outcome").asText(), "line 5: its last attempt, retry 2, runs");
        assertEquals(retry2, rest.at("/data/1/jobId").asText());
        assertEquals(3, rest.at("/data/1/attempts").asInt());
        assertTrue(rest.path("nextPage").isMissingNode(), rest.toString());
        assertEquals("request.bad_cursor", code(call("GET", "/batch/jobs/" + retry1 + "/lineage", null,
                Map.of("page", page.get("nextPage").asText()))), "a cursor of one job's lineage continues no other");
    }

    @Test
    void dryRun_estimatesFromTheDeploymentsFinishedJobs_onceItHasOne() {
        String deployment = ok(call("POST", "/deployments", Map.of("name", "measured", "modelId", HandlerFixture.MODEL,
                "maxConcurrency", 2)), 201).get("id").asText();
        Map<String, Object> onDeployment = Map.of("name", "h", "spec", spec("deployment", Map.of("deploymentId", deployment)));
        JsonNode before = ok(call("POST", "/batch/jobs", onDeployment, Map.of("dryRun", "true")), 200);
        assertEquals("Benchmark", before.at("/basis/source").asText(), "no job of the deployment finished yet");

        // a job of the deployment that ran its 8 items in 4 s (started 4 s ago), then finished
        String jobId = ok(call("POST", "/batch/jobs", onDeployment), 201).get("id").asText();
        JobStore store = fixture.services.jobStore();
        assertTrue(store.transition(jobId, EnumSet.of(JobState.Waiting), JobState.Running, "Running", null,
                System.currentTimeMillis() - 4_000));
        store.commit(new JobStore.StageCommit(jobId, Stage.DELIVERY, "b0",
                new ItemCounters(8, 0, 8, 0, 8, 0, 8, 0, 0), List.of(), 2, null));
        assertTrue(fixture.services.lifecycle().finish(jobId));

        JsonNode after = ok(call("POST", "/batch/jobs", onDeployment, Map.of("dryRun", "true")), 200);
        assertEquals("History", after.at("/basis/source").asText(), after.toString());
        double perWorker = after.at("/basis/itemsPerSecond").asDouble();
        assertTrue(perWorker > 0 && perWorker <= 1.0, "8 items in at least 4 s on 2 workers: " + perWorker);
        assertTrue(after.get("estimatedSeconds").asLong() >= 2, after.toString());
        assertEquals("Benchmark", ok(call("POST", "/batch/jobs", Map.of("name", "j", "spec", spec()),
                Map.of("dryRun", "true")), 200).at("/basis/source").asText(), "the model alone has no history");
    }

    @Test
    void retry_onlyRetryable_ofOnlyPermanentFailures_isNothingToRetry() {
        JsonNode job = ok(call("POST", "/batch/jobs", Map.of("name", "p", "spec", spec("limit", 2))), 201);
        String jobId = job.get("id").asText();
        JobStore store = fixture.services.jobStore();
        store.commit(new JobStore.StageCommit(jobId, Stage.INFERENCE, "b0", ItemCounters.ZERO, List.of(
                LogEntry.info("ItemDelivered", 1, "u0", 0, "Delivered", 1),
                // a timeout, then on redelivery a corrupt image: the last failure decides
                LogEntry.failure("ItemFailedGather", 1, "u1", 1, "FailedGather", "gather.timeout: slow"),
                LogEntry.failure("ItemFailedProcess", 2, "u1", 1, "FailedProcess", "process.corrupt_image: bad")),
                2, null));
        store.transition(jobId, EnumSet.of(JobState.Waiting), JobState.Finished, "Finished", null, 3);
        ApiRouter.Response r = call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "retryable"));
        assertEquals(409, r.status());
        assertEquals("job.nothing_to_retry", code(r));
        assertEquals(1, ok(call("POST", "/batch/jobs/" + jobId + ":retry", Map.of("only", "all-failed")), 201)
                .at("/status/itemCount").asLong());
    }
}
