package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sluice local --data-dir DIR} in a child JVM, killed with SIGKILL in the middle of a job (no shutdown hook
 * runs), then started again on the same directory: same project, same key, and the job resumes and ends with every
 * item delivered once by the counters (exact), one request id per item at the receiver, nothing lost.
 */
class LocalDurabilityTest {
    static final int ITEMS = 240;

    /** A running `sluice local` child and what it printed. */
    record Child(Process process, String api, String project, String key) {
    }

    static Child startLocal(Path dataDir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx1g", "-cp", classpathJar().toString(),
                "-Dsluice.local.visibilitySeconds=10", "-Dsluice.local.schedulerPeriodMillis=500",
                Main.class.getName(), "local", "--port", "0", "--data-dir", dataDir.toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE);
        // the photos and the webhook receiver of the test are on loopback: local URLs on, explicitly (as README says)
        builder.environment().put("SLUICE_ALLOW_LOCAL_URLS", "true");
        // as StackUnderTest.TEST_TUNABLES: every item must arrive however busy the machine is
        builder.environment().put("SLUICE_ITEM_DEADLINE_MS", "120000");
        Process process = builder.start();
        Map<String, String> printed = new HashMap<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder all = new StringBuilder();
        for (String line; !printed.containsKey("State") && (line = out.readLine()) != null; ) {
            all.append(line).append('\n');
            int colon = line.indexOf(": ");
            if (colon > 0) {
                printed.put(line.substring(0, colon), line.substring(colon + 2).trim());
            }
        }
        assertTrue(printed.containsKey("API") && printed.containsKey("API key"), "sluice local started: " + all);
        assertTrue(printed.get("State").contains(dataDir.toString()), printed.get("State"));
        // keep reading its output so the child never blocks on a full pipe
        Thread.ofVirtual().start(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded
                }
            } catch (java.io.IOException ended) {
                // the child ended
            }
        });
        return new Child(process, printed.get("API"), printed.get("Project"), printed.get("API key"));
    }

    /**
     * This JVM's classpath as a manifest-only jar (as surefire starts its own forks): ONNX Runtime 1.29.0 crashes
     * (SIGSEGV, no hs_err) while it initialises in a JVM whose java.class.path is some 13 KB long, as a test
     * classpath written out on the command line is.
     */
    static Path classpathJar() throws java.io.IOException {
        Path jar = Files.createTempFile("sluice-local-classpath", ".jar");
        jar.toFile().deleteOnExit();
        StringBuilder classPath = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                classPath.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
            }
        }
        java.util.jar.Manifest manifest = new java.util.jar.Manifest();
        manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, classPath.toString().trim());
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        return jar;
    }

    @Test
    void aKilledStack_restartedOnItsDataDir_resumesTheJob_andLosesNothing(@TempDir Path dataDir) throws Exception {
        try (StaticFiles images = new StaticFiles(Samples.root().resolve("images"));
             WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.hold(250); // each POST takes a while: the job is surely mid-way when the stack is killed
            Child first = startLocal(dataDir);
            Child second = null;
            try {
                SluiceClient client = new SluiceClient(first.api(), first.project(), first.key());
                LocalJobs jobs = new LocalJobs(client, images, LocalJobs.uploadClassifier(client), s -> { });
                LocalJobs.Run run = jobs.startJob(jobs.photoLines(ITEMS), 8, "Lambda", receiver,
                        Map.of("endpoint", receiver.url(), "retries", Map.of("maxRetries", 10, "maxBackoffMs", 2000)));
                String jobId = run.jobId();
                long deadline = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
                while (run.itemPosts().size() < 20 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                JsonNode before = client.job(jobId);
                assertEquals("Running", before.path("status").path("overview").asText(), before.toString());
                assertTrue(before.path("status").path("items").path("delivered").asLong() < ITEMS, before.toString());

                first.process().destroyForcibly(); // SIGKILL: nothing is flushed or closed by the stack
                assertTrue(first.process().waitFor(2, TimeUnit.MINUTES));
                int postsBeforeKill = run.itemPosts().size();
                assertTrue(postsBeforeKill < ITEMS, "killed mid-job: " + postsBeforeKill + " of " + ITEMS + " POSTed");

                second = startLocal(dataDir);
                assertEquals(first.project(), second.project(), "the same project");
                assertEquals(first.key(), second.key(), "the same key");
                SluiceClient again = new SluiceClient(second.api(), second.project(), second.key());
                JsonNode done = again.waitFor(() -> again.job(jobId), Duration.ofMinutes(10), "Waiting", "Running");

                assertEquals("Finished", done.path("status").path("overview").asText(), done.toString());
                ItemCounters c = Json.MAPPER.convertValue(done.path("status").path("items"), ItemCounters.class);
                assertNull(c.violation(ITEMS), c.toString());
                assertEquals(ITEMS, c.delivered(), "every item delivered, each counted once: " + c);
                assertEquals(ITEMS, done.path("status").path("itemCount").asLong());
                Map<Long, Set<String>> idsPerItem = run.itemPosts().stream().collect(Collectors.groupingBy(
                        r -> Json.tree(r.body()).path("item").path("index").asLong(),
                        Collectors.mapping(WebhookReceiver.Received::requestId, Collectors.toSet())));
                assertEquals(ITEMS, idsPerItem.size(), "every line reached the receiver");
                idsPerItem.forEach((index, ids) -> assertEquals(1, ids.size(), "item " + index + ": one request id " + ids));
                assertTrue(run.itemPosts().stream().allMatch(WebhookReceiver.Received::verified), "all signed");
                // the dataset and the model (objects in S3Mock) and the catalog survived too
                assertEquals("Ready", again.model(done.path("spec").path("deployment").path("modelId").asText())
                        .path("status").path("overview").asText());
                assertTrue(Files.isRegularFile(dataDir.resolve(LocalStack.IDENTITY_FILE)));
            } finally {
                first.process().destroyForcibly();
                if (second != null) {
                    second.process().destroy();
                    if (!second.process().waitFor(1, TimeUnit.MINUTES)) {
                        second.process().destroyForcibly();
                    }
                }
            }
            assertFalse(first.process().isAlive());
        }
    }
}
