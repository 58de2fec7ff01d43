package dev.sluice.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The Java client of the Sluice REST API (v1): what the Datature and Cortex SDKs let a user do, for any JVM program.
 * Errors are typed ({@link ApiException} and its subclasses by status); 429 and 5xx answers and connection failures
 * are retried with exponential backoff and jitter (honouring Retry-After).
 */
public final class SluiceClient {
    /**
     * An error answer of the API: the HTTP status, the stable code, the message that says what to change, and the
     * request's id (its {@code Sluice-Request-Id}, to quote when reporting it).
     */
    public static class ApiException extends RuntimeException {
        public final int status;
        public final String code;
        private String requestId;

        public ApiException(int status, String code, String message) {
            super("HTTP " + status + " " + code + ": " + message);
            this.status = status;
            this.code = code;
        }

        /** The {@code Sluice-Request-Id} of the request that was refused (null when the answer had none). */
        public String requestId() {
            return requestId;
        }

        static ApiException of(int status, String code, String message, String requestId) {
            ApiException e = of(status, code, message);
            e.requestId = requestId;
            return e;
        }

        static ApiException of(int status, String code, String message) {
            return switch (status) {
                case 400 -> new BadRequest(code, message);
                case 401 -> new Unauthorized(code, message);
                case 403 -> new Forbidden(code, message);
                case 404 -> new NotFound(code, message);
                case 409 -> new Conflict(code, message);
                case 429 -> new RateLimited(code, message);
                default -> status >= 500 ? new ServerError(status, code, message) : new ApiException(status, code, message);
            };
        }
    }

    public static final class BadRequest extends ApiException {
        BadRequest(String code, String message) {
            super(400, code, message);
        }
    }

    public static final class Unauthorized extends ApiException {
        Unauthorized(String code, String message) {
            super(401, code, message);
        }
    }

    public static final class Forbidden extends ApiException {
        Forbidden(String code, String message) {
            super(403, code, message);
        }
    }

    public static final class NotFound extends ApiException {
        NotFound(String code, String message) {
            super(404, code, message);
        }
    }

    public static final class Conflict extends ApiException {
        Conflict(String code, String message) {
            super(409, code, message);
        }
    }

    public static final class RateLimited extends ApiException {
        RateLimited(String code, String message) {
            super(429, code, message);
        }
    }

    public static final class ServerError extends ApiException {
        ServerError(int status, String code, String message) {
            super(status, code, message);
        }
    }

    /**
     * The API (or an upload/download URL it handed out) could not be reached: no connection, unknown host, connect
     * timeout or a connection that broke before an answer. The message is
     * {@code cannot reach the Sluice API at <url>: <cause>}, the cause in plain words (the JDK's often has none).
     */
    public static final class Unreachable extends UncheckedIOException {
        /** The URL that could not be reached: the API's base URL, or the upload/download URL. */
        public final String url;

        public Unreachable(String what, String url, IOException cause) {
            super("cannot reach " + what + " at " + url + ": " + describe(cause), cause);
            this.url = url;
        }

