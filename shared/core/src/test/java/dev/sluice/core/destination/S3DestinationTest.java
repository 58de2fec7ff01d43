package dev.sluice.core.destination;

import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.RequestJson;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Item;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** S3 destinations over the in-memory ports: one object per committed part, each item in exactly one, the checks. */
class S3DestinationTest {
    private final FakeCore core = new FakeCore();
    private final Destination.S3 s3 = new Destination.S3(FakeCore.DESTINATION_BUCKET, "exports/daily", null);

    private Job s3Job(long items, String webhookId) {
        long now = core.clock.nowMillis();
        List<Destination> destinations = new ArrayList<>(List.of(s3));
        if (webhookId != null) {
            destinations.add(new Destination.Webhook(webhookId));
        }
        JobSpec spec = new JobSpec(Ids.newId(Ids.DATASET, now), new JobSpec.Deployment(core.readyModel().id()),
                new JobSpec.ResultDelivery(destinations), null, null, 4);
        Job job = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "job", FakeCore.PROJECT, spec,
                new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, items, now), now, now);
        core.jobs.create(job);
        return job;
    }

    private static BatchMessage batch(Job job, long first, int n) {
        List<Item> items = LongStream.range(first, first + n)
                .mapToObj(i -> new Item(i, null, Item.IMAGE, "https://img.example.com/" + i + ".jpg")).toList();
        return new BatchMessage(job.id(), BatchMessage.batchId(first, n), items);
    }

    /** Every item index of every result object under the job's root, one per line. */
    private List<Long> destinationIndices(Job job) {
        String results = S3Results.root(FakeCore.PROJECT, job.id(), s3) + "results/";
        List<Long> indices = new ArrayList<>();
        core.destinationBuckets.objects(FakeCore.DESTINATION_BUCKET).forEach((key, text) -> {
            if (key.startsWith(results)) {
                text.lines().forEach(l -> indices.add(Json.tree(l).path("item").path("index").asLong()));
            }
        });
        return indices;
    }

    @Test
    void eachCommittedItemIsInExactlyOneObject_redeliveriesAddNone_andTheManifestListsThem() {
        Job job = s3Job(12, null);
        BatchProcessor processor = core.batchProcessor();
        processor.process(List.of(batch(job, 0, 4), batch(job, 4, 4)));
        // redelivered alone and with a new batch: already committed, so no part of theirs goes out again
        processor.process(List.of(batch(job, 4, 4)));
        processor.process(List.of(batch(job, 0, 4), batch(job, 8, 4)));

        List<Long> indices = destinationIndices(job);
        assertEquals(12, indices.size(), "objects: " + core.destinationBuckets.objects(FakeCore.DESTINATION_BUCKET).keySet());
        assertEquals(12, new HashSet<>(indices).size(), "no item in two objects: " + indices);
        // without a webhook the committed part is the delivery
        assertEquals(12, core.jobs.counters(job.id()).delivered());

        Map<String, String> objects = core.destinationBuckets.objects(FakeCore.DESTINATION_BUCKET);
        String manifest = objects.get(S3Results.manifestKey(FakeCore.PROJECT, job.id(), s3));
        assertTrue(manifest != null, "manifest written at the end: " + objects.keySet());
        List<String> parts = new ArrayList<>();
        Json.tree(manifest).path("parts").forEach(p -> parts.add(p.asText()));
        assertEquals(objects.keySet().stream().filter(k -> k.contains("/results/")).sorted().toList(),
                parts.stream().sorted().toList());
        assertEquals("Finished", Json.tree(manifest).path("status").path("overview").asText());
        // every key starts with the project: another project's folder cannot be named by any prefix
        objects.keySet().forEach(k -> assertTrue(k.startsWith(FakeCore.PROJECT + "/exports/daily/" + job.id() + "/"), k));
    }

    @Test
    void aCopyLostBetweenCommitAndWrite_isMadeWhenTheJobEnds() {
        Job job = s3Job(8, null);
        BatchProcessor processor = core.batchProcessor();
        processor.process(List.of(batch(job, 0, 4)));
        String lost = core.destinationBuckets.objects(FakeCore.DESTINATION_BUCKET).keySet().iterator().next();
        core.destinationBuckets.delete(FakeCore.DESTINATION_BUCKET, lost);

        processor.process(List.of(batch(job, 4, 4)));

        List<Long> indices = destinationIndices(job);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), indices.stream().sorted().toList());
    }

    /**
     * A destination that refuses at the end (a bucket deleted or not made yet): the job has ended, but its manifest
     * and end event are not out, so it stays on the sweep's list; the sweep tries again (a failure does not stop the
     * sweep) and, once the bucket takes the objects, completes it exactly once.
     */
    @Test
    void aCompletionThatFailed_isMadeByALaterSweep_once_andOnlyThenLeavesTheActiveList() {
        Job job = s3Job(4, null);
        core.destinationBuckets.refusing = true;
        try {
            core.batchProcessor().process(List.of(batch(job, 0, 4)));
        } catch (RuntimeException refused) {
            // the commit's settle may surface the refusal (the message is then redelivered); the commit stands
        }
        assertTrue(core.jobs.get(job.id()).orElseThrow().status().overview().isTerminal());
        assertTrue(!core.lifecycle().isComplete(job.id()), "no end event while the bucket refuses");
        assertTrue(core.jobs.activeJobs().stream().anyMatch(j -> j.id().equals(job.id())), "still swept");

        core.scheduler().sweep(); // refused again: logged, the sweep goes on
        assertTrue(!core.lifecycle().isComplete(job.id()));

        core.destinationBuckets.refusing = false;
        core.scheduler().sweep();
        assertTrue(core.lifecycle().isComplete(job.id()), "completed by the sweep");
        Map<String, String> objects = core.destinationBuckets.objects(FakeCore.DESTINATION_BUCKET);
        assertTrue(objects.containsKey(S3Results.manifestKey(FakeCore.PROJECT, job.id(), s3)), objects.keySet().toString());
        assertEquals(List.of(0L, 1L, 2L, 3L), destinationIndices(job).stream().sorted().toList());
        assertEquals(1, core.published.stream().filter(e -> e instanceof dev.sluice.core.job.JobEvent.End
                && e.jobId().equals(job.id())).count(), "one end event: " + core.published);
        assertTrue(core.jobs.activeJobs().stream().noneMatch(j -> j.id().equals(job.id())));
        core.scheduler().sweep();
        assertEquals(1, core.published.stream().filter(e -> e instanceof dev.sluice.core.job.JobEvent.End).count());
    }

    /** Bounded: a completion refused for a week after the job's last status write is no longer tried. */
    @Test
    void aCompletionRefusedForAWeek_isNoLongerSwept() {
        Job job = s3Job(4, null);
        core.destinationBuckets.refusing = true;
        try {
            core.batchProcessor().process(List.of(batch(job, 0, 4)));
        } catch (RuntimeException refused) {
            // as above
        }
        core.clock.advance(6L * 24 * 3_600_000);
        core.scheduler().sweep();
        assertTrue(core.jobs.activeJobs().stream().anyMatch(j -> j.id().equals(job.id())), "tried for a week");
        core.clock.advance(2L * 24 * 3_600_000);
        core.scheduler().sweep();
        assertTrue(core.jobs.activeJobs().stream().noneMatch(j -> j.id().equals(job.id())));
        assertTrue(!core.lifecycle().isComplete(job.id()), "no end event was made up");
    }

    @Test
    void withAWebhookToo_itemsAreCountedByTheWebhook_andStillCopied() {
        var hook = core.webhook(null, null);
        Job job = s3Job(4, hook.id());
        core.batchProcessor().process(List.of(batch(job, 0, 4)));

        assertEquals(0, core.jobs.counters(job.id()).delivered());
        assertEquals(1, core.queue.bodies(BatchQueue.Name.DELIVERY).size());
        assertEquals(4, destinationIndices(job).size());
    }

    private Job create(String destinationsJson) {
        var model = core.readyModel();
        var dataset = core.dataset(List.of("{\"kind\":\"Image\",\"url\":\"https://img.example.com/0.jpg\"}"));
        JobService.CreateRequest request = RequestJson.read("{\"name\":\"j\",\"spec\":{\"datasetId\":\"" + dataset.id()
                + "\",\"deployment\":{\"modelId\":\"" + model.id() + "\"},\"resultDelivery\":{\"destinations\":"
                + destinationsJson + "}}}", JobService.CreateRequest.class);
        return core.jobService().create(FakeCore.PROJECT, request);
    }

    private static String code(Runnable r) {
        return assertThrows(SluiceException.class, r::run).code();
    }

    @Test
    void create_takesWebhookAndS3_andRefusesWhatTheBucketRuleDoesNotAllow() {
        var hook = core.webhook(null, null);
        Job job = create("[{\"kind\":\"Webhook\",\"webhookId\":\"" + hook.id() + "\"},"
                + "{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DESTINATION_BUCKET + "\",\"prefix\":\"a/b\",\"format\":\"ndjson\"}]");
        assertEquals(2, job.spec().destinations().size());
        assertEquals(hook.id(), job.spec().webhookId());
        assertEquals(new Destination.S3(FakeCore.DESTINATION_BUCKET, "a/b", Destination.Format.ndjson), job.spec().s3().orElseThrow());

        // the data bucket, even when listed; a bucket the operator did not list
        assertEquals("job.bad_destination", code(() -> create("[{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DATA_BUCKET + "\"}]")));
        assertEquals("job.bad_destination", code(() -> create("[{\"kind\":\"S3\",\"bucket\":\"someone-elses\"}]")));
        // a prefix climbing out, or a kind twice
        assertEquals("job.bad_destination", code(() -> create("[{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DESTINATION_BUCKET
                + "\",\"prefix\":\"../proj_other\"}]")));
        assertEquals("job.bad_destination", code(() -> create("[{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DESTINATION_BUCKET
                + "\"},{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DESTINATION_BUCKET + "\"}]")));
        assertEquals("job.bad_destination", code(() -> create("[{\"kind\":\"EventBridge\",\"eventBusName\":\"a b\"}]")));
        // parsed and checked, but not sent to until job events are wired: refused, never accepted and dropped
        assertEquals("job.destination_unavailable", code(() -> create("[{\"kind\":\"EventBridge\",\"eventBusName\":\"default\"}]")));
        // parsing: an unknown kind, a field of another kind, a format not built
        assertEquals("request.wrong_type", code(() -> create("[{\"kind\":\"Ftp\",\"host\":\"x\"}]")));
        assertEquals("request.unknown_field", code(() -> create("[{\"kind\":\"Webhook\",\"bucket\":\"x\"}]")));
        assertEquals("request.wrong_type", code(() -> create("[{\"kind\":\"S3\",\"bucket\":\"" + FakeCore.DESTINATION_BUCKET
                + "\",\"format\":\"csv\"}]")));
    }
}
