package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * `sluice demo`: the bundled classifier on the bundled photos, end to end through the REST API of a local stack,
 * with every webhook POST's signature checked.
 */
final class Demo {
    private Demo() {
    }

    static int run(LocalStack stack, PrintStream out) {
        SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        try (StaticFiles images = new StaticFiles(Samples.root().resolve("images"));
             WebhookReceiver receiver = new WebhookReceiver()) {
            out.println("Registering the classifier (MobileNetV2 int8, ImageNet-1k)…");
            JsonNode created = client.createModel("mobilenetv2-12-int8", Samples.imagenetLabels());
            client.upload(created.path("status").path("source").path("uploadUrl"), Samples.bytes(Samples.classifier()));
            String modelId = created.get("id").asText();
            JsonNode model = client.waitFor(() -> client.model(modelId), Duration.ofSeconds(30), "Uploading");

            StringBuilder ndjson = new StringBuilder();
            for (String[] photo : Samples.PHOTOS) {
                ndjson.append(Json.write(Map.of("kind", "Image", "url", images.url(photo[0]), "id", photo[0]))).append('\n');
            }
            JsonNode dataset = client.createDataset("sample-photos");
            client.upload(dataset.path("status").path("source").path("uploadUrl"),
                    ndjson.toString().getBytes(StandardCharsets.UTF_8));
            String datasetId = dataset.get("id").asText();
            dataset = client.waitFor(() -> client.dataset(datasetId), Duration.ofSeconds(30), "Uploading", "Validating");
            out.println("Dataset " + datasetId + ": " + dataset.path("status").path("overview").asText() + ", "
                    + dataset.path("status").path("itemCount").asLong() + " items");

            JsonNode webhook = client.createWebhook("demo-receiver", receiver.url(), 3, 10_000);
            receiver.secret(webhook.get("secret").asText());

            JsonNode job = client.createJob("demo", datasetId, model.get("id").asText(), webhook.get("id").asText(), null);
            String jobId = job.get("id").asText();
            out.println("Job " + jobId + " created");
            long deadline = System.currentTimeMillis() + 180_000;
            while (true) {
                job = client.job(jobId);
                JsonNode s = job.get("status");
                JsonNode items = s.get("items");
                out.printf("\r  %-8s gathered %d  preprocessed %d  predicted %d  delivered %d / %d   ",
                        s.get("overview").asText(), items.get("gathered").asLong(), items.get("preprocessed").asLong(),
                        items.get("predicted").asLong(), items.get("delivered").asLong(), s.get("itemCount").asLong());
                out.flush();
                if (!s.get("overview").asText().matches("Waiting|Running") || System.currentTimeMillis() > deadline) {
                    break;
                }
                SluiceClient.sleep(250);
            }
            out.println();
            // the signed job.completed event follows the last delivery
            long eventDeadline = System.currentTimeMillis() + 10_000;
            while (receiver.received().stream().noneMatch(r -> r.body().contains("\"job.completed\""))
                    && System.currentTimeMillis() < eventDeadline) {
                SluiceClient.sleep(100);
            }
            Map<String, String> top1 = new TreeMap<>();
            long verified = 0;
            for (WebhookReceiver.Received r : receiver.received()) {
                if (r.verified()) {
                    verified++;
                }
                JsonNode body = Json.tree(r.body());
                if (body.has("type")) {
                    out.println("Event " + body.get("type").asText() + " received, signature "
                            + (r.verified() ? "verified" : "NOT verified"));
                    continue;
                }
                JsonNode best = body.path("prediction").path("classes").path(0);
                top1.put(body.path("item").path("id").asText(), String.format("%s (%.3f)", best.path("label").asText(),
                        best.path("score").asDouble()));
            }
            top1.forEach((photo, label) -> out.printf("  %-18s → %s%n", photo, label));
            JsonNode s = job.get("status");
            out.println("Job " + s.get("overview").asText() + ": " + Json.write(s.get("items")) + ", itemCount "
                    + s.get("itemCount").asLong());
            out.println("Webhook POSTs: " + receiver.received().size() + ", signatures verified: " + verified);
            boolean ok = s.get("overview").asText().equals("Finished")
                    && s.get("items").get("delivered").asLong() == Samples.PHOTOS.size()
                    && verified == receiver.received().size();
            return ok ? 0 : 1;
        }
    }
}
