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
        // local mode keeps secrets in files, in a folder of this test's; both projects create theirs through the API
        System.setProperty("sluice.secretsDir", dir.resolve("secrets").toString());
        System.setProperty("sluice.local.schedulerPeriodMillis", "500");
        LocalStack.Access access = LocalStack.Access.fromEnvironment(Map.of("SLUICE_ITEM_BUCKETS", PHOTOS,
                "SLUICE_EXECUTION_BUCKETS", FILES), false);
        stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.TEST, List.of(),
                StageWrapper.NONE, access).withTunables(StackUnderTest.TEST_TUNABLES));
        dataBucket = stack.services.config().bucket();
        stack.clients.s3().createBucket(b -> b.bucket(ELSEWHERE)); // PHOTOS and FILES: the stack made them
        byte[] goldfish = Samples.bytes(Samples.image("goldfish.jpg"));
        stack.clients.s3().putObject(b -> b.bucket(PHOTOS).key("goldfish.jpg"), RequestBody.fromBytes(goldfish));
        stack.clients.s3().putObject(b -> b.bucket(ELSEWHERE).key("goldfish.jpg"), RequestBody.fromBytes(goldfish));
        stack.clients.s3().putObject(b -> b.bucket(FILES).key("in/a.csv"), RequestBody.fromString("x\n1\n"));

        victim = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        victimModel = LocalJobs.uploadClassifier(victim);
        victimDataset = dataset(victim, "victim", List.of("https://example.com/a.jpg")).get("id").asText();

        LocalProvisioner.bootstrapKey(stack.clients.dynamo(), stack.services.config(), ATTACKER, ATTACKER_KEY);
        attacker = new SluiceClient(stack.apiUrl(), ATTACKER, ATTACKER_KEY);
        // stored credentials of the attacker's own (the emulator takes any key)
        attacker.createSecret("tenant-key-id", "local");
        attacker.createSecret("tenant-secret", "local");
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
        return attackerJob(LocalJobs.uploadClassifier(attacker), urls);
    }

    Map<Long, String> attackerJob(String model, List<String> urls) throws Exception {
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
        Map<String, Object> own = withOwnCredentials(spec(model, Map.of("bucket", ELSEWHERE), "in", "out"));
        assertEquals("execution", attacker.startExecution(own).path("object").asText());
        // the user's own credentials never open the data bucket: not to read another project's datasets or results
        // into one's own output, not to overwrite its dataset file (issue 20, item 2)
        for (Map<String, Object> spec : List.of(
                spec(model, Map.of("sourceBucket", dataBucket, "destinationBucket", ELSEWHERE),
                        "datasets/" + stack.projectId, "stolen"),
                spec(model, Map.of("sourceBucket", dataBucket, "destinationBucket", ELSEWHERE),
                        "results/" + stack.projectId, "stolen"),
                spec(model, Map.of("sourceBucket", ELSEWHERE, "destinationBucket", dataBucket), "in",
                        "datasets/" + stack.projectId),
                spec(model, Map.of("bucket", dataBucket), "", ""))) {
            SluiceClient.ApiException e = assertThrows(SluiceClient.ApiException.class,
                    () -> attacker.startExecution(withOwnCredentials(spec)));
            assertEquals(400, e.status, spec.toString());
            assertEquals("execution.bucket_refused", e.code, e.getMessage());
        }
        // the victim's dataset is untouched
        assertEquals("Ready", victim.dataset(victimDataset).path("status").path("overview").asText());
    }

    /**
     * Issue 23's S3 destinations write each project's results under {@code <projectId>/} of a bucket the operator
     * allows, and executions reach the same buckets with the functions' role. Tried as an attacker: an execution whose
     * source or destination is the victim's folder there (to read its results into one's own output, or to overwrite
     * them) is refused at create with {@code execution.folder_refused}, as is a folder under a project id that does not
     * exist (no oracle); an execution over the bucket's root leaves the victim's folder out of its listing. The
     * attacker's own project folder, and folders named by no project id, are still reached.
     */
    @Test
    void executions_withTheFunctionsRole_neverReachAnotherProjectsFolderOfASharedBucket() throws Exception {
        String photos = dataset(victim, "destined", List.of("s3://" + PHOTOS + "/goldfish.jpg")).get("id").asText();
        String job = victim.createJob("to-s3", Map.of("datasetId", photos, "deployment", Map.of("modelId", victimModel),
                "resultDelivery", Map.of("destinations", List.of(Map.of("kind", "S3", "bucket", FILES,
                        "prefix", "results"))))).get("id").asText();
        assertEquals("Succeeded", SluiceClient.outcome(victim.waitUntilDone(job, Duration.ofMillis(200),
                Duration.ofSeconds(120), j -> { })));
        // the destination's manifest is written after the job's status moved to Finished: wait for it
        List<String> victimKeys = List.of();
        for (long end = System.currentTimeMillis() + 120_000; System.currentTimeMillis() < end
                && victimKeys.stream().noneMatch(k -> k.endsWith("/manifest.json")); Thread.sleep(100)) {
            victimKeys = stack.clients.s3().listObjectsV2(b -> b.bucket(FILES).prefix(stack.projectId + "/"))
                    .contents().stream().map(o -> o.key()).toList();
        }
        assertTrue(victimKeys.stream().anyMatch(k -> k.endsWith(".ndjson")), "the victim's results part: " + victimKeys);
        assertTrue(victimKeys.stream().anyMatch(k -> k.endsWith("/manifest.json")), "its manifest: " + victimKeys);

        String model = LocalJobs.uploadClassifier(attacker);
        for (Map<String, Object> spec : List.of(
                spec(model, Map.of("bucket", FILES), stack.projectId, "stolen"), // read the victim's results
                spec(model, Map.of("bucket", FILES), stack.projectId + "/results", "stolen"),
                spec(model, Map.of("bucket", FILES), "in", stack.projectId + "/results/" + job), // overwrite them
                spec(model, Map.of("bucket", FILES), "/" + stack.projectId + "/", "stolen"),
                spec(model, Map.of("bucket", FILES), "in", "proj_nobody/out"))) { // no such project: the same answer
            SluiceClient.ApiException e = assertThrows(SluiceClient.ApiException.class, () -> attacker.startExecution(spec));
            assertEquals(400, e.status, spec.toString());
            assertEquals("execution.folder_refused", e.code, e.getMessage());
        }
        // the bucket's root: listed without the victim's folder, so its results part is not among the files
        Map<String, Object> root = spec(model, Map.of("bucket", FILES), "", "stolen");
        root.put("inputFileType", "NDJSON");
        JsonNode ended = attacker.waitForExecution(attacker.startExecution(root).get("id").asText(), Duration.ofSeconds(120));
        assertEquals(0, ended.path("status").path("totalFiles").asLong(0), ended.toString());
        assertTrue(ended.path("status").path("reason").asText().startsWith("execution.no_files"), ended.toString());
        // the attacker's own folder and a folder named by no project id are reached
        assertEquals("execution", attacker.startExecution(spec(model, Map.of("bucket", FILES), ATTACKER + "/in",
                ATTACKER + "/out")).path("object").asText());
        assertEquals("execution", attacker.startExecution(spec(model, Map.of("bucket", FILES), "in", "out"))
                .path("object").asText());
        assertEquals(victimKeys, stack.clients.s3().listObjectsV2(b -> b.bucket(FILES).prefix(stack.projectId + "/"))
                .contents().stream().map(o -> o.key()).toList(), "the victim's folder is as it was");
    }

    /**
     * Issue 20, item 5: what runs is what was validated. An upload URL stores one file (a second upload, and an upload
     * after the model was deleted, are refused); a file replaced behind the service's back (any S3 writer) is not run:
     * workers load the model with If-Match on the validated ETag and fail its items {@code model.changed}.
     */
    @Test
    void models_uploadUrlsAreSingleUse_refusedAfterDelete_andWorkersRunOnlyTheValidatedFile() throws Exception {
        byte[] classifier = Samples.bytes(Samples.classifier());
        JsonNode created = attacker.createModel("pinned", Samples.imagenetLabels());
        JsonNode url = created.path("status").path("source").path("uploadUrl");
        assertTrue(url.path("headers").toString().toLowerCase(java.util.Locale.ROOT).contains("\"if-none-match\":\"*\""),
                "the URL's signed headers make the PUT conditional: " + url);
        attacker.upload(url, classifier);
        String id = created.get("id").asText();
        JsonNode ready = attacker.waitFor(() -> attacker.model(id), Duration.ofMinutes(5), "Uploading");
        assertEquals("Ready", ready.path("status").path("overview").asText());
        String build = ready.path("status").path("checksum").asText();
        byte[] other = java.util.Arrays.copyOf(classifier, classifier.length / 2); // not the validated file
        SluiceClient.ApiException second = assertThrows(SluiceClient.ApiException.class, () -> attacker.upload(url, other));
        assertEquals(412, second.status, "a second upload through the same URL is refused");
        assertEquals(build, attacker.model(id).path("status").path("checksum").asText());

        JsonNode deleted = attacker.createModel("deleted-before-upload", Samples.imagenetLabels());
        attacker.deleteModel(deleted.get("id").asText());
        assertEquals(412, assertThrows(SluiceClient.ApiException.class, () -> attacker.upload(
                deleted.path("status").path("source").path("uploadUrl"), classifier)).status,
                "a deleted model's URL stores nothing");

        // the file replaced by a writer that bypasses the URL: no item runs on it
        String key = dev.sluice.core.ObjectKeys.model(ATTACKER, id);
        stack.clients.s3().putObject(b -> b.bucket(dataBucket).key(key), RequestBody.fromBytes(other));
        Map<Long, String> codes = attackerJob(id, List.of("s3://" + PHOTOS + "/goldfish.jpg"));
        assertEquals(Map.of(0L, "model.changed"), codes);
    }

    static Map<String, Object> withOwnCredentials(Map<String, Object> spec) {
        spec.put("accessTokenName", "tenant-key-id");
        spec.put("accessSecretName", "tenant-secret");
        return spec;
    }

    /**
     * Issue 20, item 1: a project's secrets are its own. Values are write-only; the attacker's listing, executions,
     * rotations and deletions never reach the victim's secret, and naming it answers exactly as a name no project has
     * (same status, code and message before and after the victim deletes it).
     */
    @Test
    void secrets_belongToTheirProject_valuesAreWriteOnly_andAnotherProjectsNameAnswersAsAMissingOne() {
        String value = "victim-secret-value-" + System.nanoTime();
        JsonNode created = victim.createSecret("victim-key", value);
        assertEquals("secret", created.path("object").asText());
        assertEquals("victim-key", created.path("name").asText());
        assertTrue(created.path("createTime").asLong() > 0);
        assertFalse(created.toString().contains(value), "the value is never returned");
        assertEquals(409, assertThrows(SluiceClient.ApiException.class, () -> victim.createSecret("victim-key", "x")).status);
        JsonNode rotated = victim.rotateSecret("victim-key", value + "-2");
        assertTrue(rotated.path("updateTime").asLong() >= rotated.path("createTime").asLong());
        assertFalse(rotated.toString().contains(value));
        JsonNode listed = victim.secrets();
        assertTrue(listed.toString().contains("victim-key"));
        assertFalse(listed.toString().contains(value), "a listing has names and times only");
        assertFalse(attacker.secrets().toString().contains("victim-key"), "the attacker lists its own only");

        String model = LocalJobs.uploadClassifier(attacker);
        Map<String, Object> named = spec(model, Map.of("bucket", ELSEWHERE), "in", "out");
        named.put("accessTokenName", "victim-key");
        named.put("accessSecretName", "victim-key");
        List<String> whileItExists = attempts(named);
        // the store's own spellings of the victim's secret are not names at all
        for (String storeName : List.of("sluice/" + stack.projectId + "/victim-key", "../" + stack.projectId + "/victim-key")) {
            Map<String, Object> spelled = new HashMap<>(named);
            spelled.put("accessTokenName", storeName);
            spelled.put("accessSecretName", storeName);
            assertEquals("execution.bad_secret_name", assertThrows(SluiceClient.ApiException.class,
                    () -> attacker.startExecution(spelled)).code);
        }
        assertEquals(value + "-2", stack.services.secrets().read(stack.projectId, "victim-key").orElseThrow(),
                "the attacker's rotation and deletion did not reach the victim's secret");
        victim.deleteSecret("victim-key");
        assertEquals(whileItExists, attempts(named), "an existing name of another project answers as a missing one");
        assertTrue(whileItExists.get(0).startsWith("400 execution.secret_not_found "), whileItExists.get(0));
        assertTrue(whileItExists.get(1).startsWith("404 secret.not_found "), whileItExists.get(1));
        assertTrue(whileItExists.get(2).startsWith("404 secret.not_found "), whileItExists.get(2));
    }

    /** The attacker's answers naming victim-key: an execution, a rotation, a deletion ("status code message"). */
    List<String> attempts(Map<String, Object> execution) {
        List<String> answers = new java.util.ArrayList<>();
        for (Runnable r : List.<Runnable>of(() -> attacker.startExecution(execution),
                () -> attacker.rotateSecret("victim-key", "attacker-value"), () -> attacker.deleteSecret("victim-key"))) {
            SluiceClient.ApiException e = assertThrows(SluiceClient.ApiException.class, r::run);
            answers.add(e.status + " " + e.code + " " + e.getMessage());
        }
        return answers;
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
