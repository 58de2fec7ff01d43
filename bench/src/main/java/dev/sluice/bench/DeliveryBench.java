package dev.sluice.bench;

import dev.sluice.core.delivery.DeliveryMessage;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.testing.WebhookReceiver;

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

    static Result run(int jobs, int postsPerJob) throws Exception {
        try (HandlerFixture f = new HandlerFixture(); WebhookReceiver receiver = new WebhookReceiver()) {
            String secret = WebhookSignature.newSecret();
            receiver.secret(secret);
            Webhook webhook = f.webhook(receiver.url(), secret);
            DeliveryService delivery = f.services.delivery();
            List<List<List<DeliveryService.Received>>> work = new ArrayList<>();
            for (int j = 0; j < jobs; j++) {
                String jobId = "batchjob_bench" + j;
                JobSpec spec = new JobSpec(HandlerFixture.DATASET, new JobSpec.Deployment(HandlerFixture.MODEL),
                        new JobSpec.ResultDelivery(List.of(new JobSpec.Destination("Webhook", webhook.id()))), null, null, 32);
                f.services.jobStore.create(new Job(jobId, Job.OBJECT, "bench", HandlerFixture.PROJECT, spec,
                        new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, postsPerJob, 1), 1, 1));
                List<List<DeliveryService.Received>> invocations = new ArrayList<>();
                List<DeliveryService.Received> current = new ArrayList<>();
                for (int b = 0; b * 32 < postsPerJob; b++) {
                    List<DeliveryMessage.Payload> payloads = new ArrayList<>();
                    for (int i = b * 32; i < Math.min(postsPerJob, (b + 1) * 32); i++) {
                        payloads.add(new DeliveryMessage.Payload(i, "https://images.example.com/" + i + ".jpg",
                                "{\"jobId\":\"" + jobId + "\",\"item\":{\"index\":" + i + "},\"prediction\":{\"classes\":[{\"classId\":1,\"label\":\"goldfish\",\"score\":0.998}]}}"));
                    }
                    current.add(new DeliveryService.Received(new DeliveryMessage(jobId, "b" + b, webhook.id(), payloads), "none", 1));
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
                futures.add(pool.submit(() -> invocations.forEach(delivery::deliver)));
            }
            for (Future<?> fu : futures) {
                fu.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            long verified = receiver.received().stream().filter(WebhookReceiver.Received::verified).count();
            return new Result(jobs, jobs * postsPerJob, jobs * postsPerJob / seconds, verified);
        }
    }
}
