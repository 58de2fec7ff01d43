package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs jobs against a local stack over its REST API, as a user does: dataset upload, webhook, job, polling. */
final class LocalJobs {
    private final SluiceClient client;
    private final StaticFiles images;
    private final String modelId;
    private final Consumer<String> secrets;

    /** @param secrets told every webhook secret created, so a test can check none reaches a log */
    LocalJobs(SluiceClient client, StaticFiles images, String modelId, Consumer<String> secrets) {
        this.client = client;
        this.images = images;
        this.modelId = modelId;
        this.secrets = secrets;
    }

    /** Uploads the sample classifier and waits until it is Ready; returns its id. */
    static String uploadClassifier(SluiceClient client) {
        JsonNode model = client.createModel("mobilenet", Samples.imagenetLabels());
        client.upload(model.path("status").path("source").path("uploadUrl"), Samples.bytes(Samples.classifier()));
        String id = model.get("id").asText();
        assertEquals("Ready", client.waitFor(() -> client.model(id), Duration.ofMinutes(5), "Uploading")
                .path("status").path("overview").asText());
        return id;
    }

    record Run(JsonNode job, WebhookReceiver receiver, List<String> lines) {
        String jobId() {
            return job.get("id").asText();
        }

        /** The POSTs of item predictions (the job.completed event is the other kind). */
        List<WebhookReceiver.Received> itemPosts() {
            String jobId = jobId();
            return receiver.received().stream().filter(r -> {
                JsonNode body = Json.tree(r.body());
                return !body.has("type") && jobId.equals(body.path("jobId").asText());
            }).toList();
        }

        /** The job.completed events of this run's job (a retry job may post its own to the same receiver). */
        List<WebhookReceiver.Received> completionEvents() {
            String jobId = jobId();
            return receiver.received().stream().map(r -> new Object[]{r, Json.tree(r.body())})
                    .filter(p -> "job.completed".equals(((JsonNode) p[1]).path("type").asText())
                            && jobId.equals(((JsonNode) p[1]).path("jobId").asText()))
                    .map(p -> (WebhookReceiver.Received) p[0]).toList();
        }

        ItemCounters counters() {
            return Json.MAPPER.convertValue(job.path("status").path("items"), ItemCounters.class);
        }
    }

    /** Creates the dataset, a webhook to a new receiver and the job, without waiting for the job. */
    Run startJob(List<String> lines, Integer batchSize, String target) {
        WebhookReceiver receiver = new WebhookReceiver();
        return startJob(lines, batchSize, target, receiver, Map.of("endpoint", receiver.url(),
                "retries", Map.of("maxRetries", 3, "maxBackoffMs", 2000)));
    }

    /** The same with a given receiver and webhook spec (endpoint, retries, timeoutMs). */
    Run startJob(List<String> lines, Integer batchSize, String target, WebhookReceiver receiver,
                 Map<String, Object> webhookSpec) {
        return startJob(lines, batchSize, target, receiver, webhookSpec, List.of());
    }

    /** The same with more destinations beside the webhook ({@code {kind: "S3", bucket, prefix}} …). */
    Run startJob(List<String> lines, Integer batchSize, String target, WebhookReceiver receiver,
                 Map<String, Object> webhookSpec, List<Map<String, Object>> moreDestinations) {
        return startJobOn(readyDataset(lines), lines, batchSize, target, receiver, webhookSpec, moreDestinations);
    }

    /** As {@link #startJob(List, Integer, String)} on a dataset of these lines that is Ready already. */
    Run startJobOn(String datasetId, List<String> lines, Integer batchSize, String target) {
        WebhookReceiver receiver = new WebhookReceiver();
        return startJobOn(datasetId, lines, batchSize, target, receiver, Map.of("endpoint", receiver.url(),
                "retries", Map.of("maxRetries", 3, "maxBackoffMs", 2000)), List.of());
    }

    private Run startJobOn(String datasetId, List<String> lines, Integer batchSize, String target,
                           WebhookReceiver receiver, Map<String, Object> webhookSpec,
                           List<Map<String, Object>> moreDestinations) {
        JsonNode webhook = client.post("/batch/webhooks", Map.of("name", "receiver", "spec", webhookSpec));
        receiver.secret(webhook.get("secret").asText());
        secrets.accept(webhook.get("secret").asText());
        List<Map<String, Object>> destinations = new ArrayList<>();
        destinations.add(Map.of("kind", "Webhook", "webhookId", webhook.get("id").asText()));
        destinations.addAll(moreDestinations);
        Map<String, Object> spec = new java.util.LinkedHashMap<>(Map.of("datasetId", datasetId,
                "deployment", Map.of("modelId", modelId, "target", target),
                "resultDelivery", Map.of("destinations", destinations)));
        if (batchSize != null) {
            spec.put("batchSize", batchSize);
        }
        JsonNode job = client.createJob("job", spec);
        assertEquals("Waiting", job.path("status").path("overview").asText());
        return new Run(job, receiver, lines);
    }

