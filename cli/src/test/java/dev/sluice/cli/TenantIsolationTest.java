package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StageWrapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14, tried as an attacker with two projects on one stack: the stack's own project (the victim, with a model and
 * a dataset in the data bucket) and a second project bootstrapped as README's "The first job" does. The stack is
 * `sluice local` as its environment makes it: SLUICE_ITEM_BUCKETS and SLUICE_EXECUTION_BUCKETS name one bucket each,
 * SLUICE_ALLOW_LOCAL_URLS is not set.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantIsolationTest {
    static final String PHOTOS = "tenant-photos";
    static final String FILES = "tenant-files";
    static final String ELSEWHERE = "tenant-elsewhere";
    static final String ATTACKER = "proj_attacker";
    static final String ATTACKER_KEY = "sk_attacker_bootstrap_key_0001";

    LocalStack stack;
    SluiceClient victim;
    SluiceClient attacker;
    String dataBucket;
    String victimModel;
    String victimDataset;
    Path dir;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("sluice-tenants");
        // stored credentials of the attacker's own (local mode keeps secrets in files)
        Path secrets = dir.resolve("secrets");
        Files.createDirectories(secrets.resolve("sluice"));
        Files.writeString(secrets.resolve("sluice/tenant-key-id"), "local");
        Files.writeString(secrets.resolve("sluice/tenant-secret"), "local");
        System.setProperty("sluice.secretsDir", secrets.toString());
        System.setProperty("sluice.local.schedulerPeriodMillis", "500");
        LocalStack.Access access = LocalStack.Access.fromEnvironment(Map.of("SLUICE_ITEM_BUCKETS", PHOTOS,
                "SLUICE_EXECUTION_BUCKETS", FILES), false);
        stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.TEST, List.of(),
                StageWrapper.NONE, access).withTunables(StackUnderTest.TEST_TUNABLES));
        dataBucket = stack.services.config().bucket();
        for (String bucket : List.of(PHOTOS, FILES, ELSEWHERE)) {
            stack.clients.s3().createBucket(b -> b.bucket(bucket));
        }
        byte[] goldfish = Samples.bytes(Samples.image("goldfish.jpg"));
        stack.clients.s3().putObject(b -> b.bucket(PHOTOS).key("goldfish.jpg"), RequestBody.fromBytes(goldfish));
        stack.clients.s3().putObject(b -> b.bucket(ELSEWHERE).key("goldfish.jpg"), RequestBody.fromBytes(goldfish));
        stack.clients.s3().putObject(b -> b.bucket(FILES).key("in/a.csv"), RequestBody.fromString("x\n1\n"));

        victim = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        victimModel = LocalJobs.uploadClassifier(victim);
        victimDataset = dataset(victim, "victim", List.of("https://example.com/a.jpg")).get("id").asText();

        LocalProvisioner.bootstrapKey(stack.clients.dynamo(), stack.services.config(), ATTACKER, ATTACKER_KEY);
        attacker = new SluiceClient(stack.apiUrl(), ATTACKER, ATTACKER_KEY);
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
        System.clearProperty("sluice.secretsDir");
    }

    JsonNode dataset(SluiceClient client, String name, List<String> urls) throws Exception {
        StringBuilder ndjson = new StringBuilder();
        for (String url : urls) {
            ndjson.append("{\"kind\":\"Image\",\"url\":\"").append(url).append("\"}\n");
        }
        Path file = dir.resolve(name + ".ndjson");
        Files.writeString(file, ndjson);
        return client.createDatasetFromFile(name, file, Duration.ofSeconds(60));
    }

    /** Runs a job of the attacker over the items; returns line index → error code (absent: predicted). */
    Map<Long, String> attackerJob(List<String> urls) throws Exception {
        String model = LocalJobs.uploadClassifier(attacker);
        String datasetId = dataset(attacker, "attack-" + System.nanoTime(), urls).get("id").asText();
        String jobId = attacker.createJob("attack", datasetId, model, null, 32).get("id").asText();
        JsonNode done = attacker.waitUntilDone(jobId, Duration.ofMillis(200), Duration.ofSeconds(120), j -> { });
        assertEquals("Finished", done.path("status").path("overview").asText(), done.toString());
        Map<Long, String> codes = new HashMap<>();
        attacker.allLogs(jobId, "minLevel=Error").forEachRemaining(e -> {
            if (e.hasNonNull("reason") && e.has("index")) {
                codes.put(e.get("index").asLong(), e.get("reason").asText().split(":")[0]);
            }
        });
        return codes;
    }

    @Test
    void s3Items_readOnlyAllowedBuckets_neverTheDataBucket_andARefusalSaysNothingOfExistence() throws Exception {
        List<String> urls = List.of(
                "s3://" + dataBucket + "/models/" + stack.projectId + "/" + victimModel + ".onnx", // exists
                "s3://" + dataBucket + "/datasets/" + stack.projectId + "/" + victimDataset + ".ndjson", // exists
                "s3://" + dataBucket + "/datasets/" + stack.projectId + "/dataset_nothere.ndjson", // does not
                "s3://" + ELSEWHERE + "/goldfish.jpg", // a photo in a bucket not allowed
                "s3://" + ELSEWHERE + "/missing.jpg",
                "s3://" + PHOTOS + "/goldfish.jpg", // allowed
                "s3://" + PHOTOS + "/missing.jpg");
        assertTrue(stack.clients.s3().headObject(b -> b.bucket(dataBucket).key(
                "models/" + stack.projectId + "/" + victimModel + ".onnx")).contentLength() > 0, "the victim's model is there");
        Map<Long, String> codes = attackerJob(urls);
        Map<Long, String> expected = new LinkedHashMap<>();
        for (long i = 0; i < 5; i++) {
            expected.put(i, "gather.bucket_refused");
        }
        expected.put(6L, "gather.not_found"); // an allowed bucket may tell what is missing
        assertEquals(expected, codes, "line 5, the allowed photo, is predicted; the rest fail with these codes");
    }

    @Test
    void executions_refuseTheDataBucket_andBucketsNotAllowed_unlessTheUsersOwnCredentialsAreUsed() {
        String model = LocalJobs.uploadClassifier(attacker);
        List<Map<String, Object>> refused = List.of(
                spec(model, Map.of("bucket", dataBucket), "results", "stolen"), // read another project's results
                spec(model, Map.of("sourceBucket", FILES, "destinationBucket", dataBucket), "in",
                        "datasets/" + stack.projectId), // overwrite another project's dataset
                spec(model, Map.of("bucket", ELSEWHERE), "in", "out"));
        for (Map<String, Object> spec : refused) {
            SluiceClient.ApiException e = assertThrows(SluiceClient.ApiException.class, () -> attacker.startExecution(spec));
            assertEquals(400, e.status, spec.toString());
            assertEquals("execution.bucket_refused", e.code, e.getMessage());
        }
        // the allowed bucket, and any bucket reached with the user's own stored credentials, are accepted
        assertEquals("execution", attacker.startExecution(spec(model, Map.of("bucket", FILES), "in", "out"))
                .path("object").asText());
        Map<String, Object> own = spec(model, Map.of("bucket", ELSEWHERE), "in", "out");
        own.put("accessTokenName", "sluice/tenant-key-id");
        own.put("accessSecretName", "sluice/tenant-secret");
        assertEquals("execution", attacker.startExecution(own).path("object").asText());
        // the victim's dataset is untouched
        assertEquals("Ready", victim.dataset(victimDataset).path("status").path("overview").asText());
    }

    static Map<String, Object> spec(String model, Map<String, String> buckets, String source, String destination) {
        Map<String, Object> spec = new HashMap<>(buckets);
        spec.put("model", Map.of("id", model));
        spec.put("sourceFolder", source);
        spec.put("destinationFolder", destination);
        return spec;
    }

    /**
     * `sluice local` without SLUICE_ALLOW_LOCAL_URLS: loopback webhooks, file:// and loopback items and file://
     * execution folders are refused, as on AWS; --strict refuses to start with SLUICE_ALLOW_LOCAL_URLS=true.
     */
    @Test
    void localMode_withoutAllowLocalUrls_refusesLoopbackAndFileUrls_andStrictCannotBeRelaxed() throws Exception {
        SluiceClient.ApiException hook = assertThrows(SluiceClient.ApiException.class,
                () -> attacker.createWebhook("loopback", "http://127.0.0.1:" + stack.apiUrl().replaceAll(".*:", ""), 0, 1000));
        assertEquals(400, hook.status);
        Map<String, Object> files = spec(LocalJobs.uploadClassifier(attacker), Map.of(), "file:///etc", "file:///tmp/out");
        SluiceClient.ApiException folder = assertThrows(SluiceClient.ApiException.class, () -> attacker.startExecution(files));
        assertEquals("execution.local_folder_refused", folder.code);
        Map<Long, String> codes = attackerJob(List.of("file:///etc/passwd", stack.apiUrl() + "/x.jpg"));
        assertEquals(2, codes.size(), codes.toString());
        codes.values().forEach(code -> assertTrue(code.startsWith("gather.") || code.startsWith("item."), code));

        assertFalse(LocalStack.Access.fromEnvironment(Map.of(), false).allowLocalUrls(), "off by default");
        assertFalse(LocalStack.Access.fromEnvironment(Map.of(), true).allowLocalUrls());
        assertTrue(LocalStack.Access.fromEnvironment(Map.of("SLUICE_ALLOW_LOCAL_URLS", "true"), false).allowLocalUrls());
        assertThrows(IllegalArgumentException.class,
                () -> LocalStack.Access.fromEnvironment(Map.of("SLUICE_ALLOW_LOCAL_URLS", "true"), true));
    }
}
