package dev.sluice.function.api;

import dev.sluice.core.Json;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.webhook.WebhookService;

import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REST contract of ARCHITECTURE.md, v1: every path under /v1/projects/{projectId}, authenticated by
 * {@code Authorization: Bearer <key>}. A key of one project sees 404 for every resource of another. Errors are
 * {@code {"error":{"code","message"}}}, mapped to HTTP here and nowhere else.
 */
public final class ApiRouter {
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final Logger LOG = Logger.getLogger(ApiRouter.class.getName());
    private static final Pattern PATH = Pattern.compile(
            "^/v1/projects/([A-Za-z0-9_-]{1,128})/(batch/datasets|models|deployments|batch/webhooks|batch/jobs|dead-letters|api-keys|executions)(?:/([A-Za-z0-9_-]{1,128})(/logs|/results|/report|/secret|:cancel|:retry|:test|:redrive)?)?/?$");

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

    public record Response(int status, String body) {
    }

    private final ApiServices services;
    private final dev.sluice.core.deadletter.DeadLetterService deadLetters;

    public ApiRouter(ApiServices services) {
        this.services = services;
        this.deadLetters = services.deadLetters;
    }

    public Response handle(Request request) {
        try {
            return route(request);
        } catch (SluiceException e) {
            return error(e.kind(), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "request failed: " + request.method() + " " + request.path(), e);
            return new Response(500, Json.write(Map.of("error", Map.of("code", "internal",
                    "message", "an internal error occurred; retry, and report it if it persists"))));
        }
    }

