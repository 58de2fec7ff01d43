package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.deadletter.DeadLetter;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API's promises at its edge: every route refuses another project's key with 404 and a missing or wrong key
 * with 401; bodies and query parameters are validated with stable codes; the body limit holds; keys are created,
 * listed by prefix only and revoked.
 */
class ApiContractTest {
    static final String OTHER_PROJECT = "proj_other";
    static final String OTHER_KEY = "sk_other_project_key_0001";

    static HandlerFixture fixture;
    static ApiRouter router;
    static Map<String, String> ids = new HashMap<>();

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        fixture.services.apiKeys().register(OTHER_PROJECT, OTHER_KEY);
        fixture.readyModel();
        fixture.job(4, null);
        ids.put("job", HandlerFixture.JOB);
        ids.put("model", HandlerFixture.MODEL);
        ids.put("dataset", created("/batch/datasets", Map.of("name", "photos", "source", Map.of("kind", "UploadedNdjson"))));
        ids.put("webhook", created("/batch/webhooks", Map.of("name", "hook", "spec", Map.of("endpoint", "https://example.com/hook"))));
        ids.put("deployment", created("/deployments", Map.of("name", "d", "modelId", HandlerFixture.MODEL)));
        ids.put("key", created("/api-keys", Map.of("name", "ci")));
        ids.put("execution", created("/executions", Map.of("model", Map.of("id", HandlerFixture.MODEL),
                "bucket", HandlerFixture.EXECUTIONS_BUCKET, "sourceFolder", "in", "destinationFolder", "out")));
        DeadLetter letter = new DeadLetter("dlq_contract0001", DeadLetter.OBJECT, HandlerFixture.PROJECT,
                HandlerFixture.JOB, "INFERENCE", "b0", "m1", List.of(0L, 1L), null, "inference.dead_lettered: test", 1, null);
        fixture.services.catalog().put(HandlerFixture.PROJECT, letter.id(), letter);
        ids.put("deadLetter", letter.id());
        ids.put("requestId", "6f1c1f8e-0000-3000-8000-000000000000");
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String path, String key, String body, Map<String, String> query) {
        Map<String, String> headers = key == null ? Map.of() : Map.of("Authorization", "Bearer " + key);
        return router.handle(new ApiRouter.Request(method, path, query, headers, body));
    }

    static String created(String collection, Object body) {
        ApiRouter.Response r = call("POST", "/v1/projects/" + HandlerFixture.PROJECT + collection, HandlerFixture.API_KEY,
                Json.write(body), Map.of());
        assertEquals(201, r.status(), r.body());
        return Json.tree(r.body()).get("id").asText();
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    /** Every route that names a resource: method, path under the project, and a body where it takes one. */
    static List<String[]> resourceRoutes() {
        return List.of(
                new String[]{"GET", "/batch/datasets/{dataset}", null},
                new String[]{"DELETE", "/batch/datasets/{dataset}", null},
                new String[]{"GET", "/models/{model}", null},
                new String[]{"DELETE", "/models/{model}", null},
                new String[]{"GET", "/deployments/{deployment}", null},
                new String[]{"DELETE", "/deployments/{deployment}", null},
                new String[]{"GET", "/batch/webhooks/{webhook}", null},
                new String[]{"PUT", "/batch/webhooks/{webhook}", "{\"name\":\"renamed\"}"},
                new String[]{"DELETE", "/batch/webhooks/{webhook}", null},
                new String[]{"PUT", "/batch/webhooks/{webhook}/secret", "{}"},
                new String[]{"POST", "/batch/webhooks/{webhook}:test", "{}"},
                new String[]{"GET", "/batch/webhooks/{webhook}/deliveries", null},
                new String[]{"POST", "/batch/webhooks/{webhook}/deliveries/{requestId}:replay", "{}"},
                new String[]{"GET", "/batch/jobs/{job}", null},
                new String[]{"DELETE", "/batch/jobs/{job}", null},
                new String[]{"POST", "/batch/jobs/{job}:cancel", "{}"},
                new String[]{"POST", "/batch/jobs/{job}:retry", "{}"},
                new String[]{"GET", "/batch/jobs/{job}/lineage", null},
                new String[]{"GET", "/batch/jobs/{job}/logs", null},
                new String[]{"GET", "/batch/jobs/{job}/items", null},
                new String[]{"GET", "/batch/jobs/{job}/results", null},
                new String[]{"GET", "/dead-letters/{deadLetter}", null},
                new String[]{"POST", "/dead-letters/{deadLetter}:redrive", "{}"},
                new String[]{"DELETE", "/api-keys/{key}", null},
                new String[]{"GET", "/executions/{execution}", null},
                new String[]{"GET", "/executions/{execution}/report", null},
                new String[]{"POST", "/executions/{execution}:cancel", "{}"});
    }

    /** Every collection route: list and create. */
    static List<String[]> collectionRoutes() {
        return List.of(new String[]{"GET", "/batch/datasets"}, new String[]{"POST", "/batch/datasets"},
                new String[]{"GET", "/models"}, new String[]{"POST", "/models"},
                new String[]{"GET", "/deployments"}, new String[]{"POST", "/deployments"},
                new String[]{"GET", "/batch/webhooks"}, new String[]{"POST", "/batch/webhooks"},
                new String[]{"GET", "/batch/jobs"}, new String[]{"POST", "/batch/jobs"},
                new String[]{"GET", "/dead-letters"}, new String[]{"GET", "/api-keys"}, new String[]{"POST", "/api-keys"},
                new String[]{"GET", "/executions"}, new String[]{"POST", "/executions"},
                new String[]{"GET", "/execution-role"});
    }

    static String fill(String template) {
        String path = template;
        for (Map.Entry<String, String> e : ids.entrySet()) {
            path = path.replace("{" + e.getKey() + "}", e.getValue());
        }
        return path;
    }

    @Test
    void everyRoute_refusesOtherProjectsKeysWith404_andMissingOrWrongKeysWith401() {
        int checked = 0;
        for (String[] route : resourceRoutes()) {
            String own = "/v1/projects/" + HandlerFixture.PROJECT + fill(route[1]);
            String theirs = "/v1/projects/" + OTHER_PROJECT + fill(route[1]);
            ApiRouter.Response crossProject = call(route[0], own, OTHER_KEY, route[2], Map.of());
            assertEquals(404, crossProject.status(), route[0] + " " + own + ": " + crossProject.body());
            ApiRouter.Response crossResource = call(route[0], theirs, OTHER_KEY, route[2], Map.of());
            assertEquals(404, crossResource.status(), route[0] + " " + theirs + ": " + crossResource.body());
            assertTrue(code(crossResource).endsWith("not_found"), crossResource.body());
            assertEquals("auth.missing_key", code(call(route[0], own, null, route[2], Map.of())), own);
            assertEquals(401, call(route[0], own, "sk_wrong_wrong_wrong_wrong", route[2], Map.of()).status(), own);
            checked++;
        }
        for (String[] route : collectionRoutes()) {
            String own = "/v1/projects/" + HandlerFixture.PROJECT + route[1];
            ApiRouter.Response cross = call(route[0], own, OTHER_KEY, "{\"name\":\"x\"}", Map.of());
            assertEquals(404, cross.status(), route[0] + " " + own);
            assertEquals("project.not_found", code(cross));
            assertEquals(401, call(route[0], own, null, "{}", Map.of()).status());
            checked++;
        }
        assertEquals(43, checked);
        // nothing of the first project was touched by the other key
        assertEquals("Waiting", fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().overview().name());
        assertEquals("hook", fixture.services.webhooks().get(HandlerFixture.PROJECT, ids.get("webhook")).name());
        assertTrue(fixture.services.deployments().get(HandlerFixture.PROJECT, ids.get("deployment")) != null);
    }

    @Test
    void badBodiesAndParameters_getStableCodes_andTheBodyLimitHolds() {
        String base = "/v1/projects/" + HandlerFixture.PROJECT;
        String key = HandlerFixture.API_KEY;
        Map<String, ApiRouter.Response> cases = new java.util.LinkedHashMap<>();
        cases.put("request.malformed_json", call("POST", base + "/batch/datasets", key, "{\"name\":", Map.of()));
        cases.put("request.body_required", call("POST", base + "/batch/webhooks", key, "", Map.of()));
        cases.put("job.spec_required", call("POST", base + "/batch/jobs", key, "{\"name\":\"j\"}", Map.of()));
        cases.put("request.bad_limit", call("GET", base + "/batch/jobs", key, null, Map.of("limit", "abc")));
        cases.put("request.bad_limit ", call("GET", base + "/batch/jobs", key, null, Map.of("limit", "100000")));
        cases.put("request.bad_cursor", call("GET", base + "/models", key, null, Map.of("page", "not-a-cursor")));
        cases.put("logs.bad_max_entries", call("GET", base + "/batch/jobs/" + HandlerFixture.JOB + "/logs", key, null,
                Map.of("maxEntries", "0")));
        cases.put("logs.bad_min_level", call("GET", base + "/batch/jobs/" + HandlerFixture.JOB + "/logs", key, null,
                Map.of("minLevel", "Debug")));
        cases.put("webhook.bad_timeout", call("POST", base + "/batch/webhooks", key,
                "{\"name\":\"w\",\"spec\":{\"endpoint\":\"https://example.com/h\",\"timeoutMs\":999999}}", Map.of()));
        cases.put("request.too_large", call("POST", base + "/batch/datasets", key,
                "{\"name\":\"" + "x".repeat(ApiRouter.MAX_BODY_BYTES) + "\"}", Map.of()));
        cases.put("route.not_found", call("GET", base + "/nothing-here", key, null, Map.of()));
        // numbers that cannot mean what they say (issue 20 item 8): a fraction for an integer, an infinite mean, a
        // subnormal std
        cases.put("request.wrong_type  ", call("POST", base + "/deployments", key,
                "{\"name\":\"d\",\"modelId\":\"model_x\",\"target\":\"Lambda\",\"batchSize\":2.5}", Map.of()));
        String model = "{\"name\":\"m\",\"task\":\"ImageClassification\",\"source\":{\"kind\":\"UploadedOnnx\"},"
                + "\"labels\":[\"a\"],\"preprocess\":";
        cases.put("model.bad_preprocess", call("POST", base + "/models", key,
                model + "{\"mean\":[1e309,0.4,0.4],\"std\":[0.2,0.2,0.2]}}", Map.of()));
        cases.put("model.bad_preprocess ", call("POST", base + "/models", key,
                model + "{\"mean\":[0.4,0.4,0.4],\"std\":[1e-310,0.2,0.2]}}", Map.of()));
        cases.forEach((expected, response) -> {
            assertEquals(expected.trim(), code(response), response.body());
            assertTrue(response.status() >= 400 && response.status() < 500, response.body());
            assertFalse(response.body().contains(key), "an error never echoes the key");
        });
        assertEquals(413, cases.get("request.too_large").status());
    }

    @Test
    void keys_areCreatedOnce_listedByPrefix_andRevokedAtOnce() {
        String base = "/v1/projects/" + HandlerFixture.PROJECT + "/api-keys";
        ApiRouter.Response created = call("POST", base, HandlerFixture.API_KEY, "{\"name\":\"deploy bot\"}", Map.of());
        JsonNode key = Json.tree(created.body());
        String secret = key.get("key").asText();
        assertTrue(secret.startsWith("sk_") && secret.length() > 40, "the key itself, shown this once");
        assertEquals(200, call("GET", base, secret, null, Map.of()).status(), "the new key works");

        ApiRouter.Response listed = call("GET", base, HandlerFixture.API_KEY, null, Map.of("limit", "100"));
        assertFalse(listed.body().contains(secret), "a listing never shows a key");
        assertFalse(listed.body().contains("keyHash"));
        JsonNode mine = null;
        for (JsonNode k : Json.tree(listed.body()).get("data")) {
            if (k.get("id").asText().equals(key.get("id").asText())) {
                mine = k;
            }
        }
        assertEquals(secret.substring(0, 10), mine.get("prefix").asText());

        ApiRouter.Response self = call("DELETE", base + "/" + key.get("id").asText(), secret, null, Map.of());
        assertEquals(409, self.status());
        assertEquals("key.revoking_own_key", code(self));
        ApiRouter.Response revoked = call("DELETE", base + "/" + key.get("id").asText(), HandlerFixture.API_KEY, null, Map.of());
        assertEquals(200, revoked.status(), revoked.body());
        assertTrue(Json.tree(revoked.body()).get("revokedTime").asLong() > 0);
        ApiRouter.Response after = call("GET", base, secret, null, Map.of());
        assertEquals(401, after.status());
        assertEquals("auth.invalid_key", code(after));
        // stored as a hash: the keys table holds no key in clear
        var rows = fixture.clients.dynamo().scan(b -> b.tableName(fixture.config.keysTable())).items();
        assertTrue(rows.size() >= 3);
        rows.forEach(row -> assertFalse(row.toString().contains(secret), row.toString()));
    }
}
