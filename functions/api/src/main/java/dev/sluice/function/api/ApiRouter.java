package dev.sluice.function.api;

import dev.sluice.core.Json;
import dev.sluice.core.PageRequest;
import dev.sluice.core.RequestJson;
import dev.sluice.core.SluiceException;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.deployment.DeploymentService;
import dev.sluice.core.idempotency.IdempotentRequests;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogQuery;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.secret.SecretService;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionService;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API v1 of docs/ARCHITECTURE.md, as {@code docs/openapi.yaml} describes it (OpenApiContractTest keeps the two equal): every path
 * under /v1/projects/{projectId}, authenticated by {@code Authorization: Bearer <key>}. A key of one project sees 404
 * for every resource of another. Errors are {@code {"error":{"code","message","requestId"}}}, mapped to HTTP here and
 * nowhere else; every answer carries {@value #REQUEST_ID}, a 201 its {@code Location}.
 *
 * <p>A request is answered in this order: {@value #OPENAPI_PATH} (the document, no key); a path no route has is 404
 * {@code route.not_found} (before the key is read); then the key (401), the project of the path against the key's
 * (404 {@code project.not_found}), the body's size (413), the method (405 {@code route.method_not_allowed} with an
 * {@code Allow} header), a query parameter the route does not take (400 {@code request.unknown_parameter}), and the
 * route's handler, which reads its body strictly ({@link RequestJson}). The routes are the table of {@link #routes},
 * one line each.
 */
public final class ApiRouter {
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /** The header every response carries: this request's id, also in an error body and in this request's log lines. */
    public static final String REQUEST_ID = "Sluice-Request-Id";
    /** The request header that makes a create idempotent (issue 24 item 5): see {@link IdempotentRequests}. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** The response header of a replayed create: {@code true}. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";
    /** Where the OpenAPI document is served, as JSON, to anyone (no key). */
    public static final String OPENAPI_PATH = "/v1/openapi.json";
    /** The query parameters of a listing. */
    static final Set<String> LIST = Set.of("limit", "page");
    /** A query parameter name ending in {@code *}: every parameter that starts with what comes before it. */
    static final String METADATA_FILTER = dev.sluice.core.ListFilter.METADATA_PREFIX + "*";
    /** The query parameters of a filtered listing (jobs, datasets): {@link dev.sluice.core.ListFilter}. */
    static final Set<String> FILTERED_LIST = union(LIST, dev.sluice.core.ListFilter.PARAMETERS, Set.of(METADATA_FILTER));
    /** The same for executions, which have no name. */
    static final Set<String> EXECUTION_LIST = FILTERED_LIST.stream().filter(p -> !p.equals("namePrefix"))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    /** The query parameters of a job's log; {@code maxEntries} is the old name of {@code limit}, kept for one release. */
    static final Set<String> LOGS = Set.of("afterTime", "beforeTime", "minLevel", "limit", "maxEntries", "page");
    /** The datasets' listing also takes {@code showExpired}. */
    static final Set<String> DATASET_LIST = union(FILTERED_LIST, Set.of("showExpired"));
    /** The query parameters of a job's lineage. */
    static final Set<String> LINEAGE = LIST;
    /** The query parameter of a create that can be a dry run. */
    static final Set<String> DRY_RUN = Set.of("dryRun");
    /** The query parameters of an execution's report. */
    static final Set<String> REPORT = Set.of("page");
    /** The query of a job's item listing ({@link dev.sluice.core.job.JobItems.Query}). */
    static final Set<String> ITEMS = dev.sluice.core.job.JobItems.Query.PARAMETERS;
    /** The query parameters of {@code GET /usage}: a range of UTC days. */
    static final Set<String> USAGE = Set.of("from", "to");
    /** Every route is under the project of the caller's key. */
    static final String PREFIX = "/v1/projects/{projectId}";
    private static final Logger LOG = LoggerFactory.getLogger(ApiRouter.class);

    public record Request(String method, String path, Map<String, String> query, Map<String, String> headers,
                          String body) {
        String header(String name) {
            for (Map.Entry<String, String> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
            return null;
        }

        String param(String name) {
            return query == null ? null : query.get(name);
        }
    }

    /** An answer: status, JSON body, and the headers it needs besides Content-Type (a 405's Allow). */
    public record Response(int status, String body, Map<String, String> headers) {
        public Response {
            headers = Map.copyOf(headers);
        }

        public Response(int status, String body) {
            this(status, body, Map.of());
        }
    }

    /** A request matched to its route: the authenticated caller and the path parameters the table extracted. */
    record Call(Request request, ApiKeys.Principal caller, Map<String, String> path) {
        String project() {
            return caller.projectId();
        }

        /** The id the route names after its collection (the template's one parameter besides projectId). */
        String id() {
            String id = null;
            for (Map.Entry<String, String> e : path.entrySet()) {
                if (!e.getKey().equals("projectId")) {
                    if (id != null) {
                        throw new IllegalStateException("a route with two ids: " + path.keySet());
                    }
                    id = e.getValue();
                }
            }
            if (id == null) {
                throw new IllegalStateException("a route without an id: " + path.keySet());
            }
            return id;
        }

        String query(String name) {
            return request.param(name);
        }

        /** A listing's page: {@code limit} 1..1000 and the {@code page} cursor (400 {@code request.bad_*}). */
        PageRequest page() {
            return PageRequest.of(query("limit"), query("page"));
        }

        /** A listing's filter ({@link dev.sluice.core.ListFilter}), {@code status} one of the states given. */
        dev.sluice.core.ListFilter filter(Enum<?>[] states) {
            return dev.sluice.core.ListFilter.of(request.query(), java.util.Arrays.stream(states).map(Enum::name)
                    .collect(java.util.stream.Collectors.toSet()));
        }

        /**
         * The JSON body as the type, read strictly ({@link RequestJson}: 400 {@code request.body_required},
         * {@code request.malformed_json}, {@code request.unknown_field}, {@code request.wrong_type}).
         */
        <T> T body(Class<T> type) {
            if (request.body() == null || request.body().isBlank()) {
                throw SluiceException.invalid("request.body_required", "send a JSON body");
            }
            return RequestJson.read(request.body(), type);
        }

        /** The JSON body as the type, or null when there is none. */
        <T> T optionalBody(Class<T> type) {
            return request.body() == null || request.body().isBlank() ? null : body(type);
        }
    }

    /** What a route runs. */
    interface Handler {
        Response handle(Call call);
    }

    /**
     * Told of every answered request: the request, the template of the route it reached (null when none did), the
     * answer (with its {@value #REQUEST_ID}). The default logs one line per request at INFO: method, route template and
     * status (never the path or query), the request id in the line's {@code request_id};
     * the contract tests check each exchange against the OpenAPI document.
     */
    public interface Exchanges {
        void answered(Request request, String template, Response response);
    }

    /**
     * The default {@link Exchanges}: one line per request, the route's template, never the path or query (no ids of
     * other kinds, no tokens, no presigned URLs). A path whose route takes other methods (a 405) is named by that
     * route's template; "(no route)" is a path no route has.
     */
    private void logged(Request request, String template, Response response) {
        String route = template;
        if (route == null) {
            try {
                if (routes.resolve(request.method(), request.path()) instanceof RouteTable.WrongMethod<Handler> wrong) {
                    route = wrong.template();
                }
            } catch (RuntimeException e) {
                route = null;
            }
        }
        LOG.info("{} {} -> {}", request.method(), route == null ? "(no route)" : route, response.status());
    }

    private final ApiServices services;
    private final RouteTable<Handler> routes;
    private final Exchanges exchanges;

    public ApiRouter(ApiServices services) {
        this(services, null);
    }

    /** @param exchanges told of every answered request; null: each is logged (one INFO line) */
    public ApiRouter(ApiServices services, Exchanges exchanges) {
        this.services = services;
        this.routes = routes(services, services.deadLetters);
        this.exchanges = exchanges != null ? exchanges : this::logged;
    }

    /**
     * The API v1, one line per route: method, path under {@link #PREFIX}, what it runs. README's API section lists the
     * same routes (ApiRoutesTest keeps the two equal). Building the table runs none of the services.
     */
    static RouteTable<Handler> routes(ApiServices s, DeadLetterService deadLetters) {
        return new RouteTable<Handler>(PREFIX)
                .get("/batch/datasets", DATASET_LIST, c -> ok(s.datasets.list(c.project(), c.page(), c.filter(Dataset.State.values()),
                        flag(c, "showExpired", "request.bad_show_expired"))))
                .create("/batch/datasets", c -> created(c, "/batch/datasets", s.datasets.create(c.project(), c.body(DatasetService.CreateRequest.class))))
                .get("/batch/datasets/{datasetId}", c -> ok(s.datasets.get(c.project(), c.id())))
                .delete("/batch/datasets/{datasetId}", c -> deleted(c, () -> s.datasets.delete(c.project(), c.id(), s.jobs::holdsDataset)))
                .get("/models", LIST, c -> ok(s.models.list(c.project(), c.page())))
                .create("/models", c -> created(c, "/models", s.models.create(c.project(), c.body(ModelService.CreateRequest.class))))
                .get("/models/{modelId}", c -> ok(s.models.get(c.project(), c.id())))
                .delete("/models/{modelId}", c -> deleted(c, () -> s.models.delete(c.project(), c.id(), s.jobs::modelUser)))
                .get("/deployments", LIST, c -> ok(s.deployments.list(c.project(), c.page())))
                .create("/deployments", c -> created(c, "/deployments", s.deployments.create(c.project(), c.body(DeploymentService.CreateRequest.class))))
                .get("/deployments/{deploymentId}", c -> ok(s.deployments.get(c.project(), c.id())))
                .delete("/deployments/{deploymentId}", c -> deleted(c, () -> s.deployments.delete(c.project(), c.id())))
                .get("/batch/webhooks", LIST, c -> ok(s.webhooks.list(c.project(), c.page())))
                .create("/batch/webhooks", c -> created(c, "/batch/webhooks", s.webhooks.create(c.project(), c.body(WebhookService.CreateRequest.class))))
                .get("/batch/webhooks/{webhookId}", c -> ok(s.webhooks.get(c.project(), c.id())))
                .put("/batch/webhooks/{webhookId}", c -> ok(s.webhooks.update(c.project(), c.id(), c.body(WebhookService.UpdateRequest.class))))
                .delete("/batch/webhooks/{webhookId}", c -> deleted(c, () -> s.webhooks.delete(c.project(), c.id(), s.jobs::webhookUser)))
                .put("/batch/webhooks/{webhookId}/secret", c -> ok(s.webhooks.rotateSecret(c.project(), c.id())))
                .post("/batch/webhooks/{webhookId}:test", c -> ok(s.webhooks.test(c.project(), c.id())))
                .get("/batch/webhooks/{webhookId}/deliveries", LIST, c -> ok(s.deliveries.list(c.project(), c.path().get("webhookId"), c.page())))
                .post("/batch/webhooks/{webhookId}/deliveries/{requestId}:replay", c -> ok(s.deliveries.replay(c.project(), c.path().get("webhookId"), c.path().get("requestId"))))
                .get("/batch/jobs", FILTERED_LIST, c -> ok(s.jobs.list(c.project(), c.page(), c.filter(JobState.values()))))
                .create("/batch/jobs", DRY_RUN, c -> dryRun(c) ? ok(s.jobs.dryRun(c.project(), c.body(JobService.CreateRequest.class)))
                        : created(c, "/batch/jobs", s.jobs.create(c.project(), c.body(JobService.CreateRequest.class))))
                .get("/batch/jobs/{jobId}", c -> ok(s.jobs.get(c.project(), c.id())))
                .delete("/batch/jobs/{jobId}", c -> deleted(c, () -> s.jobs.delete(c.project(), c.id())))
                .post("/batch/jobs/{jobId}:cancel", c -> ok(s.jobs.cancel(c.project(), c.id())))
                .create("/batch/jobs/{jobId}:retry", c -> created(c, "/batch/jobs",
                        s.jobs.retry(c.project(), c.id(), () -> c.optionalBody(JobService.RetryRequest.class))))
                .get("/batch/jobs/{jobId}/lineage", LINEAGE, c -> ok(s.jobs.lineage(c.project(), c.id(), c.query("limit"), c.query("page"))))
                .get("/batch/jobs/{jobId}/logs", LOGS, c -> ok(logPage(s.jobs.logs(c.project(), c.id(), LogQuery.of(c.request().query())))))
                .get("/batch/jobs/{jobId}/items", ITEMS, c -> ok(s.jobs.items(c.project(), c.id(), c.request().query())))
                .get("/batch/jobs/{jobId}/results", c -> ok(s.jobs.results(c.project(), c.id())))
                .get("/dead-letters", LIST, c -> ok(deadLetters.list(c.project(), c.page())))
                .get("/dead-letters/{deadLetterId}", c -> ok(deadLetters.get(c.project(), c.id())))
                .create("/dead-letters/{deadLetterId}:redrive", c -> created(c, "/batch/jobs", deadLetters.redrive(c.project(), c.id())))
                .get("/api-keys", LIST, c -> ok(s.apiKeys.list(c.project(), c.page())))
                .create("/api-keys", c -> created(c, "/api-keys", s.apiKeys.create(c.project(), c.optionalBody(ApiKeys.CreateRequest.class))))
                .delete("/api-keys/{keyId}", c -> ok(s.apiKeys.revoke(c.caller(), c.id())))
                .get("/executions", EXECUTION_LIST, c -> ok(s.executions.list(c.project(), c.page(), c.filter(Execution.State.values()))))
                .create("/executions", DRY_RUN, c -> dryRun(c) ? ok(s.executions.dryRun(c.project(), c.body(ExecutionService.StartRequest.class)))
                        : created(c, "/executions", s.executions.start(c.project(), c.body(ExecutionService.StartRequest.class))))
                .get("/executions/{executionId}", c -> ok(s.executions.get(c.project(), c.id())))
                .get("/executions/{executionId}/report", REPORT, c -> ok(s.executions.report(c.project(), c.id(), c.query("page"))))
                .post("/executions/{executionId}:cancel", c -> ok(s.executions.cancel(c.project(), c.id())))
                .get("/execution-role", c -> ok(s.executions.executionRole(c.project())))
                .get("/usage", USAGE, c -> ok(s.usage.project(c.project(), c.query("from"), c.query("to"))))
                .get("/secrets", c -> ok(s.secrets.list(c.project())))
                .create("/secrets", c -> createdSecret(c, s.secrets.create(c.project(), c.body(SecretService.CreateRequest.class))))
                .put("/secrets/{secretName}", c -> ok(s.secrets.rotate(c.project(), c.id(), c.body(SecretService.RotateRequest.class))))
                .delete("/secrets/{secretName}", c -> deleted(c, () -> s.secrets.delete(c.project(), c.id())));
    }

    /** The data bucket's origin, where the console's uploads go (its CSP's connect-src), or null when unknown. */
    String uploadOrigin() {
        return services.uploadOrigin;
    }

    /** A new request id: {@code req_} and 32 hex digits (random). */
    public static String newRequestId() {
        return "req_" + java.util.UUID.randomUUID().toString().replace("-", "");
    }

    /** Answers a request under a new request id. */
    public Response handle(Request request) {
        return handle(request, newRequestId());
    }

    /**
     * Answers a request; the response carries {@value #REQUEST_ID} (and an error body {@code error.requestId}) with
     * the id given, and the log lines of the request name it.
     */
    public Response handle(Request request, String requestId) {
        try (var scope = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.REQUEST_ID, requestId)) {
            Response response;
            try {
                response = route(request, requestId, scope);
            } catch (SluiceException e) {
                response = error(e.kind(), e.code(), e.getMessage(), requestId);
            } catch (RuntimeException e) {
                LOG.error("request failed: {} {}", request.method(), template(request), e);
                response = new Response(500, errorBody("internal",
                        "an internal error occurred; retry, and report it if it persists", requestId));
            }
            response = withRequestId(response, requestId);
            exchanges.answered(request, template(request), response);
            return response;
        }
    }

    /** The template of the route a request reaches, or null (the document's own path, or no route). */
    private String template(Request request) {
        try {
            return switch (routes.resolve(request.method(), request.path())) {
                case RouteTable.Found<Handler> found -> found.route().template();
                default -> null;
            };
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The response with the request id in its headers. */
    private static Response withRequestId(Response response, String requestId) {
        Map<String, String> headers = new LinkedHashMap<>(response.headers());
        headers.put(REQUEST_ID, requestId);
        return new Response(response.status(), response.body(), headers);
    }

    /** Answers a request; once its key is authenticated for the path's project, the scope names that project. */
    private Response route(Request request, String requestId, dev.sluice.core.observe.LogScope scope) {
        if (request.path() != null && (request.path().equals(OPENAPI_PATH) || request.path().equals(OPENAPI_PATH + "/"))) {
            return "GET".equalsIgnoreCase(request.method()) ? new Response(200, OpenApiDocument.json())
                    : new Response(405, errorBody("route.method_not_allowed", "use GET", requestId), Map.of("Allow", "GET"));
        }
        RouteTable.Resolution<Handler> resolved = routes.resolve(request.method(), request.path());
        if (resolved instanceof RouteTable.NotFound<Handler>) {
            throw new SluiceException(SluiceException.Kind.NOT_FOUND, "route.not_found", "no API at " + request.path());
        }
        ApiKeys.Principal caller = services.apiKeys.authenticate(request.header("Authorization"));
        String projectId = resolved.parameters().get("projectId");
        if (!caller.projectId().equals(projectId)) {
            throw new SluiceException(SluiceException.Kind.NOT_FOUND, "project.not_found",
                    "project " + projectId + " does not exist for this API key");
        }
        // the caller's own project (the key's, checked equal to the path's): never a project the caller only named
        scope.and(dev.sluice.core.observe.LogKey.PROJECT_ID, caller.projectId());
        if (request.body() != null && utf8Length(request.body()) > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        return switch (resolved) {
            case RouteTable.Found<Handler> found -> {
                checkQuery(request, found.route().query());
                Call call = new Call(request, caller, found.parameters());
                String key = request.header(IDEMPOTENCY_KEY);
                yield found.route().creates() && key != null ? idempotent(call, found.route(), key)
                        : found.route().handler().handle(call);
            }
            case RouteTable.WrongMethod<Handler> wrong -> new Response(405, errorBody("route.method_not_allowed",
                    "use " + alternatives(wrong.allow()), requestId), Map.of("Allow", wrong.header()));
            case RouteTable.NotFound<Handler> none -> throw new IllegalStateException("answered above");
        };
    }

    /**
     * A create with an {@value #IDEMPOTENCY_KEY}: run once per project and key ({@link IdempotentRequests}); a replay
     * is the first answer with {@value #IDEMPOTENT_REPLAYED}{@code : true} (and this request's own request id). The
     * fingerprint is the method, the route's template, the path, the query and the body ({@link #canonicalBody}).
     */
    /**
     * The body as the fingerprint holds it: JSON with its object members sorted and no insignificant whitespace, so
     * one request sent again by another client or formatter is the same request; a body that is not JSON as sent.
     */
    static String canonicalBody(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            return Json.write(sortedMembers(Json.tree(body)));
        } catch (RuntimeException notJson) {
            return body;
        }
    }

    private static Object sortedMembers(com.fasterxml.jackson.databind.JsonNode node) {
        if (node.isObject()) {
            java.util.TreeMap<String, Object> members = new java.util.TreeMap<>();
            node.properties().forEach(e -> members.put(e.getKey(), sortedMembers(e.getValue())));
            return members;
        }
        if (node.isArray()) {
            java.util.List<Object> elements = new java.util.ArrayList<>();
            node.forEach(e -> elements.add(sortedMembers(e)));
            return elements;
        }
        return node;
    }

    private Response idempotent(Call call, RouteTable.Route<Handler> route, String key) {
        Request request = call.request();
        String fingerprint = Json.write(java.util.List.of(route.method(), route.template(), request.path(),
                request.query() == null ? Map.of() : new java.util.TreeMap<>(request.query()),
                canonicalBody(request.body())));
        IdempotentRequests.Outcome outcome = services.idempotency.run(call.project(), key, fingerprint, () -> {
            Response r = route.handler().handle(call);
            return new IdempotentRequests.Answer(r.status(), r.body(), r.headers());
        });
        IdempotentRequests.Answer answer = outcome.answer();
        if (!outcome.replayed()) {
            return new Response(answer.status(), answer.body(), answer.headers());
        }
        Map<String, String> headers = new LinkedHashMap<>(answer.headers());
        headers.remove(REQUEST_ID);
        headers.put(IDEMPOTENT_REPLAYED, "true");
        return new Response(answer.status(), answer.body(), headers);
    }

    /**
     * Refuses a query parameter the route does not take (400 {@code request.unknown_parameter}, with the nearest one it
     * takes): a misspelt filter must not answer as if it were not there.
     */
    private static void checkQuery(Request request, Set<String> takes) {
        if (request.query() == null) {
            return;
        }
        for (String name : new java.util.TreeSet<>(request.query().keySet())) {
            boolean metadataFilter = name.startsWith(dev.sluice.core.ListFilter.METADATA_PREFIX)
                    && takes.contains(METADATA_FILTER);
            if (!takes.contains(name) && !metadataFilter) {
                String hint = RequestJson.nearest(name, takes);
                throw SluiceException.invalid("request.unknown_parameter", "unknown query parameter " + name
                        + (hint == null ? "" : " (did you mean " + hint + "?)") + "; "
                        + (takes.isEmpty() ? "this route takes none" : "this route takes " + String.join(", ", new java.util.TreeSet<>(takes))));
            }
        }
    }

    /**
     * A page of a job's log in the one listing shape ({@code data}, {@code nextPage}), with the entries under their old
     * name {@code entries} too, for one release.
     */
    private static Map<String, Object> logPage(dev.sluice.core.job.JobStore.LogPage page) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", page.entries());
        body.put("entries", page.entries());
        if (page.nextPage() != null) {
            body.put("nextPage", page.nextPage());
        }
        return body;
    }

    /**
     * The text of a request body as API Gateway hands it over: base64 (binary or not-UTF-8 content) is decoded, the
     * size is counted in bytes ({@value #MAX_BODY_BYTES} at most: 413 {@code request.too_large}), and the bytes must be
     * UTF-8 (400 {@code request.invalid_utf8}; JSON is UTF-8, RFC 8259 §8.1) — never replaced by U+FFFD silently.
     */
    public static String bodyText(String body, boolean base64) {
        if (body == null) {
            return null;
        }
        if (!base64) {
            if (utf8Length(body) > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            if (dev.sluice.core.Validation.unpairedSurrogate(body) >= 0) {
                throw SluiceException.invalid("request.invalid_utf8", "the request body is not valid UTF-8");
            }
            return body;
        }
        // the decoded size is at most 3/4 of the base64 text: refuse a body surely too large before decoding it
        if ((long) body.length() / 4 * 3 > MAX_BODY_BYTES + 3L) {
            throw tooLarge();
        }
        byte[] bytes;
        try {
            bytes = java.util.Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("request.bad_base64", "the request body is marked base64 but is not");
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw SluiceException.invalid("request.invalid_utf8", "the request body is not valid UTF-8");
        }
    }

    private static SluiceException tooLarge() {
        return new SluiceException(SluiceException.Kind.TOO_LARGE, "request.too_large",
                "the request body is over " + MAX_BODY_BYTES + " bytes");
    }

    /** The UTF-8 length of a text, in bytes (what the body limit counts), without encoding it. */
    static long utf8Length(String text) {
        long n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** "GET", "GET or POST", "GET, PUT or DELETE". */
    private static String alternatives(java.util.List<String> methods) {
        int last = methods.size() - 1;
        return last == 0 ? methods.get(0) : String.join(", ", methods.subList(0, last)) + " or " + methods.get(last);
    }

    /** {@code dryRun=true}: check and answer what would happen; {@code false} or none: do it (else 400). */
    private static boolean dryRun(Call c) {
        return flag(c, "dryRun", "request.bad_dry_run");
    }

    /** A boolean query parameter: {@code true}, or {@code false} or none (else 400 with the code). */
    private static boolean flag(Call c, String name, String code) {
        String value = c.query(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw SluiceException.invalid(code, name + " must be true or false");
    }

    private static Response ok(Object body) {
        return new Response(200, Json.write(body));
    }

    /** A 201 with the record and its {@code Location}: the record's path under the caller's project. */
    private static Response created(Call call, String collection, Object body) {
        String id = Json.MAPPER.valueToTree(body).path("id").asText();
        return new Response(201, Json.write(body),
                Map.of("Location", "/v1/projects/" + call.project() + collection + "/" + id));
    }

    /** A secret is named, not identified: its Location ends with its name. */
    private static Response createdSecret(Call call, SecretService.Secret secret) {
        return new Response(201, Json.write(secret),
                Map.of("Location", "/v1/projects/" + call.project() + "/secrets/" + secret.name()));
    }

    private static Response deleted(Call call, Runnable delete) {
        delete.run();
        return ok(Map.of("id", call.id(), "deleted", true));
    }

    /** An error answer, with the request id in its body and header. */
    static Response error(SluiceException.Kind kind, String code, String message, String requestId) {
        int status = switch (kind) {
            case INVALID -> 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND -> 404;
            case METHOD_NOT_ALLOWED -> 405;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
        };
        return new Response(status, errorBody(code, message, requestId), Map.of(REQUEST_ID, requestId));
    }

    /** The error envelope: {@code {"error":{"code","message","requestId"}}} . */
    private static String errorBody(String code, String message, String requestId) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        error.put("requestId", requestId);
        return Json.write(Map.of("error", error));
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        java.util.Set<String> all = new java.util.HashSet<>();
        for (Set<String> one : sets) {
            all.addAll(one);
        }
        return Set.copyOf(all);
    }
}
