package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.deadletter.DeadLetter;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.model.Model;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14, ids keep their kind: two projects (the second bootstrapped as README's "The first job" does, with a row in
 * the keys table), one record of every kind in each; every route that names a record, with every method, given an id
 * of every other kind of its own project or of any kind of the other project, answers 404 or 405, never 2xx or 5xx,
 * and changes nothing; creates refuse references of the wrong kind or of the other project.
 */
class IdKindIsolationTest {
    static final String OTHER = "proj_bootstrapped";
    static final String OTHER_KEY = "sk_bootstrapped_project_key_0001";
    static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH");
    /** Every route under a record: its collection, the kind of id it takes, and what follows the id. */
    static final List<String[]> ROUTES = List.of(
            new String[]{"/batch/datasets", "dataset", ""},
            new String[]{"/models", "model", ""},
            new String[]{"/deployments", "deployment", ""},
            new String[]{"/batch/webhooks", "webhook", ""},
            new String[]{"/batch/webhooks", "webhook", "/secret"},
            new String[]{"/batch/webhooks", "webhook", ":test"},
            new String[]{"/batch/webhooks", "webhook", "/deliveries"},
            new String[]{"/batch/webhooks", "webhook", "/deliveries/req_0123456789abcdef:replay"},
            new String[]{"/batch/jobs", "job", ""},
            new String[]{"/batch/jobs", "job", ":cancel"},
            new String[]{"/batch/jobs", "job", ":retry"},
            new String[]{"/batch/jobs", "job", "/logs"},
            new String[]{"/batch/jobs", "job", "/results"},
            new String[]{"/batch/jobs", "job", "/items"},
            new String[]{"/batch/jobs", "job", "/lineage"},
            new String[]{"/dead-letters", "deadLetter", ""},
            new String[]{"/dead-letters", "deadLetter", ":redrive"},
            new String[]{"/api-keys", "key", ""},
            new String[]{"/executions", "execution", ""},
            new String[]{"/executions", "execution", "/report"},
            new String[]{"/executions", "execution", ":cancel"});

