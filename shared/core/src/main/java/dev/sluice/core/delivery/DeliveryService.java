package dev.sluice.core.delivery;

import dev.sluice.core.Clock;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.port.BatchQueue;
import dev.sluice.core.port.JobStore;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.core.webhook.WebhookSignature;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * Delivers one batch's predictions: one signed POST per item. Items that get a retriable answer are retried by
 * hiding the message for an exponential backoff with jitter (never by sleeping); items already settled by an earlier
 * attempt are remembered in the ledger and not sent again. When every item is settled the outcome is committed
 * once, and the job finishes if it was the last.
 */
public final class DeliveryService {
    public static final String STAGE = "delivery";
    private static final Logger LOG = Logger.getLogger(DeliveryService.class.getName());

    public enum Result { DONE, RETRY_LATER }

    private final JobStore jobs;
    private final WebhookService webhooks;
    private final WebhookClient client;
    private final BatchQueue queue;
    private final Clock clock;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    public DeliveryService(JobStore jobs, WebhookService webhooks, WebhookClient client, BatchQueue queue,
                           Clock clock) {
        this.jobs = jobs;
        this.webhooks = webhooks;
        this.client = client;
        this.queue = queue;
        this.clock = clock;
    }

    /** The request id a receiver de-duplicates on: the same for every attempt of one item's delivery. */
    public static String requestId(String jobId, long index) {
        return UUID.nameUUIDFromBytes((jobId + "#" + index).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * @param receiveCount SQS's ApproximateReceiveCount: 1 on the first attempt
     */
    public Result deliver(DeliveryMessage message, String receiptHandle, int receiveCount) {
        if (jobs.isCommitted(message.jobId(), STAGE, message.batchId())) {
            return Result.DONE;
        }
        Job job = jobs.get(message.jobId()).orElse(null);
        if (job == null) {
            LOG.warning(() -> "deliveries of unknown job " + message.jobId() + " dropped");
            return Result.DONE;
        }
        Webhook webhook = webhooks.getWithSecret(job.projectId(), message.webhookId());
        Map<Long, LogEntry> settled = receiveCount > 1
                ? new HashMap<>(jobs.deliveryProgress(message.jobId(), message.batchId())) : new HashMap<>();

        List<DeliveryMessage.Payload> pending = message.payloads().stream()
                .filter(p -> !settled.containsKey(p.index())).toList();
        List<Future<WebhookClient.Response>> futures = new ArrayList<>();
        for (DeliveryMessage.Payload p : pending) {
            futures.add(pool.submit(() -> post(webhook, message.jobId(), p)));
        }
        Map<Long, String> retriable = new HashMap<>();
        long longestRetryAfter = 0;
        for (int i = 0; i < pending.size(); i++) {
            DeliveryMessage.Payload p = pending.get(i);
            WebhookClient.Response r = join(futures.get(i));
            long now = clock.nowMillis();
            if (r.success()) {
                settled.put(p.index(), LogEntry.info("ItemDelivered", now, p.url(), p.index(), "Delivered", 0));
            } else if (r.retriable()) {
                retriable.put(p.index(), r.describe());
                longestRetryAfter = Math.max(longestRetryAfter, r.retryAfterMs() == null ? 0 : r.retryAfterMs());
            } else {
                String code = r.status() >= 300 && r.status() < 400 ? "deliver.redirect_refused" : "deliver.http_" + r.status();
                settled.put(p.index(), LogEntry.failure("ItemFailedDeliver", now, p.url(), p.index(), "FailedDeliver",
                        code + ": the webhook answered " + r.describe()
                                + (code.equals("deliver.redirect_refused") ? " (redirects are not followed)" : "")));
            }
        }
        Webhook.Retries retries = webhook.retries();
        if (!retriable.isEmpty() && receiveCount <= retries.effectiveMaxRetries()) {
            jobs.saveDeliveryProgress(message.jobId(), message.batchId(), settled, clock.nowMillis());
            long backoff = Math.max(longestRetryAfter, backoffMillis(receiveCount, retries.effectiveMaxBackoffMs()));
            queue.changeVisibility(BatchQueue.Name.DELIVERY, receiptHandle, (int) Math.max(1, (backoff + 999) / 1000));
            return Result.RETRY_LATER;
        }
        long now = clock.nowMillis();
        retriable.forEach((index, reason) -> {
            String url = message.payloads().stream().filter(p -> p.index() == index).findFirst().orElseThrow().url();
            settled.put(index, LogEntry.failure("ItemFailedDeliver", now, url, index, "FailedDeliver",
                    "deliver.retries_exhausted: " + receiveCount + " attempts, the last: " + reason));
        });
        long delivered = settled.values().stream().filter(e -> "Delivered".equals(e.status())).count();
        long failed = settled.size() - delivered;
        jobs.commit(new JobStore.StageCommit(message.jobId(), STAGE, message.batchId(),
                new ItemCounters(0, 0, 0, 0, 0, 0, delivered, failed, 0), new ArrayList<>(settled.values()), now));
        jobs.finishIfComplete(message.jobId(), clock.nowMillis());
        return Result.DONE;
    }

    /** Exponential from 1 s, capped, with "equal jitter": half fixed, half random. */
    static long backoffMillis(int attempt, long maxBackoffMs) {
        long exp = Math.min(maxBackoffMs, 1000L << Math.min(20, attempt - 1));
        return exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
    }

    private WebhookClient.Response post(Webhook webhook, String jobId, DeliveryMessage.Payload p) {
        String requestId = requestId(jobId, p.index());
        String requestTime = Long.toString(clock.nowMillis());
        String signature = WebhookSignature.sign(webhook.secret(), requestId, requestTime, p.body());
        return client.post(webhook.spec().endpoint(), Map.of(
                WebhookSignature.SIGNATURE_HEADER, signature,
                WebhookSignature.REQUEST_ID_HEADER, requestId,
                WebhookSignature.REQUEST_TIME_HEADER, requestTime), p.body());
    }

    private static WebhookClient.Response join(Future<WebhookClient.Response> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new WebhookClient.Response(0, "interrupted", null);
        } catch (java.util.concurrent.ExecutionException e) {
            return new WebhookClient.Response(0, "delivery failed: " + e.getCause(), null);
        }
    }
}
