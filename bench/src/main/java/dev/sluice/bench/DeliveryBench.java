package dev.sluice.bench;

import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.WebhookReceiver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Webhook delivery alone: signed POSTs per second to a local receiver that verifies every signature, through the
 * delivery service (10 messages of 32 payloads per invocation, commit included), for one job and for several at once.
 */
final class DeliveryBench {
    record Result(int jobs, int posts, double postsPerSecond, long verified) {
    }

    /** Batches the service deferred because their endpoint was busy (sent again as new messages on AWS). */
    private static final java.util.Queue<DeliveryMessage> DEFERRED = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static void deliverUntilDone(DeliveryService delivery, List<DeliveryService.Received> invocation) {
        List<DeliveryService.Received> pending = new ArrayList<>(invocation);
        takeDeferred(pending);
        while (!pending.isEmpty()) {
            List<DeliveryService.Result> results = delivery.deliver(pending);
            List<DeliveryService.Received> again = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) == DeliveryService.Result.RETRY_LATER) {
                    DeliveryService.Received r = pending.get(i);
                    again.add(new DeliveryService.Received(r.message(), r.receiptHandle(), r.receiveCount() + 1));
                }
            }
            takeDeferred(again);
            pending = again;
        }
    }

    private static void takeDeferred(List<DeliveryService.Received> into) {
        DeliveryMessage m;
        while (into.size() < 10 && (m = DEFERRED.poll()) != null) {
            into.add(new DeliveryService.Received(m, "none", 1));
        }
    }

    static Result run(int jobs, int postsPerJob) throws Exception {
        try (HandlerFixture f = new HandlerFixture(); WebhookReceiver receiver = new WebhookReceiver()) {
            String secret = WebhookSignature.newSecret();
            receiver.secret(secret);
            Webhook webhook = f.webhook(receiver.url(), secret);
            // Retries happen at once here (no visibility to wait out): the figure includes them.
            dev.sluice.core.pipeline.BatchQueue noWait = new dev.sluice.core.pipeline.BatchQueue() {
                @Override
                public void send(Name queue, List<dev.sluice.core.pipeline.Envelope> messages) {
                    f.services.queue().send(queue, messages);
                }

                @Override
                public void send(Name queue, dev.sluice.core.pipeline.Envelope message, int delaySeconds) {
                    if (queue == Name.DELIVERY) {
                        DEFERRED.add(dev.sluice.core.Json.read(message.body(), DeliveryMessage.class));
                    } else {
                        f.services.queue().send(queue, message, delaySeconds);
                    }
                }

                @Override
                public void changeVisibility(Name queue, String receiptHandle, int seconds) {
                }

                @Override
                public List<DeadLetterMessage> receiveDeadLetters(Name queue, int max) {
                    return List.of();
                }

                @Override
                public void deleteDeadLetter(Name queue, String receiptHandle) {
                }

                @Override
                public void releaseDeadLetter(Name queue, String receiptHandle) {
                }
            };
            DeliveryService delivery = new DeliveryService(f.services.jobStore(), f.services.webhooks(),
                    f.services.webhookClient(), noWait, f.services.objects(), f.services.clock(), f.services.lifecycle(),
                    f.services.deliveryLog());
            List<List<List<DeliveryService.Received>>> work = new ArrayList<>();
            for (int j = 0; j < jobs; j++) {
                String jobId = "batchjob_bench" + j;
                JobSpec spec = new JobSpec(HandlerFixture.DATASET, new JobSpec.Deployment(HandlerFixture.MODEL),
                        new JobSpec.ResultDelivery(List.of(new dev.sluice.core.destination.Destination.Webhook(webhook.id()))), null, null, 32);
                f.services.jobStore().create(new Job(jobId, Job.OBJECT, "bench", HandlerFixture.PROJECT, spec,
                        new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, postsPerJob, 1), 1, 1));
                List<List<DeliveryService.Received>> invocations = new ArrayList<>();
                List<DeliveryService.Received> current = new ArrayList<>();
                for (int b = 0; b * 32 < postsPerJob; b++) {
                    List<DeliveryMessage.Payload> payloads = new ArrayList<>();
                    for (int i = b * 32; i < Math.min(postsPerJob, (b + 1) * 32); i++) {
                        payloads.add(new DeliveryMessage.Payload(i, "https://images.example.com/" + i + ".jpg",
                                "{\"jobId\":\"" + jobId + "\",\"item\":{\"index\":" + i + "},\"prediction\":{\"classes\":[{\"classId\":1,\"label\":\"goldfish\",\"score\":0.998}]}}"));
                    }
                    current.add(new DeliveryService.Received(DeliveryMessage.items(jobId, "b" + b, webhook.id(), payloads), "none", 1));
                    if (current.size() == 10) {
                        invocations.add(current);
                        current = new ArrayList<>();
                    }
                }
                if (!current.isEmpty()) {
                    invocations.add(current);
                }
                work.add(invocations);
            }
            ExecutorService pool = Executors.newFixedThreadPool(jobs);
            long start = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (List<List<DeliveryService.Received>> invocations : work) {
                futures.add(pool.submit(() -> invocations.forEach(invocation -> deliverUntilDone(delivery, invocation))));
            }
            for (Future<?> fu : futures) {
                fu.get();
            }
            while (!DEFERRED.isEmpty()) {
                deliverUntilDone(delivery, List.of());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            long verified = receiver.received().stream().filter(WebhookReceiver.Received::verified)
                    .map(WebhookReceiver.Received::requestId).distinct().count();
            return new Result(jobs, jobs * postsPerJob, jobs * postsPerJob / seconds, verified);
        }
    }
}
