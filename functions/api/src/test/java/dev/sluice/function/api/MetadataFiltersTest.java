package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.model.Model;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Issue 23 item 6, through the REST API on DynamoDB Local: metadata on jobs, executions and datasets, checked with
 * codes; listings filtered by status, namePrefix, metadata.<key> and creation time, page by page with cursors bound to
 * their filter; another project's records never listed whatever the filter.
 */
class MetadataFiltersTest {
    static final String OTHER = "proj_metadata_other";
    static final String OTHER_KEY = "sk_metadata_other_project_key_01";
    static HandlerFixture fixture;
    static ApiRouter router;
    static Model model;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        LocalProvisioner.bootstrapKey(fixture.clients.dynamo(), fixture.config, OTHER, OTHER_KEY);
        model = new Model("model_meta000000001", Model.OBJECT, "m", HandlerFixture.PROJECT, Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, List.of("a", "b"),
                new Model.Status(Model.State.Ready, null, "etag", 1L, null), 0, 0);
        fixture.services.catalog().put(HandlerFixture.PROJECT, model.id(), model);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String project, String key, String path, Map<String, String> query,
                                   Object body) {
        return router.handle(new ApiRouter.Request(method, "/v1/projects/" + project + path, query,
                Map.of("Authorization", "Bearer " + key), body == null ? null : Json.write(body)));
    }

    static ApiRouter.Response call(String method, String path, Map<String, String> query, Object body) {
        return call(method, HandlerFixture.PROJECT, HandlerFixture.API_KEY, path, query, body);
    }

    static JsonNode created(String path, Object body) {
        ApiRouter.Response r = call("POST", path, Map.of(), body);
        assertEquals(201, r.status(), path + ": " + r.body());
        return Json.tree(r.body());
    }

    static String code(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error").path("code").asText();
    }

    static JsonNode dataset(String name, Map<String, String> metadata) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", name, "source", Map.of("kind", "UploadedNdjson")));
        if (metadata != null) {
            body.put("metadata", metadata);
        }
        return created("/batch/datasets", body);
    }

    /** Every id the filtered listing returns, following nextPage with pages of one. */
    static List<String> listAll(String path, Map<String, String> filter) {
        List<String> ids = new ArrayList<>();
        Map<String, String> query = new HashMap<>(filter);
        query.put("limit", "1");
        for (int pages = 0; pages < 100; pages++) {
            ApiRouter.Response r = call("GET", path, query, null);
            assertEquals(200, r.status(), r.body());
            JsonNode page = Json.tree(r.body());
            page.get("data").forEach(d -> ids.add(d.get("id").asText()));
            if (page.path("nextPage").isNull() || page.path("nextPage").isMissingNode()) {
                return ids;
            }
            query.put("page", page.get("nextPage").asText());
        }
        throw new AssertionError("more than 100 pages");
    }

    @Test
    void metadata_isStoredAndReturned_onDatasetsExecutionsAndJobs() {
        JsonNode d = dataset("tagged", Map.of("team", "vision", "run", "42"));
        assertEquals(Map.of("team", "vision", "run", "42"), Json.MAPPER.convertValue(d.get("metadata"), Map.class));
        JsonNode read = Json.tree(call("GET", "/batch/datasets/" + d.get("id").asText(), Map.of(), null).body());
        assertEquals("vision", read.path("metadata").path("team").asText());
        assertEquals(0, dataset("plain", null).get("metadata").size(), "no metadata is {}");

        JsonNode e = created("/executions", Map.of("model", Map.of("id", model.id()), "bucket",
                HandlerFixture.EXECUTIONS_BUCKET, "sourceFolder", "in-meta", "destinationFolder", "out-meta",
                "metadata", Map.of("team", "tabular")));
        JsonNode er = Json.tree(call("GET", "/executions/" + e.get("id").asText(), Map.of(), null).body());
        assertEquals("tabular", er.path("metadata").path("team").asText());

        Dataset ready = fixture.services.datasets().get(HandlerFixture.PROJECT, d.get("id").asText());
        fixture.services.catalog().put(HandlerFixture.PROJECT, ready.id(), ready.withStatus(
                new Dataset.Status(Dataset.State.Ready, null, 1L, 10L, "etag", null), 2));
        JsonNode job = created("/batch/jobs", Map.of("name", "tagged-job", "metadata", Map.of("team", "vision"),
                "spec", Map.of("datasetId", ready.id(), "deployment", Map.of("modelId", model.id()))));
        assertEquals("vision", job.path("metadata").path("team").asText());
        JsonNode jr = Json.tree(call("GET", "/batch/jobs/" + job.get("id").asText(), Map.of(), null).body());
        assertEquals("vision", jr.path("metadata").path("team").asText());
        assertEquals(List.of(job.get("id").asText()), listAll("/batch/jobs", Map.of("metadata.team", "vision",
                "namePrefix", "tagged-", "status", "Waiting")));
        assertEquals(List.of(), listAll("/batch/jobs", Map.of("metadata.team", "vision", "status", "Running")));
        assertEquals(List.of(e.get("id").asText()), listAll("/executions", Map.of("metadata.team", "tabular")));
    }

    @Test
    void datasetListing_filtersByMetadataNamePrefixStatusAndTime_pageByPage() {
        List<String> a = new ArrayList<>();
        List<String> all = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            JsonNode d = dataset((i % 2 == 0 ? "filter-even-" : "filter-odd-") + i,
                    Map.of("suite", "filters", "group", i < 3 ? "a" : "b"));
            all.add(0, d.get("id").asText());
            times.add(d.get("createTime").asLong());
            if (i < 3) {
                a.add(0, d.get("id").asText());
            }
        }
        assertEquals(all, listAll("/batch/datasets", Map.of("metadata.suite", "filters")));
        assertEquals(a, listAll("/batch/datasets", Map.of("metadata.suite", "filters", "metadata.group", "a")));
        assertEquals(List.of(all.get(0), all.get(2), all.get(4)),
                listAll("/batch/datasets", Map.of("metadata.suite", "filters", "namePrefix", "filter-even-")));
        assertEquals(all, listAll("/batch/datasets", Map.of("metadata.suite", "filters", "status", "Uploading")));
        assertEquals(List.of(), listAll("/batch/datasets", Map.of("metadata.suite", "filters", "status", "Ready")));
        // exclusive bounds on createTime: the records created strictly between the first and the last
        Set<String> between = new TreeSet<>(listAll("/batch/datasets", Map.of("metadata.suite", "filters",
                "createdAfter", Long.toString(times.get(0)), "createdBefore", Long.toString(times.get(4)))));
        Set<String> expected = new TreeSet<>();
        for (int i = 0; i < 5; i++) {
            if (times.get(i) > times.get(0) && times.get(i) < times.get(4)) {
                expected.add(all.get(4 - i));
            }
        }
        assertEquals(expected, between);
        // the other project sees none of them, whatever the filter
        ApiRouter.Response theirs = call("GET", OTHER, OTHER_KEY, "/batch/datasets", Map.of("metadata.suite", "filters"), null);
        assertEquals(200, theirs.status(), theirs.body());
        assertEquals(0, Json.tree(theirs.body()).get("data").size());
    }

    @Test
    void aCursor_isBoundToItsFilter() {
        for (int i = 0; i < 3; i++) {
            dataset("bound-" + i, Map.of("suite", "cursor"));
        }
        JsonNode first = Json.tree(call("GET", "/batch/datasets", Map.of("metadata.suite", "cursor", "limit", "1"), null).body());
        String next = first.get("nextPage").asText();
        assertEquals(200, call("GET", "/batch/datasets", Map.of("metadata.suite", "cursor", "limit", "1", "page", next), null).status());
        for (Map<String, String> other : List.of(Map.of("page", next), Map.of("metadata.suite", "other", "page", next),
                Map.of("metadata.suite", "cursor", "namePrefix", "bound-", "page", next))) {
            ApiRouter.Response r = call("GET", "/batch/datasets", other, null);
            assertEquals(400, r.status(), other + ": " + r.body());
            assertEquals("request.bad_cursor", code(r));
        }
        ApiRouter.Response jobs = call("GET", "/batch/jobs", Map.of("metadata.suite", "cursor", "page", next), null);
        assertEquals("request.bad_cursor", code(jobs), "nor another kind's listing");
        ApiRouter.Response theirs = call("GET", OTHER, OTHER_KEY, "/batch/datasets",
                Map.of("metadata.suite", "cursor", "limit", "1", "page", next), null);
        assertEquals("request.bad_cursor", code(theirs), "nor another project's");
    }

    @Test
    void badMetadataAndBadFilters_areRefusedWithCodes() {
        Map<String, String> seventeen = new HashMap<>();
        for (int i = 0; i < 17; i++) {
            seventeen.put("k" + i, "v");
        }
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("metadata.too_many_pairs", seventeen);
        cases.put("metadata.bad_key", Map.of("has space", "v"));
        cases.put("metadata.value_too_long", Map.of("k", "x".repeat(513)));
        cases.put("metadata.bad_value", Map.of("k", "line\nbreak"));
        cases.put("request.wrong_type", Map.of("k", 1));
        for (Map.Entry<String, Object> c : cases.entrySet()) {
            ApiRouter.Response r = call("POST", "/batch/datasets", Map.of(), Map.of("name", "bad",
                    "source", Map.of("kind", "UploadedNdjson"), "metadata", c.getValue()));
            assertEquals(400, r.status(), c.getKey() + ": " + r.body());
            assertEquals(c.getKey(), code(r), r.body());
        }
        Map<String, Object> limits = new HashMap<>();
        for (int i = 0; i < 16; i++) {
            limits.put("k".repeat(50) + String.format("%014d", i), "v".repeat(512));
        }
        assertEquals(16, dataset("at-the-limits", null).size() > 0 ? created("/batch/datasets", Map.of("name", "limits",
                "source", Map.of("kind", "UploadedNdjson"), "metadata", limits)).get("metadata").size() : -1);

        Map<String, Map<String, String>> queries = new LinkedHashMap<>();
        queries.put("request.bad_status", Map.of("status", "Done"));
        queries.put("request.bad_created_after", Map.of("createdAfter", "yesterday"));
        queries.put("request.bad_created_before", Map.of("createdBefore", "1.5"));
        queries.put("request.bad_metadata_filter", Map.of("metadata.a b", "x"));
        for (Map.Entry<String, Map<String, String>> q : queries.entrySet()) {
            ApiRouter.Response r = call("GET", "/batch/jobs", q.getValue(), null);
            assertEquals(q.getKey(), code(r), r.body());
        }
        ApiRouter.Response executions = call("GET", "/executions", Map.of("namePrefix", "x"), null);
        assertEquals("request.unknown_parameter", code(executions), "executions have no name");
        ApiRouter.Response models = call("GET", "/models", Map.of("metadata.team", "x"), null);
        assertEquals("request.unknown_parameter", code(models), "only the listings of issue 23 filter");
        assertNull(Json.tree(call("GET", "/batch/jobs", Map.of("status", "Waiting"), null).body()).get("error"));
    }
}
