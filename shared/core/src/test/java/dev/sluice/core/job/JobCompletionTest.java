package dev.sluice.core.job;

import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.fakes.FakeBatchQueue;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.job.JobStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What happens when a job's last item is accounted for, over in-memory ports. */
class JobCompletionTest {
    private final FakeCore core = new FakeCore();
    private final JobLifecycle completion = core.lifecycle();

    private void commit(Job job, dev.sluice.core.pipeline.Stage stage, String batch, ItemCounters delta, List<LogEntry> entries, String part) {
        assertTrue(core.jobs.commit(new JobStore.StageCommit(job.id(), stage, batch, delta, entries,
                core.clock.nowMillis(), part)));
    }

    @Test
    void aJobIsSettledOnceHoweverOftenSettleIsCalled() {
        var hook = core.webhook(null, null);
        Job job = core.runningJob(2, hook.id());
        commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(2, 0, 2, 0, 2, 0, 0, 0, 0), List.of(), "results/p0.ndjson");
        commit(job, dev.sluice.core.pipeline.Stage.DELIVERY, "b0", new ItemCounters(0, 0, 0, 0, 0, 0, 2, 0, 0), List.of(), null);

        completion.settle(job.id());
        completion.settle(job.id());
        completion.settle(job.id());

        assertEquals(JobState.Finished, core.jobs.state(job.id()));
        List<FakeBatchQueue.Sent> events = core.queue.sent(BatchQueue.Name.DELIVERY);
        assertEquals(1, events.size(), "one job.completed event");
        DeliveryMessage event = Json.read(events.get(0).body(), DeliveryMessage.class);
        DeliveryMessage.Event content = assertInstanceOf(DeliveryMessage.Event.class, event.content());
        assertEquals("job.completed", content.key(), "the delivery ledger id is the event's ledger key");
        assertEquals(List.of(DeliveryMessage.Event.EVENT_INDEX), event.posts().stream().map(DeliveryMessage.Payload::index).toList());
        assertEquals("job.completed", Json.tree(event.posts().get(0).body()).path("type").asText());
        assertEquals(1, core.objects.puts().stream().filter(k -> k.endsWith("/manifest.json")).count(), "the manifest is written once");
        assertTrue(core.jobs.isCommitted(job.id(), dev.sluice.core.pipeline.Stage.COMPLETION, "job.completed"));
    }

    @Test
    void aRunningJobWithItemsStillOpenIsNotSettled() {
        var hook = core.webhook(null, null);
        Job job = core.runningJob(2, hook.id());
        commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b0", new ItemCounters(1, 0, 1, 0, 1, 0, 1, 0, 0), List.of(), null);

        completion.settle(job.id());

        assertEquals(JobState.Running, core.jobs.state(job.id()));
        assertFalse(core.objects.exists(JobCompletion.manifestKey(job)));
        assertEquals(List.of(), core.queue.sent(BatchQueue.Name.DELIVERY));
    }

    @Test
    void aFailedJobIsSettledEvenWithItemsNotAccountedFor() {
        Job job = core.runningJob(5, null);
        core.jobs.transition(job.id(), EnumSet.of(JobState.Running), JobState.Failed, "Failed", "dataset.changed: x", 0);

        completion.settle(job.id());

        assertTrue(core.objects.exists(JobCompletion.manifestKey(job)));
        assertEquals("Failed", Json.tree(core.objects.text(JobCompletion.manifestKey(job))).path("status").path("overview").asText());
    }

    @Test
    void aCancelledJobWithItemsStillInFlightWaitsForThemBeforeItsManifest() {
        Job job = core.runningJob(5, null);
        core.jobs.transition(job.id(), EnumSet.of(JobState.Running), JobState.Cancelled, "Cancelled", null, 0);

        completion.settle(job.id());

        assertFalse(core.objects.exists(JobCompletion.manifestKey(job)), "the skipped items are not counted yet");
        commit(job, dev.sluice.core.pipeline.Stage.FANOUT, "skip-0", new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, 5), List.of(), null);
        completion.settle(job.id());
        assertTrue(core.objects.exists(JobCompletion.manifestKey(job)));
    }

    @Test
    void theManifestListsOnlyThePartsTheLedgerNamesAndTheErrorsFileHoldsEveryErrorOnce() {
        Job job = core.runningJob(2_500, null);
        core.objects.putText("results/" + FakeCore.PROJECT + "/" + job.id() + "/parts/leftover.ndjson", "{}\n");
        // 2 500 items in 5 batches of 500; 1 in 2 failed predict: 1 250 errors, over the store's 1 000-entry log pages
        for (int b = 0; b < 5; b++) {
            List<LogEntry> entries = new ArrayList<>();
            for (int i = b * 500; i < (b + 1) * 500; i++) {
                entries.add(i % 2 == 0 ? LogEntry.info("ItemPredicted", 0, "u" + i, i, "Predicted", 1)
                        : LogEntry.failure("ItemFailedPredict", 0, "u" + i, i, "FailedPredict", "predict.failed: " + i));
            }
            core.clock.advance(1);
            commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b" + b, new ItemCounters(500, 0, 500, 0, 250, 250, 250, 0, 0), entries,
                    "results/part-" + b + ".ndjson");
        }

        completion.settle(job.id());

        var manifest = Json.tree(core.objects.text(JobCompletion.manifestKey(job)));
        assertEquals(List.of("results/part-0.ndjson", "results/part-1.ndjson", "results/part-2.ndjson",
                "results/part-3.ndjson", "results/part-4.ndjson"), Json.MAPPER.convertValue(manifest.path("parts"), List.class));
        assertEquals(1_250, manifest.path("errors").path("count").asLong());
        List<String> lines = core.objects.text(JobCompletion.errorsKey(job)).lines().toList();
        assertEquals(1_250, lines.size());
        assertEquals(IntStream.range(0, 2_500).filter(i -> i % 2 == 1).boxed().toList(),
                lines.stream().map(l -> Json.tree(l).path("index").asInt()).toList(), "every error once, in order");
    }

    /**
     * Memory by input: a failed item's entry holds up to 2 × 2,048 characters of URL and reason, and the errors file is
     * made in the memory of the worker that settles the job; 100,000 such entries were ~400 MB. The file stops at
     * {@link JobCompletion#MAX_ERRORS_BYTES} and the manifest says it is truncated.
     */
    @Test
    void theErrorsFile_ofLongFailingUrls_stopsAtItsByteCap_andTheManifestSaysItIsTruncated() {
        int items = 9_000; // ~4 KB each: over the cap
        Job job = core.runningJob(items, null);
        String longUrl = "https://images.example.com/" + "a".repeat(2_000);
        for (int b = 0; b < items / 500; b++) {
            List<LogEntry> entries = new ArrayList<>();
            for (int i = b * 500; i < (b + 1) * 500; i++) {
                entries.add(LogEntry.failure("ItemFailedGather", 0, longUrl + i, i, "FailedGather",
                        "gather.http_404: " + "r".repeat(2_000)));
            }
            commit(job, dev.sluice.core.pipeline.Stage.INFERENCE, "b" + b, new ItemCounters(0, 500, 0, 0, 0, 0, 0, 0, 0),
                    entries, null);
        }

        completion.settle(job.id());

        byte[] file = core.objects.read(JobCompletion.errorsKey(job));
        assertTrue(file.length <= JobCompletion.MAX_ERRORS_BYTES, file.length + " bytes");
        long lines = new String(file, java.nio.charset.StandardCharsets.UTF_8).lines().count();
        var errors = Json.tree(core.objects.text(JobCompletion.manifestKey(job))).path("errors");
        assertEquals(lines, errors.path("count").asLong());
        assertTrue(lines > 0 && lines < items, lines + " of " + items + " errors");
        assertTrue(errors.path("truncated").asBoolean(), errors.toString());
    }
}
