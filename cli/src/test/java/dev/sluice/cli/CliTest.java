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
        Result webhook = sluice("webhooks", "create", "--name", "r", "--endpoint", receiver.url(), "--output", "json");
        receiver.secret(webhook.json().get("secret").asText());
        Result job = sluice("jobs", "create", "--name", "cli", "--dataset", dataset.json().get("id").asText(),
                "--model", model.json().get("id").asText(), "--webhook", webhook.json().get("id").asText(), "--output", "json");
        assertEquals(0, job.code, job.err);
        String jobId = job.json().get("id").asText();

        Result waited = sluice("jobs", "wait", jobId, "--timeout-s", "120");
        assertEquals(0, waited.code, "exit 0 on Finished: " + waited.err);
        assertTrue(waited.err.contains("Finished") && waited.err.contains("5/5"), "a progress bar: " + waited.err);

        Result errors = sluice("jobs", "logs", jobId, "--min-level", "Error");
        assertTrue(errors.out.contains("gather.http_404"), errors.out);
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
        assertTrue(n >= 17, "4 photos x 4 entries + 1 failure, 3 per page: " + n);
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
}
