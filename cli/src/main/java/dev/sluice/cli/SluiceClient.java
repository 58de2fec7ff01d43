package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

/** A client of the REST API (v1), as a user's program would call it: HTTPS, a bearer key, JSON. */
public final class SluiceClient {
    public static final class ApiException extends RuntimeException {
        public final int status;
        public final String code;

        ApiException(int status, String code, String message) {
            super("HTTP " + status + " " + code + ": " + message);
            this.status = status;
            this.code = code;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String apiKey;

    public SluiceClient(String apiUrl, String projectId, String apiKey) {
        this.base = apiUrl.replaceAll("/+$", "") + "/v1/projects/" + projectId;
        this.apiKey = apiKey;
    }

    public JsonNode createDataset(String name) {
        return post("/batch/datasets", Map.of("name", name, "source", Map.of("kind", "UploadedNdjson")));
    }

    public JsonNode dataset(String id) {
        return get("/batch/datasets/" + id);
    }

    public JsonNode createModel(String name, Object labels) {
        return post("/models", Map.of("name", name, "task", "ImageClassification",
                "source", Map.of("kind", "UploadedOnnx"), "labels", labels));
    }

    public JsonNode model(String id) {
        return get("/models/" + id);
    }

    public JsonNode createWebhook(String name, String endpoint, int maxRetries, long maxBackoffMs) {
        return post("/batch/webhooks", Map.of("name", name, "spec", Map.of("endpoint", endpoint,
                "retries", Map.of("maxRetries", maxRetries, "maxBackoffMs", maxBackoffMs))));
    }

    public JsonNode createJob(String name, String datasetId, String modelId, String webhookId, Integer batchSize) {
        return createJob(name, datasetId, modelId, "Lambda", webhookId, batchSize);
    }

    /** @param target "Lambda" or "GpuPool" */
    public JsonNode createJob(String name, String datasetId, String modelId, String target, String webhookId,
                              Integer batchSize) {
        Map<String, Object> spec = new java.util.LinkedHashMap<>();
        spec.put("datasetId", datasetId);
        spec.put("deployment", Map.of("modelId", modelId, "target", target));
        spec.put("resultDelivery", Map.of("destinations", java.util.List.of(Map.of("kind", "Webhook", "webhookId", webhookId))));
        if (batchSize != null) {
            spec.put("batchSize", batchSize);
        }
        return post("/batch/jobs", Map.of("name", name, "spec", spec));
    }

    public JsonNode cancel(String jobId) {
        return post("/batch/jobs/" + jobId + ":cancel", Map.of());
    }

    public JsonNode job(String id) {
        return get("/batch/jobs/" + id);
    }

    public JsonNode jobs(Integer limit, String page) {
        StringBuilder q = new StringBuilder("/batch/jobs?");
        if (limit != null) {
            q.append("limit=").append(limit).append('&');
        }
        if (page != null) {
            q.append("page=").append(URLEncoder.encode(page, StandardCharsets.UTF_8));
        }
        return get(q.toString());
    }

    public JsonNode logs(String jobId, String query) {
        return get("/batch/jobs/" + jobId + "/logs" + (query == null ? "" : "?" + query));
    }

    /** PUTs bytes to an upload URL exactly as the API described it (method, url, headers). */
    public void upload(JsonNode uploadUrl, byte[] bytes) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uploadUrl.get("url").asText()))
                .timeout(Duration.ofMinutes(5))
                .method(uploadUrl.get("method").asText(), HttpRequest.BodyPublishers.ofByteArray(bytes));
        JsonNode headers = uploadUrl.get("headers");
        if (headers != null) {
            Iterator<Map.Entry<String, JsonNode>> fields = headers.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> h = fields.next();
                request.header(h.getKey(), h.getValue().asText());
            }
        }
        HttpResponse<String> response = send(request);
        if (response.statusCode() / 100 != 2) {
            throw new ApiException(response.statusCode(), "upload.failed", response.body());
        }
    }

    /** Polls until the resource's status.overview is no longer one of the given transient states. */
    public JsonNode waitFor(java.util.function.Supplier<JsonNode> getter, Duration timeout, String... transientStates) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            JsonNode node = getter.get();
            String state = node.path("status").path("overview").asText();
            if (!java.util.Arrays.asList(transientStates).contains(state) || System.currentTimeMillis() > deadline) {
                return node;
            }
            sleep(200);
        }
    }

    public JsonNode get(String path) {
        return call(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    public JsonNode post(String path, Object body) {
        return call(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    }

    public JsonNode put(String path, Object body) {
        return call(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    }

    public JsonNode delete(String path) {
        return call(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    private JsonNode call(HttpRequest.Builder request) {
        request.header("Authorization", "Bearer " + apiKey).timeout(Duration.ofSeconds(60));
        HttpResponse<String> response = send(request);
        JsonNode body = response.body().isEmpty() ? Json.MAPPER.nullNode() : Json.tree(response.body());
        if (response.statusCode() / 100 != 2) {
            throw new ApiException(response.statusCode(), body.path("error").path("code").asText(),
                    body.path("error").path("message").asText());
        }
        return body;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot reach the Sluice API: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
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
