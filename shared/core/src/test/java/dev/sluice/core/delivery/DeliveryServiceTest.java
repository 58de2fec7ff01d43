package dev.sluice.core.delivery;

import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.pipeline.DeliveryMessage;

import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.fakes.FakeBatchQueue;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.fakes.FakeWebhookClient;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookSignature;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Webhook delivery's retry budget, backoff, deferral and request ids, over in-memory ports (nothing is POSTed). */
class DeliveryServiceTest {
    private final FakeCore core = new FakeCore();
    private final DeliveryService delivery = core.delivery();

    private static WebhookClient.Response answer(int status) {
        return new WebhookClient.Response(status, null, null);
    }

    /** A Running job whose n items were predicted (inference committed), and its delivery batch b0. */
    private DeliveryMessage predicted(Webhook hook, int n) {
        Job job = core.runningJob(n, hook.id());
        core.jobs.commit(new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0",
                new ItemCounters(n, 0, n, 0, n, 0, 0, 0, 0), List.of(), core.clock.nowMillis(), null));
        return DeliveryMessage.items(job.id(), "b0", hook.id(), LongStream.range(0, n).mapToObj(i ->
                new DeliveryMessage.Payload(i, "https://img.example.com/" + i + ".jpg",
                        "{\"jobId\":\"" + job.id() + "\",\"item\":{\"index\":" + i + "}}")).toList());
    }

    /** Delivers the message as SQS hands it over on its receiveCount-th receive. */
    private DeliveryService.Result receive(DeliveryMessage m, int receiveCount) {
        return delivery.deliver(List.of(new DeliveryService.Received(m, "receipt-" + m.ledgerId(), receiveCount))).get(0);
    }

    private Map<Long, LogEntry> deliveryLog(String jobId) {
        return core.jobs.allLogs(jobId).stream().filter(e -> e.kind().endsWith("Deliver") || e.kind().endsWith("Delivered"))
                .collect(Collectors.toMap(LogEntry::index, e -> e));
    }

    /**
     * Issue 23 item 8: the POSTs of every message one invocation delivers to a webhook are recorded as one round (one
     * S3 PUT, not one per message), and the deliveries listing still shows each of them.
     */
    @Test
    void theMessagesOfOneInvocation_areRecordedAsOneRoundPerWebhook() {
        core.webhookClient.answer(p -> answer(200));
        Webhook hook = core.webhook(3, null);
        DeliveryMessage first = predicted(hook, 3);
        DeliveryMessage second = predicted(hook, 2);
        String prefix = dev.sluice.core.ObjectKeys.webhookDeliveries(FakeCore.PROJECT, hook.id());
        int before = core.objects.keys(prefix).size();

        assertEquals(List.of(DeliveryService.Result.DONE, DeliveryService.Result.DONE), delivery.deliver(List.of(
                new DeliveryService.Received(first, "receipt-1", 1), new DeliveryService.Received(second, "receipt-2", 1))));

        assertEquals(before + 1, core.objects.keys(prefix).size(), "one round object for the invocation");
        Set<String> listed = core.deliveryLog().list(FakeCore.PROJECT, hook.id(), new dev.sluice.core.PageRequest(100, null, true))
                .data().stream().map(DeliveryLog.Attempt::jobId).collect(Collectors.toSet());
        assertEquals(Set.of(first.jobId(), second.jobId()), listed, "both messages' POSTs are listed");
    }

    /**
     * Issue 20 item 4: the endpoint limit is keyed by project and endpoint. Project A's receiver holds every POST
     * (more payloads than the per-endpoint limit, all in flight); project B's webhook on the same host, a shared
     * relay, still gets all its POSTs at once, none deferred, while A's are held.
     */
    @Test
    void aSlowReceiverOfOneProject_doesNotTakeTheEndpointSlotsOfAnotherProjectOnTheSameHost() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger aHeld = new java.util.concurrent.atomic.AtomicInteger();
        core.webhookClient.answer(p -> {
            if (p.endpoint().endsWith("/a")) {
                aHeld.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return answer(200);
        });
        long now = core.clock.nowMillis();
        Webhook hookA = new Webhook(dev.sluice.core.Ids.newId(dev.sluice.core.Ids.WEBHOOK, now), Webhook.OBJECT, "a", FakeCore.PROJECT,
                new Webhook.Spec("https://relay.example.com/a", Webhook.Retries.defaults()), WebhookSignature.newSecret(), now, now);
        core.catalog.put(FakeCore.PROJECT, hookA.id(), hookA);
        DeliveryMessage a = predicted(hookA, DeliveryService.MAX_IN_FLIGHT_PER_ENDPOINT + 4);
        String other = "proj_other";
        Webhook hookB = new Webhook(dev.sluice.core.Ids.newId(dev.sluice.core.Ids.WEBHOOK, now), Webhook.OBJECT, "b", other,
                new Webhook.Spec("https://relay.example.com/b", Webhook.Retries.defaults()), WebhookSignature.newSecret(), now, now);
        core.catalog.put(other, hookB.id(), hookB);
        Job jobB = new Job(dev.sluice.core.Ids.newId(dev.sluice.core.Ids.JOB, now), Job.OBJECT, "b", other, new dev.sluice.core.job.JobSpec("dataset_b",
                new dev.sluice.core.job.JobSpec.Deployment("model_b"), new dev.sluice.core.job.JobSpec.ResultDelivery(
                List.of(new dev.sluice.core.destination.Destination.Webhook(hookB.id()))), null, null, 32),
                new Job.Status(dev.sluice.core.job.JobState.Running, "Running", null, ItemCounters.ZERO, 8, now), now, now);
        core.jobs.create(jobB);
        core.jobs.commit(new JobStore.StageCommit(jobB.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0",
                new ItemCounters(8, 0, 8, 0, 8, 0, 0, 0, 0), List.of(), now, null));
        DeliveryMessage b = DeliveryMessage.items(jobB.id(), "b0", hookB.id(), LongStream.range(0, 8).mapToObj(i ->
                new DeliveryMessage.Payload(i, "https://img.example.com/" + i + ".jpg", "{\"item\":{\"index\":" + i + "}}"))
                .toList());

        var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try {
            var aCall = pool.submit(() -> receive(a, 1));
            long giveUp = System.nanoTime() + 120_000_000_000L; // a cap, not an expectation of speed
            while (aHeld.get() < DeliveryService.MAX_IN_FLIGHT_PER_ENDPOINT && !aCall.isDone() && System.nanoTime() < giveUp) {
                Thread.sleep(5); // until A's endpoint slots are all taken by held POSTs
            }
            assertEquals(DeliveryService.MAX_IN_FLIGHT_PER_ENDPOINT, aHeld.get(), "A's POSTs in flight");
            assertEquals(DeliveryService.Result.DONE, receive(b, 1));
            assertEquals(8, core.jobs.counters(jobB.id()).delivered(), "B delivered while A's receiver held its POSTs");
            assertEquals(List.of(), core.queue.bodies(BatchQueue.Name.DELIVERY).stream()
                    .filter(body -> body.contains("\"deferred\":true")).toList(), "nothing of B deferred");
            assertFalse(aCall.isDone());
            release.countDown();
            assertEquals(DeliveryService.Result.DONE, aCall.get());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void anItemIsPostedOnePlusMaxRetriesTimesThenFailsWithRetriesExhausted() {
        DeliveryMessage m = predicted(core.webhook(2, null), 2);
        core.webhookClient.answer(p -> answer(503));

        assertEquals(DeliveryService.Result.RETRY_LATER, receive(m, 1));
        assertEquals(DeliveryService.Result.RETRY_LATER, receive(m, 2));
        assertEquals(DeliveryService.Result.DONE, receive(m, 3));

        assertEquals(3, core.webhookClient.postsOf(0).size(), "1 + maxRetries POSTs");
        assertEquals(3, core.webhookClient.postsOf(1).size());
        assertEquals(new ItemCounters(2, 0, 2, 0, 2, 0, 0, 2, 0), core.jobs.counters(m.jobId()));
        assertEquals("deliver.retries_exhausted: 3 attempts, the last: HTTP 503", deliveryLog(m.jobId()).get(0L).reason());
        assertEquals(JobState.Finished, core.jobs.state(m.jobId()));
        assertNull(core.jobs.counters(m.jobId()).violation(2));
        assertEquals(DeliveryService.Result.DONE, receive(m, 4), "a copy after the commit");
        assertEquals(6, core.webhookClient.posts().size(), "a committed batch is never POSTed again");
    }

    @Test
    void eachJobEventHasItsOwnRequestId_theSameOnEveryAttempt() {
        Webhook hook = core.webhook(3, null);
        Job job = core.runningJob(4, hook.id());
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        core.webhookClient.answer(p -> answer(seen.merge(p.body(), 1, Integer::sum) < 2 ? 500 : 200));
        List<String> events = List.of("job.started", "job.progress.25", "job.completed");
        for (String event : events) {
            DeliveryMessage m = DeliveryMessage.event(job.id(), hook.id(), event, "{\"type\":\"" + event + "\"}");
            receive(m, 1);
            assertEquals(DeliveryService.Result.DONE, receive(m, 2));
        }
        Map<String, Set<String>> ids = new HashMap<>();
        core.webhookClient.posts().forEach(p -> ids.computeIfAbsent(p.body(), b -> new java.util.HashSet<>()).add(p.requestId()));
        assertEquals(3, ids.size());
        ids.values().forEach(v -> assertEquals(1, v.size(), "a retry carries the same id: " + v));
        assertEquals(3, ids.values().stream().flatMap(Set::stream).distinct().count(),
                "a receiver de-duplicating on the request id keeps every event");
        assertEquals(ItemCounters.ZERO, core.jobs.counters(job.id()), "events move no item counter");
    }

    @Test
    void theRequestIdOfAnItemIsTheSameOnEveryAttemptAndTheSignatureVerifies() {
        Webhook hook = core.webhook(3, null);
        DeliveryMessage m = predicted(hook, 3);
        Map<Long, Integer> seen = new ConcurrentHashMap<>();
        core.webhookClient.answer(p -> answer(seen.merge(p.index(), 1, Integer::sum) < 3 ? 500 : 200));

        receive(m, 1);
        receive(m, 2);
        assertEquals(DeliveryService.Result.DONE, receive(m, 3));

        Map<Long, Set<String>> ids = new HashMap<>();
        for (FakeWebhookClient.Post p : core.webhookClient.posts()) {
            ids.computeIfAbsent(p.index(), i -> new java.util.HashSet<>()).add(p.requestId());
            assertTrue(WebhookSignature.verify(hook.secret(), p.headers().get(WebhookSignature.SIGNATURE_HEADER),
                    p.requestId(), p.headers().get(WebhookSignature.REQUEST_TIME_HEADER), p.body()));
        }
        for (long i = 0; i < 3; i++) {
            assertEquals(Set.of(DeliveryService.requestId(m.jobId(), i)), ids.get(i), "item " + i);
        }
        assertEquals(3, ids.values().stream().flatMap(Set::stream).distinct().count(), "one id per item");
        assertEquals(3, core.jobs.counters(m.jobId()).delivered());
    }

    @Test
    void onlyTheItemsThatGotARetriableAnswerArePostedAgain() {
        DeliveryMessage m = predicted(core.webhook(3, null), 3);
        Map<Long, Integer> seen = new ConcurrentHashMap<>();
        core.webhookClient.answer(p -> answer(p.index() == 1 && seen.merge(p.index(), 1, Integer::sum) == 1 ? 503 : 200));

        assertEquals(DeliveryService.Result.RETRY_LATER, receive(m, 1));
        assertEquals(DeliveryService.Result.DONE, receive(m, 2));

        assertEquals(List.of(1, 2, 1), LongStream.range(0, 3).mapToObj(i -> core.webhookClient.postsOf(i).size()).toList());
        assertEquals(3, core.jobs.counters(m.jobId()).delivered());
        assertEquals(0, core.jobs.counters(m.jobId()).failedDeliver());
    }

    @Test
    void aRetryHidesTheMessageForAnExponentialBackoffWithJitterNeverSleeping() {
        DeliveryMessage m = predicted(core.webhook(5, null), 1);
        core.webhookClient.answer(p -> answer(503));

        for (int round = 1; round <= 4; round++) {
            assertEquals(DeliveryService.Result.RETRY_LATER, receive(m, round));
        }

        List<FakeBatchQueue.VisibilityChange> changes = core.queue.visibilityChanges();
        assertEquals(4, changes.size());
        for (int round = 1; round <= 4; round++) {
            FakeBatchQueue.VisibilityChange c = changes.get(round - 1);
            assertEquals(BatchQueue.Name.DELIVERY, c.queue());
            assertEquals("receipt-b0", c.receiptHandle());
            long exp = 1000L << (round - 1); // 1 s, 2 s, 4 s, 8 s; half fixed, half random
            assertTrue(c.seconds() >= exp / 2 / 1000 && c.seconds() <= exp / 1000, "round " + round + ": " + c.seconds() + " s");
        }
    }

    @Test
    void theBackoffIsEqualJitterBetweenHalfAndAllOfTheCappedExponential() {
        for (int attempt = 1; attempt <= 30; attempt++) {
            long exp = Math.min(10_000, 1000L << Math.min(20, attempt - 1));
            for (int sample = 0; sample < 200; sample++) {
                long b = DeliveryService.backoffMillis(attempt, 10_000);
                assertTrue(b >= exp / 2 && b <= exp, "attempt " + attempt + ": " + b);
            }
        }
    }

    @Test
    void aRetryAfterLongerThanTheBackoffIsHonoured() {
        DeliveryMessage m = predicted(core.webhook(3, null), 1);
        core.webhookClient.answer(p -> new WebhookClient.Response(429, null, 120_000L));

        assertEquals(DeliveryService.Result.RETRY_LATER, receive(m, 1));

        assertEquals(120, core.queue.visibilityChanges().get(0).seconds());
    }

    @Test
    void aNonRetriableAnswerFailsTheItemAtOnceWithAStableCode() {
        DeliveryMessage m = predicted(core.webhook(3, null), 3);
        core.webhookClient.answer(p -> switch ((int) p.index()) {
            case 0 -> answer(404);
            case 1 -> answer(301);
            default -> new WebhookClient.Response(-1, "url.private_address: 10.0.0.1", null);
        });

        assertEquals(DeliveryService.Result.DONE, receive(m, 1));

        assertEquals(3, core.webhookClient.posts().size());
        Map<Long, LogEntry> log = deliveryLog(m.jobId());
        assertTrue(log.get(0L).reason().startsWith("deliver.http_404: "), log.get(0L).reason());
        assertTrue(log.get(1L).reason().startsWith("deliver.redirect_refused: "), log.get(1L).reason());
        assertTrue(log.get(2L).reason().startsWith("deliver.endpoint_refused: "), log.get(2L).reason());
        assertEquals(3, core.jobs.counters(m.jobId()).failedDeliver());
        assertEquals(List.of(), core.queue.visibilityChanges());
    }

    @Test
    void aDeletedWebhookFailsEveryPayloadWithoutPosting() {
        Webhook hook = core.webhook(3, null);
        DeliveryMessage m = predicted(hook, 2);
        core.catalog.delete(FakeCore.PROJECT, hook.id());

        assertEquals(DeliveryService.Result.DONE, receive(m, 1));

        assertEquals(List.of(), core.webhookClient.posts());
        assertTrue(deliveryLog(m.jobId()).values().stream().allMatch(e -> e.reason().startsWith("deliver.webhook_deleted: ")));
        assertEquals(2, core.jobs.counters(m.jobId()).failedDeliver());
        assertEquals(JobState.Finished, core.jobs.state(m.jobId()));
    }

    @Test
    void aDeferredBatchResumesFromItsProgressAndEarlierPostsCountAgainstTheBudget() {
        DeliveryMessage m = predicted(core.webhook(1, null), 2);
        long now = core.clock.nowMillis();
        // an earlier round: item 0 delivered, item 1 POSTed once; then the endpoint was busy and the batch was sent again
        core.jobs.saveDeliveryProgress(m.jobId(), "b0", new JobStore.DeliveryProgress(
                Map.of(0L, LogEntry.info("ItemDelivered", now, "https://img.example.com/0.jpg", 0, "Delivered", 0)),
                Map.of(1L, 1)), now);
        core.webhookClient.answer(p -> answer(503));

        assertEquals(DeliveryService.Result.DONE, receive(m.asDeferred(), 1), "a deferred copy is read on its first receive");

        assertEquals(List.of(), core.webhookClient.postsOf(0), "a settled item is not POSTed again");
        assertEquals(1, core.webhookClient.postsOf(1).size());
        assertEquals("deliver.retries_exhausted: 2 attempts, the last: HTTP 503", deliveryLog(m.jobId()).get(1L).reason());
        assertEquals(new ItemCounters(2, 0, 2, 0, 2, 0, 1, 1, 0), core.jobs.counters(m.jobId()));
    }

    /**
     * Issue 23 item 8: a round whose every POST was deferred (the endpoint busy) changed nothing, so it writes no
     * progress row (a PutItem each, most of the ledger's writes on a loaded machine); a round with an answer saves it,
     * and the next round resumes from it.
     */
    @Test
    void aRoundWhoseEveryPostWasDeferred_savesNoProgress_andARoundWithAnAnswerDoes() {
        DeliveryMessage m = predicted(core.webhook(3, null), 2);
        core.webhookClient.answer(p -> WebhookClient.Response.deferred());
        assertEquals(DeliveryService.Result.DONE, receive(m, 1));
        assertEquals(0, core.jobs.progressSaves(), "nothing settled, nothing POSTed: nothing saved");
        assertEquals(JobStore.DeliveryProgress.NONE, core.jobs.deliveryProgress(m.jobId(), "b0"));

        core.webhookClient.answer(p -> p.index() == 0 ? answer(200) : WebhookClient.Response.deferred());
        assertEquals(DeliveryService.Result.DONE, receive(m.asDeferred(), 1));
        assertEquals(1, core.jobs.progressSaves());
        assertEquals(Set.of(0L), core.jobs.deliveryProgress(m.jobId(), "b0").settled().keySet());

        core.webhookClient.answer(p -> WebhookClient.Response.deferred());
        assertEquals(DeliveryService.Result.DONE, receive(m.asDeferred(), 1));
        assertEquals(1, core.jobs.progressSaves(), "a round of deferrals only: the row read is still exact");
        assertEquals(Set.of(0L), core.jobs.deliveryProgress(m.jobId(), "b0").settled().keySet());

        core.webhookClient.answer(p -> answer(200));
        assertEquals(DeliveryService.Result.DONE, receive(m.asDeferred(), 1));
        assertEquals(Set.of(0L, 1L), deliveryLog(m.jobId()).keySet());
        assertEquals(2, core.jobs.counters(m.jobId()).delivered(), "each item delivered once");
        assertEquals(JobState.Finished, core.jobs.state(m.jobId()));
    }

    @Test
    void theFirstReceiveOfANewMessageStartsFromNothing() {
        DeliveryMessage m = predicted(core.webhook(1, null), 1);
        long now = core.clock.nowMillis();
        core.jobs.saveDeliveryProgress(m.jobId(), "b0", new JobStore.DeliveryProgress(Map.of(), Map.of(0L, 5)), now);

        assertEquals(DeliveryService.Result.DONE, receive(m, 1));

        assertEquals(1, core.jobs.counters(m.jobId()).delivered(), "progress is read only on a redelivery or deferral");
    }

    @Test
    void giveUpKeepsTheItemsAlreadySettledAndFailsTheRest() {
        DeliveryMessage m = predicted(core.webhook(3, null), 3);
        core.webhookClient.answer(p -> answer(p.index() == 0 ? 200 : 503));
        receive(m, 1);

        JobStore.StageCommit commit = delivery.giveUp(m, "delivery.dead_lettered: test");

        assertEquals(new ItemCounters(0, 0, 0, 0, 0, 0, 1, 2, 0), commit.delta());
        assertEquals(Set.of("delivery.dead_lettered: test"), commit.entries().stream().filter(e -> e.index() != 0)
                .map(LogEntry::reason).collect(Collectors.toSet()));
    }
}
