package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 item 5, idempotent creates, through the router on the emulators (every exchange checked against the OpenAPI
 * document): a replay answers the first answer with {@code Idempotent-Replayed: true} and creates nothing; another
 * body with the key is 409; 20 concurrent identical POSTs create one resource; two projects using one key never see
 * each other's answers; a failed request frees its key; the stored answer of an API key create does not hold the
 * key's secret in the clear.
 */
class IdempotentCreateTest {
    static final String OTHER = "proj_idem_other";
    static final String OTHER_KEY = "sk_idem_other_project_key_0001";
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

    static ApiRouter.Response post(String project, String apiKey, String path, String idempotencyKey, Object body) {
        Map<String, String> headers = idempotencyKey == null ? Map.of("Authorization", "Bearer " + apiKey)
                : Map.of("Authorization", "Bearer " + apiKey, "Idempotency-Key", idempotencyKey);
        return router.handle(new ApiRouter.Request("POST", "/v1/projects/" + project + path, Map.of(), headers,
                body instanceof String text ? text : Json.write(body)));
    }

    static ApiRouter.Response post(String path, String idempotencyKey, Object body) {
        return post(HandlerFixture.PROJECT, HandlerFixture.API_KEY, path, idempotencyKey, body);
    }

    static Map<String, Object> dataset(String name) {
        return Map.of("name", name, "source", Map.of("kind", "UploadedNdjson"));
    }