        /** The first cause in the chain that says something, in words a user reads. */
        static String describe(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                    return "unknown host";
                }
                if (t instanceof java.net.http.HttpConnectTimeoutException) {
                    return "connect timed out";
                }
            }
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getMessage() != null && !t.getMessage().isBlank()) {
                    return t.getMessage();
                }
            }
            return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
        }
    }

    /**
     * Nulls are left out of request bodies, map entries too: the API refuses an explicit null (docs/openapi.yaml has no
     * nullable field), and an absent field takes its default.
     */
    static final ObjectMapper JSON = new ObjectMapper().setDefaultPropertyInclusion(
            JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL));
    private static final int ATTEMPTS = 4;

    private volatile HttpClient http = newHttp();

    private static HttpClient newHttp() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * True when the server closed a kept-alive connection before sending a byte of the answer: the request was not
     * read (a server answers or closes before reading; it never reads and then closes silently), so it is safe to
     * send again, on a new connection (as OkHttp's retryOnConnectionFailure does). The pool may hold several such
     * connections that the server closed while they were idle, so the next attempt gets a fresh client.
     */
    static boolean staleConnection(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // the JDK client's words for an EOF before the first byte of the status line (Http1Response)
            if (t.getMessage() != null && t.getMessage().contains("header parser received no bytes")) {
                return true;
            }
        }
        return false;
    }
    private final String apiUrl;
    private final String projectId;
    private final String base;
    private final String apiKey;
    /** Tries of a request whose connection fails (a 429/5xx answer is tried {@value #ATTEMPTS} times whatever this is). */
    private final int connectionAttempts;

    public SluiceClient(String apiUrl, String projectId, String apiKey) {
        this(apiUrl, projectId, apiKey, ATTEMPTS);
    }

    private SluiceClient(String apiUrl, String projectId, String apiKey, int connectionAttempts) {
        this.apiUrl = apiUrl.replaceAll("/+$", "");
        this.projectId = projectId;
        this.base = this.apiUrl + "/v1/projects/" + projectId;
        this.apiKey = apiKey;
        this.connectionAttempts = connectionAttempts;
    }

    /**
     * The same client, trying a request whose connection fails at most {@code attempts} times (1..4, default 4, with
     * backoff between tries); a command-line tool takes 2, so an API that is not running is reported in under a second.
     */
    public SluiceClient withConnectionAttempts(int attempts) {
        if (attempts < 1 || attempts > ATTEMPTS) {
            throw new IllegalArgumentException("connection attempts must be 1.." + ATTEMPTS);
        }
        return new SluiceClient(apiUrl, projectId, apiKey, attempts);
    }

    /** The API's base URL, without a trailing slash (e.g. {@code http://127.0.0.1:8080}). */
    public String apiUrl() {
        return apiUrl;
    }

    /** Settings from SLUICE_API_URL, SLUICE_PROJECT and SLUICE_API_KEY, else from ~/.sluice/config (key=value). */
    public static SluiceClient fromEnvironment() {
        return fromSettings(Map.of());
    }

    /**
     * Settings in the usual precedence: the given ones (api, project, key; e.g. command-line flags), then the
     * environment, then ~/.sluice/config.
     */
    public static SluiceClient fromSettings(Map<String, String> given) {
        Properties profile = profile();
        return new SluiceClient(setting(given, "SLUICE_API_URL", "api", profile),
                setting(given, "SLUICE_PROJECT", "project", profile), setting(given, "SLUICE_API_KEY", "key", profile));
    }

    static Properties profile() {
        Properties p = new Properties();
        Path file = Path.of(System.getProperty("user.home"), ".sluice", "config");
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        }
        return p;
    }

    static String setting(Map<String, String> given, String env, String key, Properties profile) {
        String v = given.get(key);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        if (v == null || v.isBlank()) {
            v = profile.getProperty(key);
        }
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("give --" + key + ", set " + env + ", or put " + key + "= in ~/.sluice/config");
        }
        return v;
    }

    // ---- datasets -------------------------------------------------------------------------------------------

    public JsonNode createDataset(String name) {
        return createDataset(name, null);
    }

    /** A dataset with metadata (at most 16 string pairs; null: none). */
    public JsonNode createDataset(String name, Map<String, String> metadata) {
        return createDataset(name, metadata, null);
    }

    /**
     * A dataset with metadata and an expiry (epoch ms, after now and at most 365 days ahead; null: 30 days after the
     * create). Once it expires it is not listed (unless asked), no job starts on it and its file is deleted.
     */
    public JsonNode createDataset(String name, Map<String, String> metadata, Long expiryTime) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", name, "source", Map.of("kind", "UploadedNdjson")));
        if (metadata != null && !metadata.isEmpty()) {
            body.put("metadata", metadata);
        }
        if (expiryTime != null) {
            body.put("expiryTime", expiryTime);
        }
        return post("/batch/datasets", body);
    }

    /** Creates a dataset, uploads the NDJSON file and waits until it is counted; fails if it is not Ready. */
    public JsonNode createDatasetFromFile(String name, Path ndjson, Duration timeout) {
        return createDatasetFromFile(name, ndjson, timeout, null);
    }

    /**
     * {@link #createDatasetFromFile(String, Path, Duration)}, telling {@code uploaded} the bytes sent so far (of the
     * file's size) while the file streams up (never held whole in memory).
     */
    public JsonNode createDatasetFromFile(String name, Path ndjson, Duration timeout, LongConsumer uploaded) {
        return createDatasetFromFile(name, ndjson, timeout, uploaded, null);
    }

    /** The same, the dataset carrying metadata (at most 16 string pairs; null: none). */
    public JsonNode createDatasetFromFile(String name, Path ndjson, Duration timeout, LongConsumer uploaded,
                                          Map<String, String> metadata) {
        return createDatasetFromFile(name, ndjson, timeout, uploaded, metadata, null);
    }

    /** The same, with an expiry (epoch ms; null: 30 days after the create). */
    public JsonNode createDatasetFromFile(String name, Path ndjson, Duration timeout, LongConsumer uploaded,
                                          Map<String, String> metadata, Long expiryTime) {
        long size = size(ndjson);
        JsonNode created = createDataset(name, metadata, expiryTime);
        upload(created.path("status").path("source").path("uploadUrl"), ndjson, size, uploaded);
        String id = created.get("id").asText();
        JsonNode ready = waitFor(() -> dataset(id), timeout, "Uploading", "Validating");
        if (!"Ready".equals(ready.path("status").path("overview").asText())) {
            throw new IllegalStateException("dataset " + id + " is " + ready.path("status").path("overview").asText()
                    + ": " + ready.path("status").path("reason").asText());
        }
        return ready;
    }

    public JsonNode dataset(String id) {
        return get("/batch/datasets/" + id);
    }

    /** Deletes a dataset and its file: {@code {id, deleted: true}}; 409 {@code dataset.in_use} while a job reads it. */
    public JsonNode deleteDataset(String id) {
        return delete("/batch/datasets/" + id);
    }

    public JsonNode datasets(Integer limit, String page) {
        return datasets(limit, page, ListFilter.NONE);
    }

    /** A page of the datasets the filter lists; page must come from a page of the same filter. */
    public JsonNode datasets(Integer limit, String page, ListFilter filter) {
        return datasets(limit, page, filter, false);
    }

    /**
     * The same; with {@code showExpired}, the datasets whose expiryTime passed are listed too (a page must come from
     * a listing with the same {@code showExpired}).
     */
    public JsonNode datasets(Integer limit, String page, ListFilter filter, boolean showExpired) {
        String q = pageQuery(limit, page, filter);
        return get("/batch/datasets" + (showExpired ? (q.isEmpty() ? "?" : q + "&") + "showExpired=true" : q));
    }

    // ---- models and deployments -----------------------------------------------------------------------------

    public JsonNode createModel(String name, Object labels) {
        return createModel(name, "ImageClassification", labels, null);
    }

    public JsonNode createModel(String name, String task, Object labels, Map<String, Object> preprocess) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("task", task);
        body.put("source", Map.of("kind", "UploadedOnnx"));
        body.put("labels", labels);
        if (preprocess != null) {
            body.put("preprocess", preprocess);
        }
        return post("/models", body);
    }

    /** Creates a model, uploads the ONNX file and waits until it is Ready. */
    public JsonNode uploadModel(String name, String task, Path onnx, List<String> labels, Duration timeout) {
        return uploadModel(name, task, onnx, labels, timeout, null);
    }

    /** {@link #uploadModel(String, String, Path, List, Duration)}, telling {@code uploaded} the bytes sent so far. */
    public JsonNode uploadModel(String name, String task, Path onnx, List<String> labels, Duration timeout,
                                LongConsumer uploaded) {
        long size = size(onnx);
        JsonNode created = createModel(name, task, labels, null);
        upload(created.path("status").path("source").path("uploadUrl"), onnx, size, uploaded);
        String id = created.get("id").asText();
        return waitFor(() -> model(id), timeout, "Uploading");
    }

    public JsonNode model(String id) {
        return get("/models/" + id);
    }

    public JsonNode models(Integer limit, String page) {
        return get("/models" + pageQuery(limit, page));
    }

    public JsonNode deleteModel(String id) {
        return delete("/models/" + id);
    }

    public JsonNode createDeployment(String name, String modelId, String target, Integer batchSize, Integer maxConcurrency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("modelId", modelId);
        body.put("target", target);
        body.put("batchSize", batchSize);
        body.put("maxConcurrency", maxConcurrency);
        return post("/deployments", body);
    }

    public JsonNode deployment(String id) {
        return get("/deployments/" + id);
    }

    public JsonNode deployments(Integer limit, String page) {
        return get("/deployments" + pageQuery(limit, page));
    }

    public JsonNode deleteDeployment(String id) {
        return delete("/deployments/" + id);
    }

    // ---- webhooks ---------------------------------------------------------------------------------------------

    public JsonNode createWebhook(String name, String endpoint, int maxRetries, long maxBackoffMs) {
        return post("/batch/webhooks", Map.of("name", name, "spec", Map.of("endpoint", endpoint,
                "retries", Map.of("maxRetries", maxRetries, "maxBackoffMs", maxBackoffMs))));
    }

    public JsonNode webhook(String id) {
        return get("/batch/webhooks/" + id);
    }

    public JsonNode webhooks(Integer limit, String page) {
        return get("/batch/webhooks" + pageQuery(limit, page));
    }

    public JsonNode updateWebhook(String id, Map<String, Object> changes) {
        return put("/batch/webhooks/" + id, changes);
    }

    public JsonNode rotateWebhookSecret(String id) {
        return put("/batch/webhooks/" + id + "/secret", Map.of());
    }

    public JsonNode testWebhook(String id) {
        return post("/batch/webhooks/" + id + ":test", Map.of());
    }

    public JsonNode deleteWebhook(String id) {
        return delete("/batch/webhooks/" + id);
    }

    /**
     * A page of the webhook's recent POST attempts, newest first (kept 7 days): {@code {data: [{requestId, jobId,
     * itemIndex | event, statusCode, latencyMs, error?, time, replay}], nextPage}}.
     */
    public JsonNode webhookDeliveries(String id, Integer limit, String page) {
        return get("/batch/webhooks/" + id + "/deliveries" + pageQuery(limit, page));
    }

    /**
     * Sends the attempt with this request id again (same request id, fresh time and signature); returns the new
     * attempt. The job's counters do not change.
     */
    public JsonNode replayWebhookDelivery(String id, String requestId) {
        return post("/batch/webhooks/" + id + "/deliveries/" + requestId + ":replay", Map.of());
    }

    // ---- secrets ----------------------------------------------------------------------------------------------

    /** Stores a secret of the project (an access key an execution names); the value is never returned. */
    public JsonNode createSecret(String name, String value) {
        return post("/secrets", Map.of("name", name, "value", value));
    }

    /** The project's secrets: names and times, never values. */
    public JsonNode secrets() {
        return get("/secrets");
    }

    /** Gives the secret a new value (executions read it when their next task runs). */
    public JsonNode rotateSecret(String name, String value) {
        return put("/secrets/" + name, Map.of("value", value));
    }

    public JsonNode deleteSecret(String name) {
        return delete("/secrets/" + name);
    }

    // ---- jobs -------------------------------------------------------------------------------------------------

    public JsonNode createJob(String name, String datasetId, String modelId, String webhookId, Integer batchSize) {
        return createJob(name, datasetId, modelId, "Lambda", webhookId, batchSize);
    }

    /** @param target "Lambda" or "GpuPool" */
    public JsonNode createJob(String name, String datasetId, String modelId, String target, String webhookId,
                              Integer batchSize) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("datasetId", datasetId);
        spec.put("deployment", Map.of("modelId", modelId, "target", target));
        if (webhookId != null) {
            spec.put("resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", webhookId))));
        }
        if (batchSize != null) {
            spec.put("batchSize", batchSize);
        }
        return post("/batch/jobs", Map.of("name", name, "spec", spec));
    }

    /** Creates a job from a full spec, as the API takes it. */
    public JsonNode createJob(String name, Map<String, Object> spec) {
        return createJob(name, spec, null);
    }

    /** Creates a job from a full spec, with metadata (at most 16 string pairs; null: none). */
    public JsonNode createJob(String name, Map<String, Object> spec, Map<String, String> metadata) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", name, "spec", spec));
        if (metadata != null && !metadata.isEmpty()) {
            body.put("metadata", metadata);
        }
        return post("/batch/jobs", body);
    }

    /**
     * What creating the job would do, checked as a create is, with nothing created: {@code itemCount},
     * {@code invalidLines}, {@code refusedUrls}, {@code hosts}, {@code estimatedSeconds}, {@code estimatedCostUsd},
     * {@code basis} (POST /batch/jobs?dryRun=true).
     */
    public JsonNode dryRunJob(String name, Map<String, Object> spec) {
        return dryRunJob(name, spec, null);
    }

    /** The same with the metadata a create would carry (checked as a create checks it). */
    public JsonNode dryRunJob(String name, Map<String, Object> spec, Map<String, String> metadata) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", name, "spec", spec));
        if (metadata != null && !metadata.isEmpty()) {
            body.put("metadata", metadata);
        }
        return post("/batch/jobs?dryRun=true", body);
    }

    public JsonNode job(String id) {
        return get("/batch/jobs/" + id);
    }

    /**
     * {@code GET /usage}: the project's usage summed over UTC days {@code from} to {@code to} (ISO dates
     * {@code YYYY-MM-DD}, both included; null for the API's defaults: today, and the 30 days up to {@code to}).
     */
    public JsonNode usage(String from, String to) {
        List<String> q = new ArrayList<>();
        if (from != null) {
            q.add("from=" + java.net.URLEncoder.encode(from, java.nio.charset.StandardCharsets.UTF_8));
        }
        if (to != null) {
            q.add("to=" + java.net.URLEncoder.encode(to, java.nio.charset.StandardCharsets.UTF_8));
        }
        return get("/usage" + (q.isEmpty() ? "" : "?" + String.join("&", q)));
    }

    public JsonNode jobs(Integer limit, String page) {
        return jobs(limit, page, ListFilter.NONE);
    }

    /** A page of the jobs the filter lists; page must come from a page of the same filter. */
    public JsonNode jobs(Integer limit, String page, ListFilter filter) {
        return get("/batch/jobs" + pageQuery(limit, page, filter));
    }

    /**
     * Deletes an ended job with its log, ledger rows and results: {@code {id, deleted: true}}; 409 {@code job.running}
     * until it has ended.
     */
    public JsonNode deleteJob(String jobId) {
        return delete("/batch/jobs/" + jobId);
    }

    public JsonNode cancel(String jobId) {
        return post("/batch/jobs/" + jobId + ":cancel", Map.of());
    }

    public JsonNode retry(String jobId) {
        return post("/batch/jobs/" + jobId + ":retry", Map.of());
    }

    /**
     * A new job over the ended job's lines that {@code only} names ("retryable": not delivered, last failure not
     * permanent; "all-failed": not delivered), with the spec overrides given (deployment, batchSize, resultDelivery,
     * gather; null keeps the original's).
     */
    public JsonNode retry(String jobId, String only, Map<String, Object> specOverrides) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (only != null) {
            body.put("only", only);
        }
        if (specOverrides != null) {
            body.put("spec", specOverrides);
        }
        return post("/batch/jobs/" + jobId + ":retry", body);
    }

    /** A new API key of the project; the response is the only one that shows the key itself. */
    public JsonNode createApiKey(String name) {
        return post("/api-keys", name == null ? Map.of() : Map.of("name", name));
    }

    /** The project's keys, each shown by its first characters only. */
    public JsonNode apiKeys(Integer limit, String page) {
        return get("/api-keys" + pageQuery(limit, page));
    }

    public JsonNode revokeApiKey(String id) {
        return delete("/api-keys/" + id);
    }

    /** Messages that failed on every attempt, as the scheduler accounted them (newest first). */
    public JsonNode deadLetters(Integer limit, String page) {
        return get("/dead-letters" + pageQuery(limit, page));
    }

    public JsonNode deadLetter(String id) {
        return get("/dead-letters/" + id);
    }

    /** Runs a dead letter's lines again in a new job (once per dead letter); returns that job. */
    public JsonNode redrive(String deadLetterId) {
        return post("/dead-letters/" + deadLetterId + ":redrive", Map.of());
    }

    /**
     * Starts a storage-based execution. spec: model {id, build}, bucket or sourceBucket/destinationBucket,
     * sourceFolder, destinationFolder (file:///… with `sluice local`), inputFileType, outputFileType, jobTimeout,
     * fileTimeout, parallelism, compute {target: Lambda | GpuPool | CpuPool, instance, purchaseOption: onDemand |
     * spot, tasks}, parameters, metadata, iamRoleArn (a role of yours that trusts
     * {@link #executionRole()}'s principals with its externalId), or accessTokenName and accessSecretName;
     * limitFiles (the first N files), maxFailedFiles and maxFailedRowRate (the error budget).
     */
    public JsonNode startExecution(Map<String, Object> spec) {
        return post("/executions", spec);
    }

    /**
     * What starting the execution would do, checked as a start is, with nothing started:
     * {@code {dryRun, spec, fileCount, bytes, files: [{name, bytes}] (the first 1,000), hiddenFiles, listingTruncated,
     * estimatedSeconds, estimatedCostUsd, basis}} (POST /executions?dryRun=true).
     */
    public JsonNode dryRunExecution(Map<String, Object> spec) {
        return post("/executions?dryRun=true", spec);
    }

    /**
     * What a role named by an execution's iamRoleArn must trust: {@code {object, projectId, externalId, principals}}
     * (the project's external id, the same on every call; the ARNs of the roles that assume it).
     */
    public JsonNode executionRole() {
        return get("/execution-role");
    }

    public JsonNode execution(String id) {
        return get("/executions/" + id);
    }

    public JsonNode executions(Integer limit, String page) {
        return executions(limit, page, ListFilter.NONE);
    }

    /** A page of the executions the filter lists (executions have no name: no namePrefix). */
    public JsonNode executions(Integer limit, String page, ListFilter filter) {
        return get("/executions" + pageQuery(limit, page, filter));
    }

    /**
     * The filters of the job, dataset and execution listings, each null (or empty) when not used: status (a
     * status.overview), namePrefix, metadata pairs the record must hold, createdAfter/createdBefore (epoch ms,
     * exclusive). A page's nextPage continues only the listing of the same filter (request.bad_cursor otherwise).
     */
    public record ListFilter(String status, String namePrefix, Map<String, String> metadata, Long createdAfter,
                             Long createdBefore) {
        public static final ListFilter NONE = new ListFilter(null, null, null, null, null);

        /** The query parameters, in a stable order. */
        List<String> query() {
            List<String> q = new ArrayList<>();
            if (status != null) {
                q.add("status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
            }
            if (namePrefix != null) {
                q.add("namePrefix=" + URLEncoder.encode(namePrefix, StandardCharsets.UTF_8));
            }
            if (metadata != null) {
                new java.util.TreeMap<>(metadata).forEach((k, v) -> q.add("metadata." + URLEncoder.encode(k,
                        StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
            }
            if (createdAfter != null) {
                q.add("createdAfter=" + createdAfter);
            }
            if (createdBefore != null) {
                q.add("createdBefore=" + createdBefore);
            }
            return q;
        }
    }

    public JsonNode cancelExecution(String id) {
        return post("/executions/" + id + ":cancel", Map.of());
    }

    /** One page of the per-file report (page: the previous report's nextPage, or null for the first). */
    public JsonNode executionReport(String id, String page) {
        return get("/executions/" + id + "/report" + (page == null ? "" : "?page=" + page));
    }

    /** Every file of the report, page after page. */
    public List<JsonNode> executionFiles(String id) {
        List<JsonNode> files = new ArrayList<>();
        String page = null;
        do {
            JsonNode report = executionReport(id, page);
            report.path("files").forEach(files::add);
            page = report.hasNonNull("nextPage") ? report.get("nextPage").asText() : null;
        } while (page != null);
        return files;
    }

    /** Polls the execution until it is no longer Pending or Running (or the timeout passes). */
    public JsonNode waitForExecution(String id, Duration timeout) {
        return waitFor(() -> execution(id), timeout, "Pending", "Running");
    }

    /**
     * Polls the job every interval until it ends or the timeout passes; each poll's Job goes to onProgress.
     * Returns the last Job seen.
     */
    public JsonNode waitUntilDone(String jobId, Duration interval, Duration timeout, Consumer<JsonNode> onProgress) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            JsonNode job = job(jobId);
            if (onProgress != null) {
                onProgress.accept(job);
            }
            String state = job.path("status").path("overview").asText();
            if (!state.equals("Waiting") && !state.equals("Running") || System.currentTimeMillis() > deadline) {
                return job;
            }
            sleep(interval.toMillis());
        }
    }

    /**
     * {@code status.outcome} of a job or execution as the API returned it: Succeeded, PartiallySucceeded, Failed or
     * Stopped once it ended; null while it runs.
     */
    public static String outcome(JsonNode jobOrExecution) {
        JsonNode o = jobOrExecution.path("status").path("outcome");
        return o.isTextual() ? o.asText() : null;
    }

    /**
     * A page of the job's lines with each one's final outcome across the job and its retries
     * ({@code {jobId, jobs, data: [{line, outcome, jobId, attempts, reason, failureClass}], nextPage}}).
     */
    public JsonNode lineage(String jobId, Integer limit, String page) {
        return get("/batch/jobs/" + jobId + "/lineage" + pageQuery(limit, page));
    }

    public JsonNode logs(String jobId, String query) {
        return get("/batch/jobs/" + jobId + "/logs" + (query == null ? "" : "?" + query));
    }

    /** Every log entry of the job, page after page (the API returns at most 1,000 a call). */
    public Iterator<JsonNode> allLogs(String jobId, String query) {
        return new Iterator<>() {
            private final List<JsonNode> buffer = new ArrayList<>();
            private String next = "";
            private boolean done;

            @Override
            public boolean hasNext() {
                while (buffer.isEmpty() && !done) {
                    String q = (query == null ? "limit=1000" : query)
                            + (next.isEmpty() ? "" : "&page=" + URLEncoder.encode(next, StandardCharsets.UTF_8));
                    JsonNode page = logs(jobId, q);
                    page.path("data").forEach(buffer::add);
                    JsonNode cursor = page.get("nextPage");
                    done = cursor == null || cursor.isNull();
                    next = done ? "" : cursor.asText();
                }
                return !buffer.isEmpty();
            }

            @Override
            public JsonNode next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return buffer.remove(0);
            }
        };
    }

    /**
     * One page of the job's committed item outcomes in commit order ({@code GET /batch/jobs/{id}/items}):
     * {@code {data: [{index, id, url, status, prediction | reason, code}], nextCursor, hasMore}}.
     *
     * @param after  a cursor from an earlier page ({@code nextCursor}), or null for the first item
     * @param limit  1–1000, or null for the API's 100
     * @param status one status or several, comma-separated (Delivered, FailedGather, …), or null for all
     */
    public JsonNode items(String jobId, String after, Integer limit, String status) {
        List<String> q = new ArrayList<>();
        if (after != null) {
            q.add("after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
        }
        if (limit != null) {
            q.add("limit=" + limit);
        }
        if (status != null) {
            q.add("status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
        }
        return get("/batch/jobs/" + jobId + "/items" + (q.isEmpty() ? "" : "?" + String.join("&", q)));
    }

    /**
     * The job's item outcomes, page after page from {@code after} (null: the first), as they are committed. With
     * {@code follow} the iterator waits for more while the job runs (polling every {@code pollMillis}) and ends once
     * the job has ended and every item it accounted for was read; without, it ends when it has caught up.
     */
    public Iterator<JsonNode> allItems(String jobId, String after, String status, boolean follow, long pollMillis) {
        return new Iterator<>() {
            private final List<JsonNode> buffer = new ArrayList<>();
            private String cursor = after;
            private boolean done;
            private int caughtUpAfterEnd;

            @Override
            public boolean hasNext() {
                while (buffer.isEmpty() && !done) {
                    // read the job before the page: once it has counted every item, a caught-up page is the end
                    JsonNode job = follow ? job(jobId) : null;
                    JsonNode page = items(jobId, cursor, 1000, status);
                    page.path("data").forEach(buffer::add);
                    cursor = page.path("nextCursor").asText(cursor);
                    if (page.path("hasMore").asBoolean()) {
                        continue;
                    }
                    // an ended job may still count its last items skipped; one that never will (a stalled job that
                    // failed) ends the iterator after a few caught-up polls
                    if (!follow || outcome(job) != null && (accounted(job) || ++caughtUpAfterEnd >= 3)) {
                        done = true;
                    } else if (buffer.isEmpty()) {
                        sleep(pollMillis);
                    }
                }
                return !buffer.isEmpty();
            }

            @Override
            public JsonNode next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return buffer.remove(0);
            }
        };
    }

    /** Whether every item of the job is in a terminal counter. */
    private static boolean accounted(JsonNode job) {
        JsonNode s = job.path("status");
        JsonNode c = s.path("items");
        long terminal = 0;
        for (String f : new String[]{"failedGather", "failedProcess", "failedPredict", "delivered", "failedDeliver", "skipped"}) {
            terminal += c.path(f).asLong();
        }
        return terminal >= s.path("itemCount").asLong();
    }

    public JsonNode results(String jobId) {
        return get("/batch/jobs/" + jobId + "/results");
    }

    /** {@link #results}, asked again while the job has ended but its completion is still being written. */
    JsonNode completedResults(String jobId, Duration patience, Duration interval) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return results(jobId);
            } catch (Conflict e) {
                if (!"job.not_complete".equals(e.code) || System.nanoTime() >= deadline) {
                    throw e;
                }
                String state = job(jobId).path("status").path("overview").asText();
                if (state.equals("Waiting") || state.equals("Running")) {
                    throw e;
                }
            }
            sleep(interval.toMillis());
        }
    }

    /**
     * Downloads the job's manifest, result parts and errors file into dir; returns the files written. A job shows its
     * end state a moment before its results are written, so right after {@link #waitUntilDone} the API may still
     * answer 409 {@code job.not_complete}: for an ended job this asks again every half second for up to a minute, then
     * throws that {@link Conflict}; a job that has not ended throws it at once.
     */
    public List<Path> downloadResults(String jobId, Path dir) {
        JsonNode results = completedResults(jobId, Duration.ofMinutes(1), Duration.ofMillis(500));
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            files.add(download(results.path("manifest").path("url").asText(), dir.resolve("manifest.json")));
            files.add(download(results.path("errors").path("url").asText(), dir.resolve("errors.ndjson")));
            for (JsonNode part : results.path("parts")) {
                String key = part.path("key").asText();
                files.add(download(part.path("url").asText(), dir.resolve(key.substring(key.lastIndexOf('/') + 1))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing results into " + dir, e);
        }
        return files;
    }

    private Path download(String url, Path file) throws IOException {
        HttpResponse<Path> response = send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)),
                HttpResponse.BodyHandlers.ofFile(file));
        if (response.statusCode() / 100 != 2) {
            throw ApiException.of(response.statusCode(), "download.failed", "could not download " + file.getFileName());
        }
        return file;
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    /** PUTs bytes to an upload URL exactly as the API described it (method, url, headers). */
    public void upload(JsonNode uploadUrl, byte[] bytes) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uploadUrl.get("url").asText()))
                .timeout(Duration.ofMinutes(10))
                .method(uploadUrl.get("method").asText(), HttpRequest.BodyPublishers.ofByteArray(bytes));
        uploadUrl.path("headers").fields().forEachRemaining(h -> request.header(h.getKey(), h.getValue().asText()));
        HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw ApiException.of(response.statusCode(), "upload.failed", response.body());
        }
    }

    /**
     * PUTs a file to an upload URL as the API described it, streaming it (Content-Length {@code size}, as a presigned
     * PUT needs); {@code uploaded} (may be null) hears the bytes read for sending so far, 0..size.
     */
    public void upload(JsonNode uploadUrl, Path file, long size, LongConsumer uploaded) {
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return new CountingInputStream(Files.newInputStream(file), uploaded);
                    } catch (IOException e) {
                        throw new UncheckedIOException("reading " + file, e);
                    }
                }), size);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uploadUrl.get("url").asText()))
                .timeout(Duration.ofMinutes(10)).method(uploadUrl.get("method").asText(), body);
        uploadUrl.path("headers").fields().forEachRemaining(h -> request.header(h.getKey(), h.getValue().asText()));
        HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw ApiException.of(response.statusCode(), "upload.failed", response.body());
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    /** Counts the bytes read through it, telling a listener (null: nobody) the running total. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        private final LongConsumer listener;
        private long count;

        CountingInputStream(InputStream in, LongConsumer listener) {
            super(in);
            this.listener = listener;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        private void counted(int n) {
            count += n;
            if (listener != null) {
                listener.accept(count);
            }
        }
    }

    /** Polls until the resource's status.overview is no longer one of the given transient states. */
    public JsonNode waitFor(Supplier<JsonNode> getter, Duration timeout, String... transientStates) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            JsonNode node = getter.get();
            String state = node.path("status").path("overview").asText();
            if (!List.of(transientStates).contains(state) || System.currentTimeMillis() > deadline) {
                return node;
            }
            sleep(200);
        }
    }

    public JsonNode get(String path) {
        return call(() -> HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /**
     * POSTs a JSON body with a new {@code Idempotency-Key} (a random UUID), the same on every retry of this call: a
     * create whose answer was lost to a dropped connection or a 5xx is sent again without creating twice (issue 24
     * item 5; the server ignores the header on routes that create nothing).
     */
    public JsonNode post(String path, Object body) {
        String json = write(body);
        String idempotencyKey = java.util.UUID.randomUUID().toString();
        return call(() -> HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public JsonNode put(String path, Object body) {
        String json = write(body);
        return call(() -> HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public JsonNode delete(String path) {
        return call(() -> HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    private JsonNode call(Supplier<HttpRequest.Builder> request) {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> response;
            try {
                response = http.send(request.get().header("Authorization", "Bearer " + apiKey)
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (attempt < connectionAttempts) {
                    if (staleConnection(e)) {
                        HttpClient stale = http;
                        http = newHttp();
                        stale.shutdown(); // requests in flight on it still finish
                    } else {
                        backoff(attempt, null);
                    }
                    continue;
                }
                throw new Unreachable("the Sluice API", apiUrl, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            int status = response.statusCode();
            if ((status == 429 || status >= 500) && attempt < ATTEMPTS) {
                backoff(attempt, response.headers().firstValue("Retry-After").orElse(null));
                continue;
            }
            JsonNode body = read(response.body());
            if (status / 100 != 2) {
                throw ApiException.of(status, body.path("error").path("code").asText(),
                        body.path("error").path("message").asText(),
                        response.headers().firstValue("Sluice-Request-Id").orElse(null));
            }
            return body;
        }
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
        HttpRequest built = request.build();
        try {
            return http.send(built, handler);
        } catch (IOException e) {
            URI uri = built.uri(); // an upload/download URL: named without its query (a presigned URL's signature)
            throw new Unreachable("the storage URL", uri.getScheme() + "://" + uri.getAuthority() + uri.getPath(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void backoff(int attempt, String retryAfter) {
        long ms = 200L << attempt;
        if (retryAfter != null) {
            try {
                ms = Math.max(ms, Long.parseLong(retryAfter.trim()) * 1000);
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep the exponential backoff
            }
        }
        sleep(ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
    }

    private static String pageQuery(Integer limit, String page) {
        return pageQuery(limit, page, ListFilter.NONE);
    }

    private static String pageQuery(Integer limit, String page, ListFilter filter) {
        List<String> q = new ArrayList<>(filter.query());
        if (limit != null) {
            q.add("limit=" + limit);
        }
        if (page != null) {
            q.add("page=" + URLEncoder.encode(page, StandardCharsets.UTF_8));
        }
        return q.isEmpty() ? "" : "?" + String.join("&", q);
    }

    private static String write(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static JsonNode read(String body) {
        if (body == null || body.isEmpty()) {
            return JSON.nullNode();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode().put("raw", body);
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
