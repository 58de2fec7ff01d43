package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.testing.FaultInjector;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StaticFiles;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every stage (fanout, inference, delivery, scheduler) fails on cue with every fault kind of {@link FaultInjector},
 * while several jobs run at once; afterwards every line of every job is in exactly one terminal state, the counters
 * are exact, each delivered item has exactly one result line, and every item reached its webhook, a retry always
 * carrying the same request id. One job of each round also has an S3 destination: each of its items is in exactly one
 * object there, and the manifest names exactly those objects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultInjectionTest {
    static final int PHOTOS_PER_JOB = 40;
    static final int JOBS_PER_ROUND = 3;

    final FaultInjector faults = new FaultInjector(2, 0.7, 20261123L);
    StackUnderTest under;
    LocalStack stack;
    SluiceClient client;
    StaticFiles images;
    LocalJobs jobs;

    @BeforeAll
    void start() {
        // visibility of 5 s: a faulted message is back within seconds; 5 receives before the DLQ
        under = new StackUnderTest(Samples.root().resolve("images"), new LocalProvisioner.QueueSettings(5, 5, 5, 5, 16),
                faults, true);
        stack = under.stack;
        client = under.client;
        images = under.images;
        jobs = under.jobs;
    }

    @AfterAll
    void stop() {
        if (under != null) {
            under.close();
        }
    }

    @Test
    void everyStageFailingEveryWay_losesNothing_andCountsNothingTwice() {
        int rounds = 0;
        int jobsRun = 0;
        while (!faults.complete() && rounds < 12) {
            rounds++;
            List<LocalJobs.Run> started = new ArrayList<>();
            for (int i = 0; i < JOBS_PER_ROUND; i++) {
                List<String> lines = jobs.photoLines(PHOTOS_PER_JOB);
                lines.add(7, "{\"kind\":\"Image\",\"url\":");                                    // malformed
                lines.add(23, "{\"kind\":\"Image\",\"url\":\"" + images.url("missing.jpg") + "\"}"); // 404
                started.add(jobs.startJob(lines, 4, ALL_EVENTS, null, i == 0
                        ? List.of(Map.of("kind", "S3", "bucket", ExecutionTest.BUCKET, "prefix", "faults")) : List.of()));
            }
            List<ItemTail> tails = started.stream().map(r -> new ItemTail(client, r.jobId())).toList();
            for (int i = 0; i < started.size(); i++) {
                LocalJobs.Run run = jobs.await(started.get(i), Duration.ofMinutes(5));
                checkExactlyOnce(run);
                checkItemsReadWhileRunning(tails.get(i), run);
                if (i == 0) {
                    checkS3ExactlyOnce(run.jobId());
                }
                run.receiver().close();
                jobsRun++;
            }
        }
        Map<?, ?> injected = faults.injected();
        System.out.println("fault injection: " + faults.total() + " faults over " + jobsRun + " jobs in " + rounds
                + " rounds: " + injected);
        assertTrue(faults.complete(), "every stage got every fault kind: " + injected);
    }

    static final List<String> ALL_EVENTS = List.of("job.started", "job.progress", "job.completed");

    void checkExactlyOnce(LocalJobs.Run run) {
        String jobId = run.jobId();
        int lines = run.lines().size();
        JsonNode errors = client.logs(jobId, "minLevel=Error").get("entries");
        assertEquals("Finished", run.job().path("status").path("overview").asText(), run.job() + "; failures: " + errors);
        ItemCounters c = run.counters();
        assertNull(c.violation(lines), c.toString());
        assertEquals(2, c.failedGather(), c + "; failures: " + errors);
        assertEquals(PHOTOS_PER_JOB, c.delivered(), c + "; failures: " + errors);

        // one result line per delivered item
        List<Long> results = resultIndices(jobId);
        assertEquals(PHOTOS_PER_JOB, results.size(), "result lines: " + results);
        assertEquals(PHOTOS_PER_JOB, new HashSet<>(results).size(), "no result line twice");

        // every delivered item reached the webhook; a retry carries the same request id
        Map<Long, Set<String>> requestIds = new HashMap<>();
        for (WebhookReceiver.Received post : run.itemPosts()) {
            assertTrue(post.verified());
            long index = Json.tree(post.body()).path("item").path("index").asLong();
            requestIds.computeIfAbsent(index, k -> new HashSet<>()).add(post.requestId());
        }
        assertEquals(new HashSet<>(results), requestIds.keySet(), "every delivered item was POSTed");
        requestIds.forEach((index, ids) -> assertEquals(1, ids.size(), "item " + index + " had request ids " + ids));

        // exactly one failure entry per failed line
        Set<Long> failed = new HashSet<>();
        errors.forEach(e -> assertTrue(failed.add(e.path("index").asLong()), "one failure entry per line: " + errors));
        assertEquals(Set.of(7L, 23L), failed);

        // every job event once: one id each, every POST of it with one request id (a retry carries the same)
        Set<String> expected = Set.of("job.started", "job.progress.25", "job.progress.50", "job.progress.75",
                "job.completed");
        Map<String, Set<String>> events = LocalJobs.events(run, expected);
        assertEquals(expected, events.keySet(), "the job's events");
        events.forEach((id, ids) -> assertEquals(1, ids.size(), id + " had request ids " + ids));
        assertEquals("PartiallySucceeded", run.job().path("status").path("outcome").asText(), "2 lines failed");
    }

    /**
     * Reads a job's item listing from its start, page by page (5 items a page), while the job runs and until it has
     * ended and been read to the end; remembers each page by its cursor.
     */
    static final class ItemTail {
        final List<JsonNode> items = java.util.Collections.synchronizedList(new ArrayList<>());
        final Map<String, JsonNode> pages = new java.util.concurrent.ConcurrentHashMap<>();
        final Thread thread;
        volatile Throwable failure;
        volatile int pagesWhileRunning;

        ItemTail(SluiceClient client, String jobId) {
            thread = Thread.ofVirtual().start(() -> {
                String cursor = null;
                try {
                    while (true) {
                        JsonNode job = client.job(jobId);
                        JsonNode page = client.items(jobId, cursor, 5, null);
                        pages.put(String.valueOf(cursor), page.path("data"));
                        page.path("data").forEach(items::add);
                        cursor = page.path("nextCursor").asText();
                        if (!job.path("status").path("outcome").isTextual()) {
                            pagesWhileRunning++;
                        }
                        if (!page.path("hasMore").asBoolean()) {
                            JsonNode c = job.path("status").path("items");
                            long terminal = c.path("failedGather").asLong() + c.path("failedProcess").asLong()
                                    + c.path("failedPredict").asLong() + c.path("delivered").asLong()
                                    + c.path("failedDeliver").asLong() + c.path("skipped").asLong();
                            if (job.path("status").path("overview").asText().equals("Finished")
                                    && terminal == job.path("status").path("itemCount").asLong()) {
                                return; // read after the job counted its last item: nothing more can come
                            }
                            SluiceClient.sleep(50);
                        }
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }
    }

    /**
     * The union of the pages read while the job ran is exactly its lines, each index once (issue 23 item 4): the
     * delivered ones with the prediction of their result line, the two bad lines FailedGather with their codes; and
     * the same cursor reads the same page again.
     */
    void checkItemsReadWhileRunning(ItemTail tail, LocalJobs.Run run) {
        try {
            tail.thread.join(Duration.ofMinutes(2));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertNull(tail.failure, () -> "the tail failed: " + tail.failure);
        assertTrue(!tail.thread.isAlive(), "the tail caught up");
        Map<Long, JsonNode> byIndex = new HashMap<>();
        for (JsonNode item : tail.items) {
            assertNull(byIndex.put(item.path("index").asLong(), item), "index listed twice: " + item);
        }
        assertEquals(run.lines().size(), tail.items.size(), "every line once");
        assertEquals(Set.of(7L, 23L), byIndex.values().stream().filter(i -> i.path("status").asText().equals("FailedGather"))
                .map(i -> i.path("index").asLong()).collect(java.util.stream.Collectors.toSet()));
        assertTrue(byIndex.get(7L).path("code").asText().startsWith("item."), byIndex.get(7L).toString());
        assertTrue(byIndex.get(23L).path("code").asText().startsWith("gather."), byIndex.get(23L).toString());
        Map<Long, JsonNode> predictions = new HashMap<>();
        JsonNode results = LocalJobs.results(client, run.jobId());
        for (JsonNode part : results.get("parts")) {
            LocalJobs.httpGet(part.path("url").asText()).lines().map(Json::tree)
                    .forEach(line -> predictions.put(line.path("item").path("index").asLong(), line.path("prediction")));
        }
        byIndex.forEach((index, item) -> {
            if (item.path("status").asText().equals("Delivered")) {
                assertEquals(predictions.get(index), item.path("prediction"), "item " + index);
                assertTrue(item.path("url").asText().startsWith("http"), item.toString());
            }
        });
        // the same cursor, the same page (a page that was caught up: the same items first, then what came since)
        tail.pages.forEach((cursor, data) -> {
            JsonNode again = client.items(run.jobId(), "null".equals(cursor) ? null : cursor, 5, null).path("data");
            for (int k = 0; k < data.size(); k++) {
                assertEquals(data.get(k), again.get(k), "item " + k + " of the page at " + cursor);
            }
        });
    }

    /** Each predicted item in exactly one object of the job's S3 destination; the manifest names exactly those. */
    void checkS3ExactlyOnce(String jobId) {
        var s3 = under.stack.clients.s3();
        String root = under.stack.projectId + "/faults/" + jobId + "/";
        List<String> keys = s3.listObjectsV2Paginator(b -> b.bucket(ExecutionTest.BUCKET).prefix(root + "results/"))
                .contents().stream().map(software.amazon.awssdk.services.s3.model.S3Object::key).sorted().toList();
        List<Long> indices = new ArrayList<>();
        for (String key : keys) {
            s3.getObjectAsBytes(b -> b.bucket(ExecutionTest.BUCKET).key(key)).asUtf8String().lines()
                    .forEach(line -> indices.add(Json.tree(line).path("item").path("index").asLong()));
        }
        assertEquals(PHOTOS_PER_JOB, indices.size(), "S3 destination lines: " + indices);
        assertEquals(new HashSet<>(resultIndices(jobId)), new HashSet<>(indices), "each item in exactly one object");
        JsonNode manifest = Json.tree(s3.getObjectAsBytes(b -> b.bucket(ExecutionTest.BUCKET).key(root + "manifest.json"))
                .asUtf8String());
        List<String> listed = new ArrayList<>();
        manifest.path("parts").forEach(p -> listed.add(p.asText()));
        assertEquals(keys, listed.stream().sorted().toList(), "the manifest names exactly the objects");
    }

    /** The item indices of every line of the parts that the job's results (and its manifest) list. */
    List<Long> resultIndices(String jobId) {
        JsonNode results = LocalJobs.results(client, jobId);
        List<Long> indices = new ArrayList<>();
        for (JsonNode part : results.get("parts")) {
            LocalJobs.httpGet(part.path("url").asText()).lines()
                    .forEach(line -> indices.add(Json.tree(line).path("item").path("index").asLong()));
        }
        return indices;
    }
}