    static HandlerFixture fixture;
    static ApiRouter router;
    /** kind → id, per project. */
    static final Map<String, Map<String, String>> ids = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        LocalProvisioner.bootstrapKey(fixture.clients.dynamo(), fixture.config, OTHER, OTHER_KEY);
        ids.put(HandlerFixture.PROJECT, records(HandlerFixture.PROJECT, HandlerFixture.API_KEY, "a"));
        ids.put(OTHER, records(OTHER, OTHER_KEY, "b"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** One record of every kind in the project: through the API where a user makes it, in the stores otherwise. */
    static Map<String, String> records(String project, String key, String tag) {
        Map<String, String> r = new LinkedHashMap<>();
        Model ready = new Model("model_" + tag + "0000000001", Model.OBJECT, "m", project, Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, List.of("a", "b"),
                new Model.Status(Model.State.Ready, null, "etag", 1L, null), 0, 0);
        fixture.services.catalog().put(project, ready.id(), ready);
        r.put("model", ready.id());
        r.put("dataset", created(project, key, "/batch/datasets", Map.of("name", "d", "source", Map.of("kind", "UploadedNdjson"))));
        r.put("webhook", created(project, key, "/batch/webhooks", Map.of("name", "w", "spec", Map.of("endpoint", "https://example.com/h"))));
        r.put("deployment", created(project, key, "/deployments", Map.of("name", "d", "modelId", ready.id())));
        r.put("key", created(project, key, "/api-keys", Map.of("name", "ci")));
        r.put("execution", created(project, key, "/executions", Map.of("model", Map.of("id", ready.id()),
                "bucket", HandlerFixture.EXECUTIONS_BUCKET, "sourceFolder", "in", "destinationFolder", "out")));
        Job job = new Job("batchjob_" + tag + "0000000001", Job.OBJECT, "j", project,
                new JobSpec(r.get("dataset"), new JobSpec.Deployment(ready.id()), null, null, null, 32),
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, 4, 1), 1, 1);
        fixture.services.jobStore().create(job);
        r.put("job", job.id());
        DeadLetter letter = new DeadLetter("dlq_" + tag + "0000000001", DeadLetter.OBJECT, project, job.id(), "INFERENCE",
                "b0", "m1", List.of(0L), null, "inference.dead_lettered: test", 1, null);
        fixture.services.catalog().put(project, letter.id(), letter);
        r.put("deadLetter", letter.id());
        return r;
    }

    static ApiRouter.Response call(String method, String project, String key, String path, String body) {
        return router.handle(new ApiRouter.Request(method, "/v1/projects/" + project + path, Map.of(),
                Map.of("Authorization", "Bearer " + key), body));
    }

    static String created(String project, String key, String collection, Object body) {
        ApiRouter.Response r = call("POST", project, key, collection, Json.write(body));
        assertEquals(201, r.status(), collection + ": " + r.body());
        return Json.tree(r.body()).get("id").asText();
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    @Test
    void everyRoute_everyMethod_everyForeignId_answers404or405_andChangesNothing() {
        String before = snapshot();
        int calls = 0;
        List<String> wrong = new ArrayList<>();
        for (String project : ids.keySet()) {
            String key = project.equals(OTHER) ? OTHER_KEY : HandlerFixture.API_KEY;
            String otherProject = project.equals(OTHER) ? HandlerFixture.PROJECT : OTHER;
            for (String[] route : ROUTES) {
                List<String> foreign = new ArrayList<>();
                ids.get(project).forEach((kind, id) -> {
                    if (!kind.equals(route[1])) {
                        foreign.add(id); // own project, another kind
                    }
                });
                foreign.addAll(ids.get(otherProject).values()); // the other project, every kind
                for (String id : foreign) {
                    for (String method : METHODS) {
                        ApiRouter.Response r = call(method, project, key, route[0] + "/" + id + route[2], "{\"name\":\"x\"}");
                        calls++;
                        if (r.status() != 404 && r.status() != 405) {
                            wrong.add(method + " " + route[0] + "/" + id + route[2] + " → " + r.status() + " " + r.body());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(2 * ROUTES.size() * METHODS.size() * (7 + 8), calls, "every combination was tried");
        assertEquals(before, snapshot(), "no record of either project changed");
        // the keys still work and the listed one is still listed and revocable by its own kind of id
        assertEquals(200, call("GET", OTHER, OTHER_KEY, "/api-keys", null).status());
        ApiRouter.Response revoked = call("DELETE", HandlerFixture.PROJECT, HandlerFixture.API_KEY,
                "/api-keys/" + ids.get(HandlerFixture.PROJECT).get("key"), null);
        assertEquals(200, revoked.status(), revoked.body());
    }

    /** The findings as reported: a webhook route given an API key's id, and the other way round. */
    @Test
    void anApiKeysId_isNotAWebhook_andAWebhooksId_isNotAnApiKey() {
        String project = OTHER;
        String keyId = created(project, OTHER_KEY, "/api-keys", Map.of("name", "victim"));
        String webhookId = ids.get(project).get("webhook");
        ApiRouter.Response get = call("GET", project, OTHER_KEY, "/batch/webhooks/" + keyId, null);
        assertEquals(404, get.status(), get.body());
        assertEquals("webhook.not_found", code(get));
        ApiRouter.Response delete = call("DELETE", project, OTHER_KEY, "/batch/webhooks/" + keyId, null);
        assertEquals(404, delete.status(), delete.body());
        ApiRouter.Response revokeWebhook = call("DELETE", project, OTHER_KEY, "/api-keys/" + webhookId, null);
        assertEquals(404, revokeWebhook.status(), revokeWebhook.body());
        assertEquals("api_key.not_found", code(revokeWebhook));
        boolean listed = false;
        for (JsonNode k : Json.tree(call("GET", project, OTHER_KEY, "/api-keys", null).body()).get("data")) {
            listed |= k.get("id").asText().equals(keyId);
        }
        assertTrue(listed, "the key is still listed");
        assertEquals(200, call("DELETE", project, OTHER_KEY, "/api-keys/" + keyId, null).status(), "and revocable");
    }

    /**
     * An id of the wrong kind is refused by its prefix (400 {@code *.bad_*_id}) before any read; an id of the right
     * kind that is not in this project is not found (404). Never accepted, never a 5xx.
     */
    private static boolean refusedReference(ApiRouter.Response r) {
        return r.status() == 404 || (r.status() == 400 && r.body().matches("(?s).*\"code\":\"[a-z_]+\\.bad_[a-z_]*id\".*"));
    }

    @Test
    void creates_refuseReferencesOfTheWrongKind_orOfTheOtherProject() {
        Map<String, String> mine = ids.get(HandlerFixture.PROJECT);
        Map<String, String> theirs = ids.get(OTHER);
        // this project's dataset Ready (as its validation leaves it), so only the references are wrong
        var dataset = fixture.services.datasets().get(HandlerFixture.PROJECT, mine.get("dataset"));
        fixture.services.catalog().put(HandlerFixture.PROJECT, dataset.id(), dataset.withStatus(
                new dev.sluice.core.dataset.Dataset.Status(dev.sluice.core.dataset.Dataset.State.Ready, null, 1L, 10L,
                        "etag", null), 2));
        String jobs = call("GET", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/batch/jobs", null).body();
        List<Map<String, Object>> specs = List.of(
                jobSpec(mine.get("model"), Map.of("modelId", mine.get("model")), null), // the dataset is a model
                jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("dataset")), null), // the model is a dataset
                jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("model")), mine.get("key")), // webhook: a key
                jobSpec(mine.get("dataset"), Map.of("deploymentId", mine.get("webhook")), null),
                jobSpec(theirs.get("dataset"), Map.of("modelId", mine.get("model")), null),
                jobSpec(mine.get("dataset"), Map.of("modelId", theirs.get("model")), null),
                jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("model")), theirs.get("webhook")),
                jobSpec(mine.get("dataset"), Map.of("deploymentId", theirs.get("deployment")), null),
                retryOf(jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("model")), null), theirs.get("job")),
                retryOf(jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("model")), null), "batchjob_nowhere01"));
        for (Map<String, Object> spec : specs) {
            ApiRouter.Response r = call("POST", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/batch/jobs",
                    Json.write(Map.of("name", "j", "spec", spec)));
            // an id of the wrong kind is refused by its prefix (400 job.bad_…_id) before any read; an id of the right
            // kind that is not in this project is not found (404): never accepted
            assertTrue(refusedReference(r), spec + ": " + r.body());
        }
        for (String model : List.of(mine.get("dataset"), mine.get("deployment"), theirs.get("model"))) {
            ApiRouter.Response execution = call("POST", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/executions",
                    Json.write(Map.of("model", Map.of("id", model), "bucket", HandlerFixture.EXECUTIONS_BUCKET,
                            "sourceFolder", "x", "destinationFolder", "y")));
            assertTrue(refusedReference(execution), execution.body());
            ApiRouter.Response deployment = call("POST", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/deployments",
                    Json.write(Map.of("name", "d", "modelId", model)));
            assertTrue(refusedReference(deployment), deployment.body());
        }
        assertEquals(jobs, call("GET", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/batch/jobs", null).body(),
                "no job was created");
        // and the right references are accepted
        ApiRouter.Response ok = call("POST", HandlerFixture.PROJECT, HandlerFixture.API_KEY, "/batch/jobs",
                Json.write(Map.of("name", "j", "spec", jobSpec(mine.get("dataset"), Map.of("modelId", mine.get("model")),
                        mine.get("webhook")))));
        assertEquals(201, ok.status(), ok.body());
    }

    /** The spec naming a job as its original ({@code spec.retryOf}): another project's job is not found, as none. */
    static Map<String, Object> retryOf(Map<String, Object> spec, String original) {
        spec.put("retryOf", original);
        return spec;
    }

    static Map<String, Object> jobSpec(String dataset, Map<String, String> deployment, String webhook) {
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("datasetId", dataset, "deployment", deployment));
        if (webhook != null) {
            spec.put("resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", webhook))));
        }
        return spec;
    }

    /** Every row of the catalog, jobs and keys tables, in a stable order. */
    static String snapshot() {
        StringBuilder all = new StringBuilder();
        for (String table : List.of(fixture.config.catalogTable(), fixture.config.jobsTable(), fixture.config.keysTable())) {
            fixture.clients.dynamo().scanPaginator(b -> b.tableName(table).consistentRead(true)).items().stream()
                    .map(Object::toString).sorted().forEach(row -> all.append(row).append('\n'));
        }
        return all.toString();
    }
}
