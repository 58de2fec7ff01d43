package dev.sluice.function.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.core.Json;
import dev.sluice.core.ObjectKeys;
import dev.sluice.core.job.Job;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 item 6, through the router on the emulators (exchanges checked against the OpenAPI document): DELETE of an
 * ended job removes its log entries, ledger rows and every object under its results (parts, manifest, errors file),
 * more rows than one page or batch holds; a job not ended is 409 {@code job.running}; DELETE of a dataset removes
 * its record and file, 409 {@code dataset.in_use} naming the job that reads it while that job runs; another project's
 * id answers 404 like a missing one and changes nothing.
 */
class DeleteJobAndDatasetTest {
    static final String OTHER = "proj_delete_other";
    static final String OTHER_KEY = "sk_delete_other_project_key_0001";
    static HandlerFixture fixture;
    static ApiRouter router;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        LocalProvisioner.bootstrapKey(fixture.clients.dynamo(), fixture.config, OTHER, OTHER_KEY);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String project, String key, String path, String body) {
        return router.handle(new ApiRouter.Request(method, "/v1/projects/" + project + path, Map.of(),
                Map.of("Authorization", "Bearer " + key), body));
    }

    static ApiRouter.Response call(String method, String path, String body) {
        return call(method, HandlerFixture.PROJECT, HandlerFixture.API_KEY, path, body);
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    /** Rows of one job's partition in a table. */
    static int rows(String table, String jobId) {
        return fixture.clients.dynamo().query(b -> b.tableName(table).keyConditionExpression("jobId = :j")
                .expressionAttributeValues(Map.of(":j", AttributeValue.fromS(jobId)))).count();
    }

    static void putObject(String key) {
        fixture.clients.s3().putObject(b -> b.bucket(fixture.config.bucket()).key(key), RequestBody.fromString("{}"));
    }

    /**
     * A job of the project reading the dataset, Waiting (not ended), made from the fixture's own job, and recorded as
     * the dataset's reader as a create records it ({@code DatasetService.reserve}).
     */
    static Job waitingJob(String jobId, String datasetId) {
        Job template = fixture.job("batchjob_template" + jobId.substring(jobId.length() - 4), 10, null);
        ObjectNode tree = Json.MAPPER.valueToTree(template);
        tree.put("id", jobId);
        ((ObjectNode) tree.get("spec")).put("datasetId", datasetId);
        Job job = Json.MAPPER.convertValue(tree, Job.class);
        fixture.services.jobStore().create(job);
        fixture.services.catalog().update(HandlerFixture.PROJECT, dev.sluice.core.dataset.Dataset.KIND, datasetId,
                d -> d.withReaders(java.util.List.of(new dev.sluice.core.dataset.Dataset.Reader(jobId, System.currentTimeMillis()))));
        return job;
    }

    /** Ends the job (Cancelled) in the store. */
    static void end(String jobId) {
        assertTrue(fixture.services.jobStore().transition(jobId, java.util.EnumSet.of(dev.sluice.core.job.JobState.Waiting,
                        dev.sluice.core.job.JobState.Running), dev.sluice.core.job.JobState.Cancelled, "Cancelled",
                "job.cancelled: by the test", System.currentTimeMillis()));
    }

    @Test
    void deletingAnEndedJob_removesItsLogLedgerAndResults_andAnsweresIdDeleted() {
        String jobId = "batchjob_delete0001";
        fixture.job(jobId, 100, null);
        var dynamo = fixture.clients.dynamo();
        for (int i = 0; i < 60; i++) { // more than a BatchWriteItem (25) and a query page (100 keys) of the delete
            String sk = String.format("%012d#%06d", i, i);
            dynamo.putItem(b -> b.tableName(fixture.config.logsTable()).item(Map.of("jobId", AttributeValue.fromS(jobId),
                    "sk", AttributeValue.fromS(sk))));
        }
        for (int i = 0; i < 130; i++) {
            String entry = "inference#b" + i;
            dynamo.putItem(b -> b.tableName(fixture.config.ledgerTable()).item(Map.of("jobId", AttributeValue.fromS(jobId),
                    "entry", AttributeValue.fromS(entry))));
        }
        String project = HandlerFixture.PROJECT;
        putObject(ObjectKeys.manifest(project, jobId));
        putObject(ObjectKeys.errors(project, jobId));
        for (int i = 0; i < 5; i++) {
            putObject(ObjectKeys.resultsParts(project, jobId) + "b" + i + ".ndjson");
        }
        putObject(ObjectKeys.results(project, "batchjob_delete00010") + "manifest.json"); // a neighbour's prefix

        ApiRouter.Response running = call("DELETE", "/batch/jobs/" + jobId, null);
        assertEquals(409, running.status(), running.body());
        assertEquals("job.running", code(running));
        assertEquals(60, rows(fixture.config.logsTable(), jobId));

        ApiRouter.Response foreign = call("DELETE", OTHER, OTHER_KEY, "/batch/jobs/" + jobId, null);
        assertEquals(404, foreign.status(), foreign.body());
        assertEquals("job.not_found", code(foreign));

        end(jobId);
        ApiRouter.Response deleted = call("DELETE", "/batch/jobs/" + jobId, null);
        assertEquals(200, deleted.status(), deleted.body());
        assertEquals(Json.tree("{\"id\":\"" + jobId + "\",\"deleted\":true}"), Json.tree(deleted.body()));
        assertEquals(0, rows(fixture.config.logsTable(), jobId));
        assertEquals(0, rows(fixture.config.ledgerTable(), jobId));
        assertEquals(0, rows(fixture.config.jobsTable(), jobId));
        assertTrue(fixture.services.objects().keys(ObjectKeys.results(project, jobId)).isEmpty());
        assertEquals(1, fixture.services.objects().keys(ObjectKeys.results(project, "batchjob_delete00010")).size(),
                "a job whose id extends the deleted one's keeps its results");
        assertEquals(404, call("GET", "/batch/jobs/" + jobId, null).status());
        assertEquals(404, call("DELETE", "/batch/jobs/" + jobId, null).status());
    }

    @Test
    void deletingADataset_refusedWhileAJobReadsIt_thenRemovesTheRecordAndItsFile() {
        ApiRouter.Response created = call("POST", "/batch/datasets", "{\"name\":\"to-delete\",\"source\":{\"kind\":\"UploadedNdjson\"}}");
        assertEquals(201, created.status(), created.body());
        String datasetId = Json.tree(created.body()).get("id").asText();
        String file = ObjectKeys.dataset(HandlerFixture.PROJECT, datasetId);
        putObject(file);
        Job reader = waitingJob("batchjob_reader0001", datasetId);

        ApiRouter.Response inUse = call("DELETE", "/batch/datasets/" + datasetId, null);
        assertEquals(409, inUse.status(), inUse.body());
        assertEquals("dataset.in_use", code(inUse));
        assertTrue(Json.tree(inUse.body()).path("error").path("message").asText().contains(reader.id()));

        ApiRouter.Response foreign = call("DELETE", OTHER, OTHER_KEY, "/batch/datasets/" + datasetId, null);
        assertEquals(404, foreign.status(), foreign.body());
        assertEquals("dataset.not_found", code(foreign));
        assertTrue(fixture.services.objects().head(file).isPresent());

        end(reader.id());
        ApiRouter.Response deleted = call("DELETE", "/batch/datasets/" + datasetId, null);
        assertEquals(200, deleted.status(), deleted.body());
        assertEquals(Json.tree("{\"id\":\"" + datasetId + "\",\"deleted\":true}"), Json.tree(deleted.body()));
        assertTrue(fixture.services.objects().head(file).isEmpty());
        assertEquals(404, call("GET", "/batch/datasets/" + datasetId, null).status());
    }
}