    /** The ids of the project's datasets named so. */
    static List<String> datasetsNamed(String project, String apiKey, String name) {
        ApiRouter.Response r = router.handle(new ApiRouter.Request("GET", "/v1/projects/" + project + "/batch/datasets",
                Map.of("limit", "1000"), Map.of("Authorization", "Bearer " + apiKey), null));
        assertEquals(200, r.status(), r.body());
        List<String> ids = new ArrayList<>();
        Json.tree(r.body()).path("data").forEach(d -> {
            if (name.equals(d.path("name").asText())) {
                ids.add(d.path("id").asText());
            }
        });
        return ids;
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    @Test
    void sameKeySameBody_answersTheFirstAnswer_markedReplayed_andCreatesNothing() {
        ApiRouter.Response first = post("/batch/datasets", "key-replay-1", dataset("replayed"));
        assertEquals(201, first.status(), first.body());
        assertNull(first.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
        ApiRouter.Response again = post("/batch/datasets", "key-replay-1", dataset("replayed"));
        assertEquals(201, again.status(), again.body());
        assertEquals("true", again.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
        assertEquals(first.body(), again.body());
        assertEquals(first.headers().get("Location"), again.headers().get("Location"));
        assertNotEquals(first.headers().get(ApiRouter.REQUEST_ID), again.headers().get(ApiRouter.REQUEST_ID));
        assertEquals(List.of(Json.tree(first.body()).get("id").asText()),
                datasetsNamed(HandlerFixture.PROJECT, HandlerFixture.API_KEY, "replayed"));
    }

    @Test
    void sameKeySameBodyFormattedOtherwise_isTheSameRequest() {
        ApiRouter.Response first = post("/batch/datasets", "key-format-1",
                "{\"name\":\"formatted\",\"source\":{\"kind\":\"UploadedNdjson\"}}");
        assertEquals(201, first.status(), first.body());
        ApiRouter.Response again = post("/batch/datasets", "key-format-1",
                "{ \"source\": { \"kind\": \"UploadedNdjson\" },\n  \"name\": \"formatted\" }");
        assertEquals(201, again.status(), again.body());
        assertEquals("true", again.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
        assertEquals(first.body(), again.body());
    }

    @Test
    void sameKeyOtherBody_orOtherRoute_is409_idempotencyConflict() {
        assertEquals(201, post("/batch/datasets", "key-conflict-1", dataset("first")).status());
        ApiRouter.Response other = post("/batch/datasets", "key-conflict-1", dataset("second"));
        assertEquals(409, other.status(), other.body());
        assertEquals("request.idempotency_conflict", code(other));
        ApiRouter.Response otherRoute = post("/api-keys", "key-conflict-1", Map.of("name", "first"));
        assertEquals(409, otherRoute.status(), otherRoute.body());
        assertEquals("request.idempotency_conflict", code(otherRoute));
        assertTrue(datasetsNamed(HandlerFixture.PROJECT, HandlerFixture.API_KEY, "second").isEmpty());
    }

    @Test
    void twentyConcurrentIdenticalPosts_createExactlyOneResource() throws Exception {
        int n = 20;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ApiRouter.Response>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return post("/batch/datasets", "key-concurrent-1", dataset("concurrent"));
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            int fresh = 0;
            for (Future<ApiRouter.Response> f : answers) {
                ApiRouter.Response r = f.get();
                assertEquals(201, r.status(), r.body());
                ids.add(Json.tree(r.body()).get("id").asText());
                if (r.headers().get(ApiRouter.IDEMPOTENT_REPLAYED) == null) {
                    fresh++;
                }
            }
            assertEquals(1, ids.size(), "every answer names the one dataset: " + ids);
            assertEquals(1, fresh, "one answer is the first, the others replays");
            assertEquals(List.copyOf(ids), datasetsNamed(HandlerFixture.PROJECT, HandlerFixture.API_KEY, "concurrent"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoProjectsUsingOneKey_neverSeeEachOthersAnswer() {
        ApiRouter.Response mine = post("/batch/datasets", "key-shared-1", dataset("shared"));
        ApiRouter.Response theirs = post(OTHER, OTHER_KEY, "/batch/datasets", "key-shared-1", dataset("shared"));
        assertEquals(201, mine.status(), mine.body());
        assertEquals(201, theirs.status(), theirs.body());
        assertNull(theirs.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
        assertNotEquals(Json.tree(mine.body()).get("id"), Json.tree(theirs.body()).get("id"));
        assertEquals(OTHER, Json.tree(theirs.body()).path("projectId").asText(OTHER));
        // another body under the other project's key is no conflict here either
        ApiRouter.Response otherBody = post(OTHER, OTHER_KEY, "/batch/datasets", "key-shared-2", dataset("x"));
        assertEquals(201, otherBody.status());
        assertEquals(201, post("/batch/datasets", "key-shared-2", dataset("y")).status());
    }

    @Test
    void aFailedRequest_freesItsKey() {
        ApiRouter.Response refused = post("/batch/datasets", "key-failed-1", Map.of("name", "fixed",
                "source", Map.of("kind", "NoSuchKind")));
        assertEquals(400, refused.status(), refused.body());
        ApiRouter.Response fixed = post("/batch/datasets", "key-failed-1", dataset("fixed"));
        assertEquals(201, fixed.status(), fixed.body());
        assertNull(fixed.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
    }

    @Test
    void aMalformedKey_is400_badIdempotencyKey_andCreatesNothing() {
        for (String bad : List.of("", "has space", "x".repeat(256), "ключ", "a/b")) {
            ApiRouter.Response r = post("/batch/datasets", bad, dataset("malformed"));
            assertEquals(400, r.status(), bad + ": " + r.body());
            assertEquals("request.bad_idempotency_key", code(r));
        }
        assertTrue(datasetsNamed(HandlerFixture.PROJECT, HandlerFixture.API_KEY, "malformed").isEmpty());
        assertEquals(201, post("/batch/datasets", "x".repeat(255), dataset("longest")).status());
    }

    @Test
    void anApiKeyCreate_replaysItsSecret_whichTheStoredRecordDoesNotHoldInTheClear() {
        ApiRouter.Response first = post("/api-keys", "key-apikey-1", Map.of("name", "ci"));
        assertEquals(201, first.status(), first.body());
        String secret = Json.tree(first.body()).path("key").asText();
        assertFalse(secret.isEmpty(), first.body());
        ApiRouter.Response again = post("/api-keys", "key-apikey-1", Map.of("name", "ci"));
        assertEquals("true", again.headers().get(ApiRouter.IDEMPOTENT_REPLAYED));
        assertEquals(first.body(), again.body());
        var rows = fixture.clients.dynamo().scan(b -> b.tableName(fixture.config.catalogTable())).items();
        int records = 0;
        for (var row : rows) {
            if (row.get("id").s().startsWith("idem_")) {
                records++;
                assertFalse(row.toString().contains(secret), "a stored record holds the secret in the clear");
                assertFalse(row.toString().contains("key-apikey-1"), "a stored record holds the idempotency key");
            }
        }
        assertTrue(records > 0);
    }

    @Test
    void aRouteThatCreatesNothing_ignoresTheHeader() {
        JsonNode ignored = Json.tree(router.handle(new ApiRouter.Request("GET", "/v1/projects/" + HandlerFixture.PROJECT
                + "/batch/datasets", Map.of(), Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY,
                "Idempotency-Key", "not checked here!"), null)).body());
        assertTrue(ignored.has("data"));
    }
}
