package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.client.SluiceClient;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `sluice` client commands and the Java client library, against `sluice local`. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {
    LocalStack stack;
    StaticFiles images;
    WebhookReceiver receiver;
    Path dir;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.TEST, List.of(), dev.sluice.local.StageWrapper.NONE,
                StackUnderTest.ACCESS).withTunables(StackUnderTest.TEST_TUNABLES));
        images = new StaticFiles(Samples.root().resolve("images"));
        receiver = new WebhookReceiver();
        dir = Files.createTempDirectory("sluice-cli");
    }

    @AfterAll
    void stop() {
        receiver.close();
        images.close();
        stack.close();
    }

    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    Result sluice(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api", stack.apiUrl(), "--project", stack.projectId, "--key", stack.apiKey));
        int code = Main.client(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aJobFromTheCommandLine_createWaitLogsResults() throws Exception {
        Path ndjson = dir.resolve("photos.ndjson");
        StringBuilder lines = new StringBuilder();
        for (String[] p : Samples.PHOTOS) {
            lines.append("{\"kind\":\"Image\",\"url\":\"").append(images.url(p[0])).append("\"}\n");
        }
        lines.append("{\"kind\":\"Image\",\"url\":\"").append(images.url("missing.jpg")).append("\"}\n");
        Files.writeString(ndjson, lines);

        Result model = sluice("models", "create", "--name", "mobilenet", "--file", Samples.classifier().toString(),
                "--labels", Samples.root().resolve("models/synset.txt").toString(), "--output", "json");
        assertEquals(0, model.code, model.err);
        assertEquals("Ready", model.json().path("status").path("overview").asText());
        assertEquals("goldfish", model.json().path("labels").get(1).asText(), "synset lines become label names");
        Result dataset = sluice("datasets", "create", "--name", "photos", "--file", ndjson.toString(), "--output", "json");
        assertEquals(5, dataset.json().path("status").path("itemCount").asInt(), dataset.err);
        assertTrue(dataset.err.contains("uploading photos.ndjson [##############################] 100%"),
                "a progress bar on the upload, on stderr: " + dataset.err);
        Result webhook = sluice("webhooks", "create", "--name", "r", "--endpoint", receiver.url(), "--output", "json");
        receiver.secret(webhook.json().get("secret").asText());
        Result job = sluice("jobs", "create", "--name", "cli", "--dataset", dataset.json().get("id").asText(),
                "--model", model.json().get("id").asText(), "--webhook", webhook.json().get("id").asText(), "--output", "json");
        assertEquals(0, job.code, job.err);
        String jobId = job.json().get("id").asText();

        Result waited = sluice("jobs", "wait", jobId, "--timeout-s", "120");
        assertEquals(4, waited.code, "Finished, but one item failed (404): exit 4: " + waited.err);
        assertTrue(waited.err.contains("Finished") && waited.err.contains("5/5"), "a progress bar: " + waited.err);
        assertTrue(waited.err.contains("with 4 of 5 items delivered"), waited.err);

        Result errors = sluice("jobs", "logs", jobId, "--min-level", "Error");
        assertTrue(errors.out.contains("gather.http_404"), errors.out);
        Result failedItems = sluice("jobs", "items", jobId, "--status", "FailedGather");
        assertTrue(failedItems.out.contains("FailedGather") && failedItems.out.contains("gather.http_404"), failedItems.out);
        Result list = sluice("jobs", "list");
        assertTrue(list.out.contains(jobId) && list.out.contains("Finished"), list.out);

        SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        // the completion event and manifest follow the last delivery: wait for them (409 until written), not a
        // fixed while (a fixed 2.5 s sleep here failed on a busy machine)
        LocalJobs.results(client, jobId);
        Result results = sluice("jobs", "results", jobId, "--out", dir.resolve("out").toString());
        assertEquals(0, results.code, results.err);
        assertTrue(Files.readString(dir.resolve("out/manifest.json")).contains(jobId));

        Iterator<JsonNode> all = client.allLogs(jobId, "maxEntries=3");
        int n = 0;
        while (all.hasNext()) {
            all.next();
            n++;
        }
        assertTrue(n >= 9, "4 photos x 2 entries (predicted, delivered) + 1 failure, 3 per page: " + n);
    }

    @Test
    void everyCollectionPagesWithCursors() {
        SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        for (int i = 0; i < 3; i++) {
            client.createDataset("d" + i);
            client.createWebhook("w" + i, receiver.url(), 1, 1000);
            client.createModel("m" + i, List.of("a"));
        }
        for (String collection : List.of("/batch/datasets", "/batch/webhooks", "/models")) {
            JsonNode first = client.get(collection + "?limit=2");
            assertEquals(2, first.get("data").size(), collection);
            JsonNode second = client.get(collection + "?limit=2&page=" + first.get("nextPage").asText());
            assertTrue(second.get("data").size() >= 1, collection);
            assertTrue(first.get("data").get(1).get("id").asText().compareTo(second.get("data").get(0).get("id").asText()) > 0,
                    collection + " is newest first");
            JsonNode back = client.get(collection + "?limit=2&page=" + second.get("prevPage").asText());
            assertEquals(first.get("data").get(0).get("id").asText(), back.get("data").get(0).get("id").asText(), collection);
        }
        org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.BadRequest.class, () -> client.get("/models?limit=1001"));
    }

    @Test
    void errorsAreTyped_andTheCliExitsNonZeroWithTheCode() {
        SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.NotFound.class, () -> client.job("batchjob_nope"));
        org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.BadRequest.class, () -> client.jobs(5000, null));
        SluiceClient stranger = new SluiceClient(stack.apiUrl(), stack.projectId, "sk_not_a_real_key_000000");
        org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.Unauthorized.class, () -> stranger.jobs(null, null));
        Result missing = sluice("jobs", "get", "batchjob_nope");
        assertEquals(1, missing.code);
        assertTrue(missing.err.contains("job.not_found"), missing.err);
        Result usage = sluice("jobs", "frobnicate");
        assertEquals(2, usage.code);
    }

    /** Runs a command with --output json; its stdout must be exactly one JSON document. */
    JsonNode json(java.util.Set<String> ran, int expectedCode, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--output", "json"));
        Result r = sluice(all.toArray(String[]::new));
        assertEquals(expectedCode, r.code, String.join(" ", args) + ": " + r.err);
        // a group's command ("jobs get"); a top-level command ("usage --from …") is checked where it runs
        ran.add(args.length > 1 && !args[1].startsWith("-") ? args[0] + " " + args[1] : args[0]);
        return OneDocument.parse(r.out);
    }

    JsonNode json(java.util.Set<String> ran, String... args) throws Exception {
        return json(ran, 0, args);
    }

    @Test
    void everyCommandThatPrints_printsOneJsonDocument_listsAsArrays() throws Exception {
        java.util.Set<String> ran = new java.util.TreeSet<>();
        Path ndjson = dir.resolve("one.ndjson");
        Files.writeString(ndjson, "{\"kind\":\"Image\",\"url\":\"" + images.url(Samples.PHOTOS.get(0)[0]) + "\"}\n");
        String modelId = json(ran, "models", "create", "--name", "m", "--file", Samples.classifier().toString(),
                "--labels", Samples.root().resolve("models/synset.txt").toString()).get("id").asText();
        json(ran, "models", "get", modelId);
        assertTrue(json(ran, "models", "list", "--limit", "2").get("data").isArray());
        String datasetId = json(ran, "datasets", "create", "--name", "d", "--file", ndjson.toString(),
                "--metadata", "team=cli").get("id").asText();
        json(ran, "datasets", "get", datasetId);
        json(ran, "datasets", "list");
        assertTrue(json(ran, "datasets", "list", "--show-expired").get("data").isArray());
        // issue 23 item 6: metadata given on create, filtered on by list
        JsonNode tagged = json(ran, "datasets", "list", "--metadata", "team=cli", "--status", "Ready", "--name-prefix", "d");
        assertEquals(1, tagged.get("data").size(), tagged.toString());
        assertEquals(datasetId, tagged.get("data").get(0).get("id").asText());
        assertEquals(0, json(ran, "datasets", "list", "--metadata", "team=other").get("data").size());
        String deploymentId = json(ran, "deployments", "create", "--name", "dep", "--model", modelId).get("id").asText();
        json(ran, "deployments", "get", deploymentId);
        json(ran, "deployments", "list");
        JsonNode webhook = json(ran, "webhooks", "create", "--name", "w", "--endpoint", receiver.url());
        String webhookId = webhook.get("id").asText();
        receiver.secret(webhook.get("secret").asText());
        json(ran, "webhooks", "get", webhookId);
        json(ran, "webhooks", "list");
        assertEquals(2, json(ran, "webhooks", "update", webhookId, "--max-retries", "2")
                .path("spec").path("retries").path("maxRetries").asInt());
        receiver.secret(json(ran, "webhooks", "rotate", webhookId).get("secret").asText());
        json(ran, "webhooks", "test", webhookId);

        String jobId = json(ran, "jobs", "create", "--name", "j", "--dataset", datasetId, "--deployment", deploymentId,
                "--webhook", webhookId, "--metadata", "team=cli").get("id").asText();
        json(ran, "jobs", "get", jobId);
        json(ran, "jobs", "list");
        JsonNode taggedJobs = json(ran, "jobs", "list", "--metadata", "team=cli", "--name-prefix", "j",
                "--created-before", Long.toString(System.currentTimeMillis() + 60_000));
        assertEquals(jobId, taggedJobs.get("data").get(0).get("id").asText(), taggedJobs.toString());
        assertEquals(1, taggedJobs.get("data").size(), taggedJobs.toString());
        assertEquals("Finished", json(ran, "jobs", "wait", jobId, "--timeout-s", "120").path("status").path("overview").asText());
        JsonNode deliveries = json(ran, "webhooks", "deliveries", webhookId, "--limit", "1000");
        JsonNode attempts = deliveries.has("data") ? deliveries.get("data") : deliveries;
        assertTrue(attempts.size() >= 1 && attempts.get(0).has("requestId"), "the job's POSTs: " + deliveries);
        Result table = sluice("webhooks", "deliveries", webhookId, "--limit", "5");
        assertTrue(table.out.startsWith("REQUESTID\tJOBID\tITEMINDEX\tEVENT\tPROGRESSPERCENT\tSTATUSCODE"), table.out);
        assertTrue(table.out.contains(attempts.get(0).get("requestId").asText()), table.out);
        JsonNode replayed = json(ran, "webhooks", "replay", webhookId, attempts.get(0).get("requestId").asText());
        assertTrue(replayed.path("replay").asBoolean(), replayed.toString());
        JsonNode logs = json(ran, "jobs", "logs", jobId);
        assertTrue(logs.isArray() && logs.size() >= 2, "the log entries (predicted, delivered), one array: " + logs);
        JsonNode items = json(ran, "jobs", "items", jobId, "--follow");
        assertTrue(items.isArray() && items.size() >= 1, "the items, one array: " + items);
        LocalJobs.results(new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey), jobId);
        JsonNode files = json(ran, "jobs", "results", jobId, "--out", dir.resolve("json-out").toString());
        assertTrue(files.isArray() && files.get(0).asText().endsWith("manifest.json"), files.toString());
        // a job that waits for its start time: cancelled, then retried (ISO-8601 and epoch ms name the same instant)
        java.time.Instant later = java.time.Instant.now().plus(java.time.Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        JsonNode waiting = json(ran, "jobs", "create", "--name", "later", "--dataset", datasetId, "--model", modelId,
                "--start-at", later.toString(), "--stop-at", Long.toString(later.plusSeconds(60).toEpochMilli()));
        assertEquals(later.toEpochMilli(), waiting.path("spec").path("startAtTime").asLong(), waiting.toString());
        json(ran, "jobs", "cancel", waiting.get("id").asText());
        // a retry runs now (it does not keep the start time), so it may end before any cancel: the retries below are
        // of the cancelled original, whose never-run items are skipped, hence retryable
        String retried = json(ran, "jobs", "retry", waiting.get("id").asText()).get("id").asText();
        cancelUnlessEnded(retried);
        // skipped items are retryable; the override takes, and the link to the original stays
        JsonNode again = json(ran, "jobs", "retry", waiting.get("id").asText(), "--only", "retryable", "--batch-size", "4");
        assertEquals(4, again.path("spec").path("batchSize").asInt(), again.toString());
        assertEquals(waiting.get("id").asText(), again.path("spec").path("retryOf").asText());
        assertTrue(json(ran, "jobs", "get", waiting.get("id").asText()).path("retries").toString()
                .contains(again.get("id").asText()), "the original lists its retries");
        JsonNode lineage = json(ran, "jobs", "lineage", waiting.get("id").asText(), "--limit", "10");
        assertEquals(3, lineage.path("jobs").size(), "the job and its two retries: " + lineage);
        cancelUnlessEnded(again.get("id").asText());
        // a dry run prints what a sample would run, and creates nothing
        long jobsBefore = json(ran, "jobs", "list").size();
        JsonNode dry = json(ran, "jobs", "create", "--name", "check", "--dataset", datasetId, "--model", modelId,
                "--limit", "1", "--dry-run");
        assertEquals(1, dry.path("itemCount").asLong(), dry.toString());
        // the estimate is the benchmark's unless a job of the model finished: a retry above may have ended before
        // its cancel (on a busy machine it did), and its measured rate is then the model's history
        boolean aRetryFinished = java.util.stream.Stream.of(retried, again.get("id").asText()).anyMatch(id -> "Finished"
                .equals(new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey).job(id).path("status").path("overview").asText()));
        assertEquals(aRetryFinished ? "History" : "Benchmark", dry.path("basis").path("source").asText(), dry.toString());
        assertEquals(jobsBefore, json(ran, "jobs", "list").size());
        assertTrue(json(ran, "jobs", "delete", waiting.get("id").asText()).path("deleted").asBoolean(),
                "an ended job is deleted: {id, deleted: true}");
        String unused = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey).createDataset("unused")
                .get("id").asText();
        assertEquals(unused, json(ran, "datasets", "delete", unused).path("id").asText());

        String keyId = json(ran, "keys", "create", "--name", "k").get("id").asText();
        json(ran, "keys", "list");
        Result keys = sluice("keys", "list");
        assertTrue(keys.out.matches("(?s).*\\t20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z.*"),
                "times in tables are ISO-8601: " + keys.out);
        json(ran, "keys", "revoke", keyId);
        Path secretValue = Files.writeString(dir.resolve("secret-value"), "a-secret-value\n");
        assertEquals("cli-secret", json(ran, "secrets", "create", "--name", "cli-secret", "--value-file",
                secretValue.toString()).path("name").asText());
        JsonNode secrets = json(ran, "secrets", "list");
        assertTrue(secrets.toString().contains("cli-secret") && !secrets.toString().contains("a-secret-value"),
                "names, never values: " + secrets);
        json(ran, "secrets", "rotate", "cli-secret", "--value-file", secretValue.toString());
        json(ran, "secrets", "delete", "cli-secret");
        JsonNode usage = json(ran, "usage", "--from", "2026-01-01", "--to", "2026-01-31");
        assertEquals("2026-01-01", usage.path("from").asText(), usage.toString());
        String usageTable = sluice("usage", "--from", "2026-01-01", "--to", "2026-01-31").out;
        assertTrue(usageTable.matches("(?s).*\\nestimatedCostUsd +\\S+\\n.*") && !usageTable.contains("..."),
                "a table shows each figure on its line, the cost too: " + usageTable);

        Path in = Files.createDirectories(dir.resolve("exec-in"));
        Files.writeString(in.resolve("day.csv"), "a,b,c\n1,2,3\n4,5,6\n");
        Path onnx = dir.resolve("linear.onnx");
        Files.write(onnx, ExecutionTest.MODEL);
        SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        String tabular = client.uploadModel("linear", "Tabular", onnx, List.of("neg", "pos"), java.time.Duration.ofMinutes(1))
                .get("id").asText();
        // a dry run names the files it would run, and starts nothing
        int executionsBefore = json(ran, "executions", "list").path("data").size();
        JsonNode dryExecution = json(ran, "executions", "start", "--model", tabular, "--source", "file://" + in,
                "--destination", "file://" + dir.resolve("exec-out"), "--input-file-type", "csv",
                "--param", "featureColumns=a,b,c", "--dry-run");
        assertEquals("day.csv", dryExecution.path("files").path(0).path("name").asText(), dryExecution.toString());
        assertEquals(Files.size(in.resolve("day.csv")), dryExecution.path("bytes").asLong());
        assertEquals(executionsBefore, json(ran, "executions", "list").path("data").size(), "nothing started");
        String executionId = json(ran, "executions", "start", "--model", tabular, "--source", "file://" + in,
                "--destination", "file://" + dir.resolve("exec-out"), "--input-file-type", "csv",
                "--param", "featureColumns=a,b,c", "--metadata", "team=cli").get("id").asText();
        json(ran, "executions", "get", executionId);
        json(ran, "executions", "list");
        assertTrue(json(ran, "executions", "role").path("externalId").asText().startsWith("sluice-"));
        JsonNode taggedExecutions = json(ran, "executions", "list", "--metadata", "team=cli");
        assertEquals(executionId, taggedExecutions.get("data").get(0).get("id").asText(), taggedExecutions.toString());
        assertEquals("Finished", json(ran, "executions", "wait", executionId).path("status").path("overview").asText());
        JsonNode report = json(ran, "executions", "report", executionId);
        assertTrue(report.isArray() && report.size() == 1, "the report, one array: " + report);
        json(ran, "dlq", "list");

        json(ran, "deployments", "delete", deploymentId);
        json(ran, "webhooks", "delete", webhookId);
        json(ran, "models", "delete", client.createModel("gone", List.of("a")).get("id").asText());
        Result yaml = sluice("jobs", "get", jobId, "--output", "yaml");
        assertEquals(jobId, new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml.out)
                .get("id").asText(), yaml.out);

        // every client command was run above, but these: `executions cancel` needs an execution still running (a race
        // here; it prints through the same path as `executions get`), `dlq get`/`dlq redrive` need a dead letter
        // (DeadLetterTest parses both as one document)
        // (DeadLetterTest parses both as one document); `admin …` talks to DynamoDB, not the API (AdminCommandsTest)
        java.util.Set<String> elsewhere = java.util.Set.of("executions cancel", "dlq get", "dlq redrive",
                "admin projects", "admin keys", "admin delete-data");
        java.util.Set<String> clientCommands = new java.util.TreeSet<>();
        for (List<String> words : CommandLineTest.allCommands()) {
            if (words.size() == 2) {
                clientCommands.add(String.join(" ", words));
            }
        }
        java.util.Set<String> covered = new java.util.TreeSet<>(ran);
        covered.remove("usage");
        covered.addAll(elsewhere);
        assertEquals(clientCommands, covered);
    }

    /** Cancels a job that may already have ended (a retry of skipped items can finish before the cancel arrives). */
    private void cancelUnlessEnded(String jobId) {
        try {
            new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey).cancel(jobId);
        } catch (SluiceClient.Conflict ended) {
            assertEquals("job.already_terminal", ended.code, ended.getMessage());
        }
    }
}