    private Response route(Request request) {
        Matcher m = PATH.matcher(request.path() == null ? "" : request.path());
        if (!m.matches()) {
            return error(SluiceException.Kind.NOT_FOUND, "route.not_found", "no API at " + request.path());
        }
        dev.sluice.core.auth.ApiKeys.Principal caller = services.apiKeys.authenticate(request.header("Authorization"));
        String projectId = caller.projectId();
        if (!projectId.equals(m.group(1))) {
            throw new SluiceException(SluiceException.Kind.NOT_FOUND, "project.not_found",
                    "project " + m.group(1) + " does not exist for this API key");
        }
        String collection = m.group(2);
        String id = m.group(3);
        boolean logs = "/logs".equals(m.group(4));
        boolean cancel = ":cancel".equals(m.group(4));
        String action = m.group(4);
        String method = request.method().toUpperCase(Locale.ROOT);
        if (request.body() != null && utf8Length(request.body()) > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        if ("/results".equals(action)) {
            require(method, "GET", collection.equals("batch/jobs"));
            return ok(200, services.jobs.results(projectId, id));
        }
        if ("/secret".equals(action)) {
            require(method, "PUT", collection.equals("batch/webhooks"));
            return ok(200, services.webhooks.rotateSecret(projectId, id));
        }
        if (":test".equals(action)) {
            require(method, "POST", collection.equals("batch/webhooks"));
            return ok(200, services.webhooks.test(projectId, id));
        }
        if (collection.equals("batch/webhooks") && id != null && action == null && method.equals("PUT")) {
            return ok(200, services.webhooks.update(projectId, id, body(request, WebhookService.UpdateRequest.class)));
        }
        if (collection.equals("api-keys") && id != null && action == null && method.equals("DELETE")) {
            return ok(200, services.apiKeys.revoke(caller, id));
        }
        if (collection.equals("models") && id != null && action == null && method.equals("DELETE")) {
            return deleted(id, () -> services.models.delete(projectId, id));
        }
        if (collection.equals("batch/webhooks") && id != null && action == null && method.equals("DELETE")) {
            return deleted(id, () -> services.webhooks.delete(projectId, id));
        }
        if (":redrive".equals(action)) {
            require(method, "POST", collection.equals("dead-letters"));
            return ok(201, deadLetters.redrive(projectId, id));
        }
        if (":retry".equals(action)) {
            require(method, "POST", collection.equals("batch/jobs"));
            return ok(201, services.jobs.retry(projectId, id));
        }
        if ("/report".equals(action)) {
            require(method, "GET", collection.equals("executions"));
            return ok(200, services.executions.report(projectId, id, request.param("page")));
        }
        if (cancel) {
            require(method, "POST", collection.equals("batch/jobs") || collection.equals("executions"));
            return ok(200, collection.equals("executions") ? services.executions.cancel(projectId, id)
                    : services.jobs.cancel(projectId, id));
        }
        if (logs) {
            require(method, "GET", collection.equals("batch/jobs"));
            return ok(200, logs(projectId, id, request));
        }
        PageRequest page = id == null && method.equals("GET") ? PageRequest.of(request.param("limit"), request.param("page")) : null;
        return switch (collection) {
            case "batch/datasets" -> id == null
                    ? (method.equals("POST") ? ok(201, services.datasets.create(projectId, body(request, DatasetService.CreateRequest.class)))
                    : list(method, () -> services.datasets.list(projectId, page)))
                    : get(method, () -> services.datasets.get(projectId, id));
            case "models" -> id == null
                    ? (method.equals("POST") ? ok(201, services.models.create(projectId, body(request, ModelService.CreateRequest.class)))
                    : list(method, () -> services.models.list(projectId, page)))
                    : get(method, () -> services.models.get(projectId, id));
            case "deployments" -> id == null
                    ? (method.equals("POST") ? ok(201, services.deployments.create(projectId, body(request, dev.sluice.core.deployment.DeploymentService.CreateRequest.class)))
                    : list(method, () -> services.deployments.list(projectId, page)))
                    : method.equals("DELETE") ? deleted(id, () -> services.deployments.delete(projectId, id))
                    : get(method, () -> services.deployments.get(projectId, id));
            case "batch/webhooks" -> id == null
                    ? (method.equals("POST") ? ok(201, services.webhooks.create(projectId, body(request, WebhookService.CreateRequest.class)))
                    : list(method, () -> services.webhooks.list(projectId, page)))
                    : get(method, () -> services.webhooks.get(projectId, id));
            case "batch/jobs" -> id == null
                    ? (method.equals("POST") ? ok(201, services.jobs.create(projectId, body(request, JobService.CreateRequest.class)))
                    : list(method, () -> services.jobs.list(projectId, page)))
                    : get(method, () -> services.jobs.get(projectId, id));
            case "api-keys" -> id == null
                    ? (method.equals("POST") ? ok(201, services.apiKeys.create(projectId, optionalBody(request, dev.sluice.core.auth.ApiKeys.CreateRequest.class)))
                    : list(method, () -> services.apiKeys.list(projectId, page)))
                    : error(SluiceException.Kind.NOT_FOUND, "route.not_found", "keys are listed and revoked, not read one by one");
            case "executions" -> id == null
                    ? (method.equals("POST") ? ok(201, services.executions.start(projectId, body(request, dev.sluice.core.execution.ExecutionService.StartRequest.class)))
                    : list(method, () -> services.executions.list(projectId, page)))
                    : get(method, () -> services.executions.get(projectId, id));
            case "dead-letters" -> id == null
                    ? list(method, () -> deadLetters.list(projectId, page))
                    : get(method, () -> deadLetters.get(projectId, id));
            default -> error(SluiceException.Kind.NOT_FOUND, "route.not_found", "no API at " + request.path());
        };
    }

    private Object logs(String projectId, String jobId, Request request) {
        Job job = services.jobs.get(projectId, jobId);
        long after = longParam(request, "afterTime", -1);
        long before = longParam(request, "beforeTime", Long.MAX_VALUE / 2);
        long max = longParam(request, "maxEntries", 1000);
        if (max < 1 || max > 1000) {
            throw SluiceException.invalid("logs.bad_max_entries", "maxEntries must be 1..1000");
        }
        String minLevel = request.param("minLevel");
        if (minLevel != null && !minLevel.equals(LogEntry.INFO) && !minLevel.equals(LogEntry.ERROR)) {
            throw SluiceException.invalid("logs.bad_min_level", "minLevel must be Info or Error");
        }
        return services.jobStore.logs(job.id(), after, before, LogEntry.ERROR.equals(minLevel), (int) max,
                request.param("page"));
    }

    private static long longParam(Request request, String name, long fallback) {
        String value = request.param(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid("request.bad_" + name.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT),
                    name + " must be an integer (epoch milliseconds)");
        }
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

    private static void require(String method, String expected, boolean routeExists) {
        if (!routeExists) {
            throw new SluiceException(SluiceException.Kind.NOT_FOUND, "route.not_found", "no such API");
        }
        if (!method.equals(expected)) {
            throw new SluiceException(SluiceException.Kind.METHOD_NOT_ALLOWED, "route.method_not_allowed", "use " + expected);
        }
    }

    private static Response deleted(String id, Runnable delete) {
        delete.run();
        return ok(200, Map.of("id", id, "deleted", true));
    }

    private static Response get(String method, java.util.function.Supplier<Object> getter) {
        require(method, "GET", true);
        return ok(200, getter.get());
    }

    private static Response list(String method, java.util.function.Supplier<Object> lister) {
        if (!method.equals("GET")) {
            throw new SluiceException(SluiceException.Kind.METHOD_NOT_ALLOWED, "route.method_not_allowed", "use GET or POST");
        }
        return ok(200, lister.get());
    }

    private static <T> T optionalBody(Request request, Class<T> type) {
        return request.body() == null || request.body().isBlank() ? null : body(request, type);
    }

    private static <T> T body(Request request, Class<T> type) {
        if (request.body() == null || request.body().isBlank()) {
            throw SluiceException.invalid("request.body_required", "send a JSON body");
        }
        try {
            return Json.read(request.body(), type);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("request.malformed_json", e.getMessage());
        }
    }

    private static Response ok(int status, Object body) {
        return new Response(status, Json.write(body));
    }

    static Response error(SluiceException.Kind kind, String code, String message) {
        int status = switch (kind) {
            case INVALID -> 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND -> 404;
            case METHOD_NOT_ALLOWED -> 405;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
        };
        return new Response(status, Json.write(Map.of("error", Map.of("code", code, "message", message))));
    }
}