    /**
     * Creates the dataset, a webhook to a new receiver and a job whose webhook subscribes to these job events (spec
     * events) and that has this error budget (null: none), without waiting for the job.
     */
    Run startJob(List<String> lines, int batchSize, List<String> events, Map<String, Object> errorBudget) {
        return startJob(lines, batchSize, events, errorBudget, List.of());
    }

    /** The same with more destinations beside the webhook ({@code {kind: "S3", bucket, prefix}} …). */
    Run startJob(List<String> lines, int batchSize, List<String> events, Map<String, Object> errorBudget,
                 List<Map<String, Object>> moreDestinations) {
        WebhookReceiver receiver = new WebhookReceiver();
        String datasetId = readyDataset(lines);
        JsonNode webhook = client.post("/batch/webhooks", Map.of("name", "receiver", "spec", Map.of("endpoint",
                receiver.url(), "retries", Map.of("maxRetries", 3, "maxBackoffMs", 2000))));
        receiver.secret(webhook.get("secret").asText());
        secrets.accept(webhook.get("secret").asText());
        Map<String, Object> spec = new java.util.LinkedHashMap<>();
        spec.put("datasetId", datasetId);
        spec.put("deployment", Map.of("modelId", modelId));
        List<Map<String, Object>> destinations = new ArrayList<>();
        destinations.add(Map.of("kind", "Webhook", "webhookId", webhook.get("id").asText()));
        destinations.addAll(moreDestinations);
        spec.put("resultDelivery", Map.of("destinations", destinations));
        spec.put("batchSize", batchSize);
        spec.put("events", events);
        if (errorBudget != null) {
            spec.put("errorBudget", errorBudget);
        }
        return new Run(client.createJob("job", spec), receiver, lines);
    }

    /**
     * The job events the run's receiver got, by event id (job.started, job.progress.25, …), each with the request ids
     * of its POSTs, once every expected id arrived (waited for, at most {@link #WAIT_MILLIS}).
     */
    static Map<String, Set<String>> events(Run run, Set<String> expected) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (true) {
            Map<String, Set<String>> got = new java.util.TreeMap<>();
            for (WebhookReceiver.Received r : run.receiver().received()) {
                JsonNode body = Json.tree(r.body());
                if (body.has("type") && run.jobId().equals(body.path("jobId").asText())) {
                    org.junit.jupiter.api.Assertions.assertTrue(r.verified(), "a job event is signed");
                    got.computeIfAbsent(body.path("id").asText().substring(run.jobId().length() + 1),
                            k -> new java.util.TreeSet<>()).add(r.requestId());
                }
            }
            if (got.keySet().containsAll(expected) || System.currentTimeMillis() > deadline) {
                return got;
            }
            SluiceClient.sleep(200);
        }
    }

    /** Polls a started job until it ends. */
    Run await(Run started, Duration within) {
        String jobId = started.jobId();
        JsonNode done = client.waitFor(() -> client.job(jobId), within, "Waiting", "Running");
        return new Run(done, started.receiver(), started.lines());
    }

    Run runJob(List<String> lines, Integer batchSize, String target) {
        return await(startJob(lines, batchSize, target), Duration.ofMinutes(5));
    }

    List<String> photoLines(int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String photo = Samples.PHOTOS.get(i % Samples.PHOTOS.size())[0];
            lines.add(Json.write(Map.of("kind", "Image", "url", images.url(photo), "id", "photo-" + i)));
        }
        return lines;
    }

    String readyDataset(List<String> lines) {
        JsonNode dataset = client.createDataset("dataset");
        client.upload(dataset.path("status").path("source").path("uploadUrl"),
                (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        String id = dataset.get("id").asText();
        JsonNode ready = client.waitFor(() -> client.dataset(id), Duration.ofMinutes(5), "Uploading", "Validating");
        assertEquals("Ready", ready.path("status").path("overview").asText(), ready.toString());
        assertEquals(lines.size(), ready.path("status").path("itemCount").asLong());
        return id;
    }

    /**
     * A cap on waiting for a condition, never an expectation of speed: tests wait for what they assert (a state, a
     * count, a file) and give up only after this long, so a busy machine makes them slower, not red.
     */
    static final long WAIT_MILLIS = 300_000;

    /** The job's results listing, once its completion (manifest, errors file) is written. */
    static JsonNode results(SluiceClient client, String jobId) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (true) {
            try {
                return client.get("/batch/jobs/" + jobId + "/results");
            } catch (SluiceClient.ApiException e) {
                if (e.status != 409 || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                SluiceClient.sleep(200);
            }
        }
    }

    static String httpGet(String url) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
