package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.aws.Components;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.model.Model;
import dev.sluice.core.schedule.Scheduler;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 item 6, through the router on the emulators (exchanges checked against the OpenAPI document), with a clock
 * the test moves: datasets expire (default 30 days, {@code expiryTime} validated), listings hide expired ones unless
 * {@code showExpired=true} (a cursor bound to it), the scheduler deletes expired datasets' files and the datasets and
 * models still Uploading after 24 h, but never a dataset a job that has not ended holds; a dataset delete racing job
 * creates never leaves a job on a removed file; deleting a model or webhook in use is 409 naming the user.
 */
class DatasetExpiryAndInUseTest {
    static final String P = "/v1/projects/" + HandlerFixture.PROJECT;
    static final long DAY = Duration.ofDays(1).toMillis();
    static HandlerFixture fixture;
    static final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    static Components services;
    static ApiRouter router;
    static String webhookId;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        // the same tables, queues and bucket, on a clock the test moves
        services = new Components(fixture.clients.dynamo(), fixture.clients.sqs(), fixture.clients.s3(),
                fixture.clients.presigner(), fixture.config, Tunables.DEFAULTS, now::get);
        router = new ApiRouter(ApiServices.of(services), OpenApiContract.INSTANCE);
        fixture.readyModel();
        webhookId = ok(call("POST", "/batch/webhooks", Map.of("name", "hook",
                "spec", Map.of("endpoint", "https://hooks.example.com/in"))), 201).get("id").asText();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String path, Object body, Map<String, String> query) {
        return router.handle(new ApiRouter.Request(method, P + path, query,
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY), body == null ? null : Json.write(body)));
    }

    static ApiRouter.Response call(String method, String path, Object body) {
        return call(method, path, body, Map.of());
    }

    static JsonNode ok(ApiRouter.Response r, int status) {
        assertEquals(status, r.status(), r.body());
        return Json.tree(r.body());
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    static String dataset(String name, Long expiryTime) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", name, "source", Map.of("kind", "UploadedNdjson")));
        if (expiryTime != null) {
            body.put("expiryTime", expiryTime);
        }
        return ok(call("POST", "/batch/datasets", body), 201).get("id").asText();
    }

    static void upload(String id) {
        fixture.clients.s3().putObject(b -> b.bucket(fixture.config.bucket())
                .key(Dataset.objectKey(HandlerFixture.PROJECT, id)), RequestBody.fromString(
                "{\"kind\":\"Image\",\"url\":\"https://img.example.com/a.jpg\"}\n"));
    }

    static String readyDataset(String name, Long expiryTime) {
        String id = dataset(name, expiryTime);
        upload(id);
        services.datasets().get(HandlerFixture.PROJECT, id);
        assertEquals(Dataset.State.Ready, services.datasets().validate(HandlerFixture.PROJECT, id).status().overview());
        return id;
    }

    static boolean fileExists(String datasetId) {
        return services.objects().head(Dataset.objectKey(HandlerFixture.PROJECT, datasetId)).isPresent();
    }

    static Map<String, Object> jobOn(String datasetId, String modelId) {
        return jobOn(datasetId, modelId, webhookId, null);
    }

    static Map<String, Object> jobOn(String datasetId, String modelId, String webhook, Long stopAtTime) {
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("datasetId", datasetId, "deployment", Map.of("modelId", modelId),
                "resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", webhook)))));
        if (stopAtTime != null) {
            spec.put("stopAtTime", stopAtTime);
        }
        return Map.of("name", "j", "spec", spec);
    }

    static List<String> listed(Map<String, String> query) {
        List<String> ids = new ArrayList<>();
        ok(call("GET", "/batch/datasets", null, query), 200).get("data").forEach(d -> ids.add(d.get("id").asText()));
        return ids;
    }

    @Test
    void expiredDatasets_areHiddenRefusedAndSwept_uploadsLeftFor24HoursAreDeleted_heldOnesWait() {
        long t0 = now.get();
        JsonNode created = ok(call("POST", "/batch/datasets", Map.of("name", "default",
                "source", Map.of("kind", "UploadedNdjson"))), 201);
        assertEquals(created.get("createTime").asLong() + 30 * DAY, created.get("expiryTime").asLong(), "30 days by default");
        assertFalse(created.has("readers"), "the reservations are never shown");
        for (long bad : new long[]{t0 - 1, t0 + 366 * DAY}) {
            ApiRouter.Response refused = call("POST", "/batch/datasets", Map.of("name", "x",
                    "source", Map.of("kind", "UploadedNdjson"), "expiryTime", bad));
            assertEquals(400, refused.status(), refused.body());
            assertEquals("dataset.bad_expiry_time", code(refused));
        }
        String keep = readyDataset("keep", null);
        String expiring = readyDataset("expiring", t0 + 2 * DAY);
        String held = readyDataset("held", t0 + 2 * DAY);
        String neverUploaded = dataset("never-uploaded", null);
        String uploadedNeverLooked = dataset("uploaded-not-looked-at", null);
        upload(uploadedNeverLooked);
        String model = ok(call("POST", "/models", Map.of("name", "never-uploaded", "task", "ImageClassification",
                "source", Map.of("kind", "UploadedOnnx"), "labels", List.of("a", "b"))), 201).get("id").asText();
        // a job that runs past the expiry (without stopAtTime, the sweep would time it out after 24 h)
        String holder = ok(call("POST", "/batch/jobs", jobOn(held, HandlerFixture.MODEL, webhookId, t0 + 10 * DAY)), 201)
                .get("id").asText();

        now.set(t0 + 3 * DAY);
        List<String> visible = listed(Map.of());
        assertTrue(visible.contains(keep));
        assertFalse(visible.contains(expiring), "an expired dataset is not listed");
        assertTrue(listed(Map.of("showExpired", "true")).contains(expiring));
        assertEquals("dataset.expired", code(call("POST", "/batch/jobs", jobOn(expiring, HandlerFixture.MODEL))));
        assertEquals("request.bad_show_expired", code(call("GET", "/batch/datasets", null, Map.of("showExpired", "yes"))));
        String cursor = ok(call("GET", "/batch/datasets", null, Map.of("showExpired", "true", "limit", "1")), 200)
                .get("nextPage").asText();
        assertEquals("request.bad_cursor", code(call("GET", "/batch/datasets", null, Map.of("page", cursor))),
                "a cursor of the listing with expired datasets continues no other");
        assertEquals(200, call("GET", "/batch/datasets", null, Map.of("page", cursor, "showExpired", "true")).status());

        Scheduler.Sweep sweep = services.scheduler().sweep();
        assertTrue(sweep.expired() >= 1 && sweep.abandoned() >= 2, sweep.toString());
        JsonNode gone = ok(call("GET", "/batch/datasets/" + expiring, null), 200);
        assertEquals("Expired", gone.at("/status/overview").asText());
        assertEquals("dataset.expired", code(call("POST", "/batch/jobs", jobOn(expiring, HandlerFixture.MODEL))),
                "once swept too: not dataset.not_ready, whose message says to upload the file again");
        assertFalse(fileExists(expiring), "the expired dataset's file is deleted");
        assertTrue(fileExists(keep));
        assertEquals(404, call("GET", "/batch/datasets/" + neverUploaded, null).status(), "Uploading for 24 h: deleted");
        assertEquals(404, call("GET", "/models/" + model, null).status(), "a model Uploading for 24 h: deleted");
        assertEquals("Validating", ok(call("GET", "/batch/datasets/" + uploadedNeverLooked, null), 200)
                .at("/status/overview").asText(), "a file that came is validated, not deleted");
        assertEquals("Ready", ok(call("GET", "/batch/datasets/" + held, null), 200).at("/status/overview").asText(),
                "a job that has not ended holds its dataset past its expiry");
        assertTrue(fileExists(held));

        ok(call("POST", "/batch/jobs/" + holder + ":cancel", null), 200);
        services.scheduler().sweep();
        assertEquals("Expired", ok(call("GET", "/batch/datasets/" + held, null), 200).at("/status/overview").asText());
        assertFalse(fileExists(held));
    }

    @Test
    void aDeleteRacingJobCreates_eitherWaitsForTheJobOrRefusesIt_neverBothSucceed() throws Exception {
        int jobsWon = 0;
        int deletesWon = 0;
        for (int round = 0; round < 8; round++) {
            String id = readyDataset("race" + round, null);
            CyclicBarrier together = new CyclicBarrier(2);
            ApiRouter.Response[] create = new ApiRouter.Response[1];
            Thread creator = new Thread(() -> {
                await(together);
                create[0] = call("POST", "/batch/jobs", jobOn(id, HandlerFixture.MODEL));
            });
            creator.start();
            await(together);
            ApiRouter.Response delete = call("DELETE", "/batch/datasets/" + id, null);
            creator.join();
            if (create[0].status() == 201) {
                jobsWon++;
                assertEquals(409, delete.status(), "a job holds the dataset: " + delete.body());
                assertEquals("dataset.in_use", code(delete));
                assertTrue(fileExists(id), "the job's file stays");
            } else {
                deletesWon++;
                assertEquals(200, delete.status(), delete.body());
                assertTrue(List.of("dataset.not_found", "dataset.not_ready").contains(code(create[0])), create[0].body());
                assertFalse(fileExists(id));
            }
        }
        assertEquals(8, jobsWon + deletesWon);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void deletingAModelOrWebhookInUse_is409NamingTheDeploymentOrJob() {
        String modelId = "model_inuse0001";
        Model ready = fixture.readyModel();
        services.catalog().put(HandlerFixture.PROJECT, modelId, new Model(modelId, Model.OBJECT, "m", HandlerFixture.PROJECT,
                ready.task(), ready.source(), ready.preprocess(), ready.labels(), ready.status(), 0, 0));
        String deployment = ok(call("POST", "/deployments", Map.of("name", "d", "modelId", modelId)), 201)
                .get("id").asText();
        ApiRouter.Response byDeployment = call("DELETE", "/models/" + modelId, null);
        assertEquals(409, byDeployment.status(), byDeployment.body());
        assertEquals("model.in_use", code(byDeployment));
        assertTrue(byDeployment.body().contains(deployment), byDeployment.body());
        ok(call("DELETE", "/deployments/" + deployment, null), 200);

        String hook = ok(call("POST", "/batch/webhooks", Map.of("name", "own-hook",
                "spec", Map.of("endpoint", "https://hooks.example.com/own"))), 201).get("id").asText();
        String job = ok(call("POST", "/batch/jobs", jobOn(readyDataset("in-use", null), modelId, hook, null)), 201)
                .get("id").asText();
        ApiRouter.Response byJob = call("DELETE", "/models/" + modelId, null);
        assertEquals("model.in_use", code(byJob));
        assertTrue(byJob.body().contains(job), byJob.body());
        ApiRouter.Response hookByJob = call("DELETE", "/batch/webhooks/" + hook, null);
        assertEquals(409, hookByJob.status(), hookByJob.body());
        assertEquals("webhook.in_use", code(hookByJob));
        assertTrue(hookByJob.body().contains(job), hookByJob.body());

        ok(call("POST", "/batch/jobs/" + job + ":cancel", null), 200);
        ok(call("DELETE", "/models/" + modelId, null), 200);
        ok(call("DELETE", "/batch/webhooks/" + hook, null), 200);
        assertEquals(404, call("GET", "/models/" + modelId, null).status());
    }
}
