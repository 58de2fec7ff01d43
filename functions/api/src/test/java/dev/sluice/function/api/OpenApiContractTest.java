package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document ({@code docs/openapi.yaml}) against the api function: the route table and the document name
 * the same operations and query parameters, both ways; README's route list is the document's; the document is
 * served without a key; and the strict-request rules the document states hold on every create route (an unknown
 * field is refused naming its JSON path, a wrong type is refused, an unknown query parameter is refused). Every
 * exchange here, and in the other REST tests of this module, is also checked by {@link OpenApiContract}.
 */
class OpenApiContractTest {
    static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");
    static final String P = "/v1/projects/" + HandlerFixture.PROJECT;
    static HandlerFixture fixture;
    static ApiRouter router;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        fixture.readyModel();
        fixture.job(4, null);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String path, String body, Map<String, String> query) {
        return router.handle(new ApiRouter.Request(method, path, query,
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY), body));
    }

    static JsonNode error(ApiRouter.Response r) {
        return Json.tree(r.body()).path("error");
    }

    /** The document's operations under the project, "METHOD template", and each one's query parameters. */
    static Map<String, Set<String>> documented() {
        Map<String, Set<String>> ops = new LinkedHashMap<>();
        JsonNode paths = OpenApiContract.INSTANCE.document.path("paths");
        for (Iterator<String> it = paths.fieldNames(); it.hasNext(); ) {
            String template = it.next();
            if (!template.startsWith(ApiRouter.PREFIX)) {
                continue;
            }
            for (Iterator<String> m = paths.get(template).fieldNames(); m.hasNext(); ) {
                String method = m.next();
                if (METHODS.contains(method)) {
                    Set<String> query = new TreeSet<>();
                    for (JsonNode p : OpenApiContract.INSTANCE.parameters(template, method)) {
                        if (p.path("in").asText().equals("query")) {
                            query.add(p.path("name").asText());
                        }
                    }
                    ops.put(method.toUpperCase(java.util.Locale.ROOT) + " " + template, query);
                }
            }
        }
        return ops;
    }

    @Test
    void theRouteTableAndTheDocument_haveTheSameOperations_andQueryParameters_bothWays() {
        Map<String, Set<String>> inTable = new LinkedHashMap<>();
        for (RouteTable.Route<ApiRouter.Handler> r : ApiRouter.routes(null, null).routes()) {
            inTable.put(r.method() + " " + r.template(), new TreeSet<>(r.query()));
        }
        Map<String, Set<String>> inDocument = documented();
        Set<String> undocumented = new TreeSet<>(inTable.keySet());
        undocumented.removeAll(inDocument.keySet());
        Set<String> missing = new TreeSet<>(inDocument.keySet());
        missing.removeAll(inTable.keySet());
        assertEquals(Set.of(), undocumented, "routes of the table the document does not describe");
        assertEquals(Set.of(), missing, "operations of the document the table does not have");
        assertEquals(inDocument, inTable, "each route's query parameters, table vs document");
    }

    @Test
    void everyOperation_hasAnId_errorCodes_andDeclaresItsRequestIdHeader() {
        Set<String> ids = new LinkedHashSet<>();
        documented().keySet().forEach(op -> {
            String[] mt = op.split(" ", 2);
            JsonNode o = OpenApiContract.INSTANCE.operation(mt[0], mt[1]);
            assertTrue(ids.add(o.path("operationId").asText()), "operationId once: " + op);
            assertTrue(o.path("x-error-codes").isArray() && !o.path("x-error-codes").isEmpty(), "x-error-codes: " + op);
            for (Iterator<Map.Entry<String, JsonNode>> it = o.path("responses").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String pointer = OpenApiContract.INSTANCE.follow("/paths/" + OpenApiContract.escape(mt[1]) + "/"
                        + mt[0].toLowerCase(java.util.Locale.ROOT) + "/responses/" + e.getKey());
                JsonNode headers = OpenApiContract.INSTANCE.document.at(pointer).path("headers");
                assertTrue(headers.has(ApiRouter.REQUEST_ID), op + " " + e.getKey() + " declares Sluice-Request-Id");
                assertEquals(e.getKey().equals("201"), headers.has("Location"), op + " " + e.getKey() + ": Location on a 201 only");
            }
        });
    }

    @Test
    void theChecker_refusesWhatTheDocumentForbids() {
        OpenApiContract c = OpenApiContract.INSTANCE;
        assertFalse(c.problems("/components/schemas/Deployment", Json.tree("{\"id\":\"deploy_1\"}")).isEmpty(), "required fields");
        assertFalse(c.problems("/components/schemas/DeploymentCreate",
                Json.tree("{\"name\":\"d\",\"modelId\":\"model_1\",\"batchsize\":3}")).isEmpty(), "an unknown field");
        assertFalse(c.problems("/components/schemas/DeploymentCreate",
                Json.tree("{\"name\":\"d\",\"modelId\":\"model_1\",\"batchSize\":257}")).isEmpty(), "a range");
        assertFalse(c.problems("/components/schemas/Error", Json.tree("{\"error\":{\"code\":\"Bad\",\"message\":\"m\",\"requestId\":\"req_1\"}}")).isEmpty());
        assertEquals(List.of(), c.problems("/components/schemas/DeploymentCreate",
                Json.tree("{\"name\":\"d\",\"modelId\":\"model_1\",\"batchSize\":256}")));
    }

    @Test
    void readmesRouteList_isTheDocumentsRoutes() throws IOException {
        Set<String> inReadme = new TreeSet<>();
        ApiRoutesTest.documented().forEach((path, methods) -> methods.forEach(m -> inReadme.add(m + " " + path)));
        assertEquals(new TreeSet<>(documented().keySet()), inReadme, "README's API (v1) table vs docs/openapi.yaml");
    }

    @Test
    void theExecutionRole_isTheProjectsOwnStableExternalId_andAnExecutionCannotGiveOne() {
        ApiRouter.Response first = call("GET", P + "/execution-role", null, Map.of());
        assertEquals(200, first.status(), first.body());
        JsonNode role = Json.tree(first.body());
        assertEquals(HandlerFixture.PROJECT, role.path("projectId").asText());
        assertTrue(role.path("externalId").asText().matches("sluice-[0-9a-f]{32}"), first.body());
        assertEquals(role, Json.tree(call("GET", P + "/execution-role", null, Map.of()).body()), "stable");
        ApiRouter.Response chosen = call("POST", P + "/executions", "{\"model\":{\"id\":\"model_events0001\"},"
                + "\"bucket\":\"b\",\"sourceFolder\":\"in\",\"destinationFolder\":\"out\","
                + "\"iamRoleArn\":\"arn:aws:iam::123456789012:role/r\",\"externalId\":\"sluice-0\"}", Map.of());
        assertEquals(400, chosen.status());
        assertEquals("request.unknown_field", error(chosen).path("code").asText(), "the caller never chooses it");
    }

    @Test
    void theDocument_isServedAsJson_withoutAKey_andOtherMethodsAre405() {
        ApiRouter.Response r = router.handle(new ApiRouter.Request("GET", ApiRouter.OPENAPI_PATH, Map.of(), Map.of(), null));
        assertEquals(200, r.status());
        JsonNode doc = Json.tree(r.body());
        assertEquals("3.1.0", doc.path("openapi").asText());
        assertEquals(OpenApiContract.INSTANCE.document, doc);
        assertNotNull(r.headers().get(ApiRouter.REQUEST_ID));
        ApiRouter.Response post = router.handle(new ApiRouter.Request("POST", ApiRouter.OPENAPI_PATH, Map.of(), Map.of(), "{}"));
        assertEquals(405, post.status());
        assertEquals("GET", post.headers().get("Allow"));
    }

    /** One line per create route: its collection, a valid body with one field misspelt, the path named, the hint. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            /batch/datasets  | {"name":"d","source":{"kind":"UploadedNdjson"},"sorce":1}                         | sorce               | source
            /models          | {"name":"m","task":"ImageClassification","source":{"kind":"UploadedOnnx"},"labels":["a"],"preprocess":{"topk":3}} | preprocess.topk | topK
            /deployments     | {"name":"d","modelId":"model_events0001","taget":"GpuPool"}                      | taget               | target
            /batch/webhooks  | {"name":"h","spec":{"endpoint":"https://example.com/h","retries":{"maxBackof":5000}}} | spec.retries.maxBackof | maxBackoffMs
            /batch/jobs      | {"name":"j","spec":{"datasetId":"dataset_events0001","deployment":{"modelId":"model_events0001"},"batchsize":64}} | spec.batchsize | batchSize
            /api-keys        | {"name":"k","nmae":"x"}                                                           | nmae                | name
            /executions      | {"model":{"id":"model_events0001"},"bucket":"b","sourceFolder":"in","destinationFolder":"out","paralelism":4} | paralelism | parallelism
            /executions      | {"model":{"id":"model_events0001"},"bucket":"b","sourceFolder":"in","destinationFolder":"out","compute":{"target":"CpuPool","task":2}} | compute.task | tasks
            /secrets         | {"name":"s","vaule":"v"}                                                          | vaule               | value
            """)
    void aCreateWithAnUnknownField_isRefused_namingItsPath_andTheNearestField(String collection, String body,
                                                                              String path, String hint) {
        int before = listed(collection);
        ApiRouter.Response r = call("POST", P + collection, body, Map.of());
        assertEquals(400, r.status(), r.body());
        assertEquals("request.unknown_field", error(r).path("code").asText());
        String message = error(r).path("message").asText();
        assertTrue(message.startsWith("unknown field " + path + " (did you mean " + hint + "?)"), message);
        assertFalse(message.contains("dev.sluice") || message.contains("java."), "no Java type: " + message);
        assertEquals(r.headers().get(ApiRouter.REQUEST_ID), error(r).path("requestId").asText());
        assertEquals(before, listed(collection), "nothing was created");
    }

    private static int listed(String collection) {
        ApiRouter.Response r = call("GET", P + collection, null, Map.of("limit", "1000"));
        return Json.tree(r.body()).path("data").size();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"name":"d","modelId":"model_events0001","batchSize":"64"}   | batchSize must be an integer
            {"name":"d","modelId":"model_events0001","batchSize":64.0}   | batchSize must be an integer
            {"name":"d","modelId":"model_events0001","batchSize":64.5}   | batchSize must be an integer
            {"name":7,"modelId":"model_events0001"}                       | name must be a string
            {"name":"d","modelId":"model_events0001","target":null}      | target is null; leave the field out instead
            {"name":"d","modelId":["model_events0001"]}                   | modelId must be a string
            ["d"]                                                         | the body must be an object
            """)
    void aWrongType_isRefused_withoutCoercion_andWithoutJavaTypes(String body, String message) {
        ApiRouter.Response r = call("POST", P + "/deployments", body, Map.of());
        assertEquals(400, r.status(), r.body());
        assertEquals("request.wrong_type", error(r).path("code").asText());
        assertEquals(message, error(r).path("message").asText());
    }

    /** spec.events and spec.errorBudget (issue 23 item 3, issue 24 item 2): refused with their own codes, nothing made. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            "events":["job.finished"]                                   | job.bad_events
            "errorBudget":{"maxFailures":3,"maxFailureRate":0.5}         | job.bad_error_budget
            "errorBudget":{"maxFailureRate":1.5}                         | job.bad_error_budget
            "errorBudget":{"minItems":10}                                | job.bad_error_budget
            "errorBudget":{"maxFailure":3}                               | request.unknown_field
            """)
    void aJobsEventsAndErrorBudget_areChecked(String field, String code) {
        int before = listed("/batch/jobs");
        ApiRouter.Response r = call("POST", P + "/batch/jobs", "{\"name\":\"j\",\"spec\":{\"datasetId\":"
                + "\"dataset_events0001\",\"deployment\":{\"modelId\":\"model_events0001\"}," + field + "}}", Map.of());
        assertEquals(400, r.status(), r.body());
        assertEquals(code, error(r).path("code").asText(), r.body());
        assertEquals(before, listed("/batch/jobs"), "nothing was created");
    }

    @Test
    void aWrongTypeDeepInAJob_namesItsPath() {
        ApiRouter.Response r = call("POST", P + "/batch/jobs", """
                {"name":"j","spec":{"datasetId":"dataset_events0001","deployment":{"modelId":"model_events0001"},
                 "resultDelivery":{"destinations":[{"kind":"Webhook","webhookId":5}]}}}""", Map.of());
        assertEquals(400, r.status(), r.body());
        assertEquals("spec.resultDelivery.destinations[0].webhookId must be a string", error(r).path("message").asText());
        ApiRouter.Response task = call("POST", P + "/models", """
                {"name":"m","task":"imageclassification","source":{"kind":"UploadedOnnx"},"labels":["a"]}""", Map.of());
        assertEquals("request.wrong_type", error(task).path("code").asText(), task.body());
        assertEquals("task must be one of \"ImageClassification\", \"ObjectDetection\", \"Tabular\"",
                error(task).path("message").asText());
    }

    @Test
    void aDestination_isToldApartByItsKind_andTakesOnlyItsKindsFields() {
        ApiRouter.Response unknown = call("POST", P + "/batch/jobs", """
                {"name":"j","spec":{"datasetId":"dataset_events0001","deployment":{"modelId":"model_events0001"},
                 "resultDelivery":{"destinations":[{"kind":"Ftp","host":"x"}]}}}""", Map.of());
        assertEquals(400, unknown.status(), unknown.body());
        assertEquals("request.wrong_type", error(unknown).path("code").asText());
        assertEquals("spec.resultDelivery.destinations[0] needs kind one of \"Webhook\", \"S3\", \"EventBridge\"",
                error(unknown).path("message").asText());
        ApiRouter.Response otherKinds = call("POST", P + "/batch/jobs", """
                {"name":"j","spec":{"datasetId":"dataset_events0001","deployment":{"modelId":"model_events0001"},
                 "resultDelivery":{"destinations":[{"kind":"S3","bucket":"b","webhookId":"webhook_x"}]}}}""", Map.of());
        assertEquals("request.unknown_field", error(otherKinds).path("code").asText(), otherKinds.body());
        assertTrue(error(otherKinds).path("message").asText()
                .startsWith("unknown field spec.resultDelivery.destinations[0].webhookId"), otherKinds.body());
    }

    @Test
    void malformedJson_andADuplicateKey_areMalformed() {
        String deep = "{\"name\":" + "[".repeat(100) + "]".repeat(100) + "}";
        for (String body : List.of("{\"name\":", "{\"name\":\"a\",\"name\":\"b\",\"modelId\":\"model_events0001\"}", "{} {}", deep)) {
            ApiRouter.Response r = call("POST", P + "/deployments", body, Map.of());
            assertEquals(400, r.status(), body);
            assertEquals("request.malformed_json", error(r).path("code").asText(), body);
            assertFalse(error(r).path("message").asText().matches("(?s).*(dev\\.sluice|Constraints|java\\.).*"), r.body());
        }
    }

    @Test
    void anUnknownQueryParameter_isRefused_onAListing_andOnARouteThatTakesNone() {
        ApiRouter.Response list = call("GET", P + "/models", null, Map.of("status", "Ready"));
        assertEquals(400, list.status());
        assertEquals("request.unknown_parameter", error(list).path("code").asText());
        assertEquals("unknown query parameter status; this route takes limit, page", error(list).path("message").asText());
        // a filtered listing takes metadata.<any key> (issue 23 item 6), and nothing else beginning so
        assertEquals(200, call("GET", P + "/batch/jobs", null, Map.of("metadata.team", "a", "status", "Running")).status());
        ApiRouter.Response near = call("GET", P + "/batch/jobs", null, Map.of("metadata", "team"));
        assertEquals("request.unknown_parameter", error(near).path("code").asText());
        ApiRouter.Response typo = call("GET", P + "/batch/jobs", null, Map.of("limt", "5"));
        assertTrue(error(typo).path("message").asText().contains("(did you mean limit?)"), typo.body());
        ApiRouter.Response get = call("GET", P + "/batch/jobs/" + HandlerFixture.JOB, null, Map.of("verbose", "1"));
        assertEquals("request.unknown_parameter", error(get).path("code").asText());
        assertEquals(200, call("GET", P + "/batch/jobs", null, Map.of("limit", "5")).status());
    }

    @Test
    void anExecutionDryRun_answersTheDocumentsShape_andABadFlagIsA400WithItsCode() {
        String start = "{\"model\":{\"id\":\"" + HandlerFixture.MODEL + "\"},\"bucket\":\""
                + HandlerFixture.EXECUTIONS_BUCKET + "\",\"sourceFolder\":\"contract-dry\",\"destinationFolder\":\"out\"}";
        fixture.executionsBucket();
        ApiRouter.Response dry = call("POST", P + "/executions", start, Map.of("dryRun", "true"));
        assertEquals(200, dry.status(), dry.body());
        assertEquals(0, Json.tree(dry.body()).path("fileCount").asLong(), "an empty folder: nothing would run");
        assertEquals("request.bad_dry_run", error(call("POST", P + "/executions", start, Map.of("dryRun", "1")))
                .path("code").asText());
    }

    @Test
    void usage_answersTheDocumentsShape_andARangeItCannotSumIsA400WithItsCode() {
        ApiRouter.Response sum = call("GET", P + "/usage", null, Map.of("from", "2026-01-01", "to", "2026-01-31"));
        assertEquals(200, sum.status(), sum.body());
        assertEquals("2026-01-31", Json.tree(sum.body()).path("to").asText());
        assertEquals(200, call("GET", P + "/usage", null, Map.of()).status(), "both ends have defaults");
        ApiRouter.Response backwards = call("GET", P + "/usage", null, Map.of("from", "2026-02-01", "to", "2026-01-01"));
        assertEquals(400, backwards.status());
        assertEquals("usage.bad_range", error(backwards).path("code").asText());
        assertEquals("usage.bad_date", error(call("GET", P + "/usage", null, Map.of("to", "1 Jan"))).path("code").asText());
        // the job of the fixture shows its usage (zero here: no invocation ran for it), priced
        JsonNode job = Json.tree(call("GET", P + "/batch/jobs/" + HandlerFixture.JOB, null, Map.of()).body());
        assertEquals("us-east-1", job.path("status").path("usage").path("priceTable").path("region").asText(), job.toString());
    }

    @Test
    void everyResponse_carriesARequestId_errorsInTheBodyToo_andEachRequestGetsItsOwn() {
        ApiRouter.Response a = call("GET", P + "/batch/jobs/" + HandlerFixture.JOB, null, Map.of());
        ApiRouter.Response b = call("GET", P + "/batch/jobs/batchjob_missing", null, Map.of());
        ApiRouter.Response none = router.handle(new ApiRouter.Request("GET", "/nowhere", Map.of(), Map.of(), null));
        assertEquals(200, a.status());
        assertEquals(404, b.status());
        assertEquals(b.headers().get(ApiRouter.REQUEST_ID), error(b).path("requestId").asText());
        assertEquals(none.headers().get(ApiRouter.REQUEST_ID), error(none).path("requestId").asText());
        assertEquals(3, Set.of(a.headers().get(ApiRouter.REQUEST_ID), b.headers().get(ApiRouter.REQUEST_ID),
                none.headers().get(ApiRouter.REQUEST_ID)).size());
    }

    @Test
    void aCreated_carriesLocation_theCreatedRecordsPath_thatAGetAnswers() {
        ApiRouter.Response r = call("POST", P + "/deployments", "{\"name\":\"loc\",\"modelId\":\"model_events0001\"}", Map.of());
        assertEquals(201, r.status(), r.body());
        String id = Json.tree(r.body()).path("id").asText();
        assertEquals(P + "/deployments/" + id, r.headers().get("Location"));
        assertEquals(200, call("GET", r.headers().get("Location"), null, Map.of()).status());
    }

    @Test
    void logs_pageAsEveryListing_withTheOldNamesAsAliases() {
        ApiRouter.Response r = call("GET", P + "/batch/jobs/" + HandlerFixture.JOB + "/logs", null, Map.of("limit", "10"));
        assertEquals(200, r.status(), r.body());
        JsonNode page = Json.tree(r.body());
        assertTrue(page.path("data").isArray());
        assertEquals(page.path("data"), page.path("entries"), "entries: the old name, the same entries");
        assertEquals(200, call("GET", P + "/batch/jobs/" + HandlerFixture.JOB + "/logs", null,
                Map.of("maxEntries", "10")).status(), "maxEntries: the old name of limit");
        ApiRouter.Response both = call("GET", P + "/batch/jobs/" + HandlerFixture.JOB + "/logs", null,
                Map.of("maxEntries", "10", "limit", "5"));
        assertEquals("request.conflicting_parameters", error(both).path("code").asText());
        ApiRouter.Response bad = call("GET", P + "/batch/jobs/" + HandlerFixture.JOB + "/logs", null, Map.of("limit", "0"));
        assertEquals("logs.bad_max_entries", error(bad).path("code").asText());
    }

    @Test
    void items_answerATailingCursorOnEveryPage_andRefuseBadStatusesAndCursors() {
        String path = P + "/batch/jobs/" + HandlerFixture.JOB + "/items";
        ApiRouter.Response r = call("GET", path, null, Map.of("limit", "10"));
        assertEquals(200, r.status(), r.body());
        JsonNode page = Json.tree(r.body());
        assertTrue(page.path("nextCursor").isTextual(), "a cursor on the last page too: " + r.body());
        assertEquals(200, call("GET", path, null, Map.of("after", page.path("nextCursor").asText(),
                "status", "Delivered,FailedGather")).status());
        assertEquals("request.bad_status", error(call("GET", path, null, Map.of("status", "Predicted"))).path("code").asText());
        assertEquals("request.bad_limit", error(call("GET", path, null, Map.of("limit", "1001"))).path("code").asText());
        String otherJob = dev.sluice.core.PageRequest.encode("v1|items:" + HandlerFixture.PROJECT + ":batchjob_other|1|0");
        assertEquals("request.bad_cursor", error(call("GET", path, null, Map.of("after", otherJob))).path("code").asText());
        JsonNode bad = error(call("GET", path, null, Map.of("after", "x!")));
        assertEquals("request.bad_cursor", bad.path("code").asText());
        assertTrue(bad.path("message").asText().startsWith("after is not a cursor"), "names the parameter given: " + bad);
        assertEquals(404, call("GET", P + "/batch/jobs/batchjob_missing/items", null, Map.of("status", "Nope")).status(),
                "another project's or a missing job: 404 before the query is looked at");
    }
}
