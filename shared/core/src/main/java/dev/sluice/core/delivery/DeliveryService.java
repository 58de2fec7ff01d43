package dev.sluice.core.delivery;

import dev.sluice.core.Clock;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookClient;
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
    private static final Logger LOG = Logger.getLogger(DeliveryService.class.getName());

    public enum Result { DONE, RETRY_LATER }

    private final JobStore jobs;
    private final WebhookService webhooks;
    private final WebhookClient client;
    private final BatchQueue queue;
    private final Clock clock;
    private final dev.sluice.core.job.JobLifecycle lifecycle;
    private final DeliveryPayloads payloads;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    /** POSTs in flight from this container at once. */
    private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);
    public static final int MAX_IN_FLIGHT = 64;
    /**
     * POSTs in flight from this container for one project to one endpoint (scheme, host and port): a receiver is not
     * hit by every payload at once, and a slow one holds at most this many of the container's {@link #MAX_IN_FLIGHT},
     * so the other endpoints' deliveries go on beside it. Keyed by project and endpoint: one project's slow receiver
     * never takes the slots of another project's deliveries to the same host (a shared relay).
     */
    public static final int MAX_IN_FLIGHT_PER_ENDPOINT = 16;
    /**
     * POSTs in flight from this container for one project, whatever its endpoints: a project with several slow
     * endpoints holds at most half of {@link #MAX_IN_FLIGHT}, the rest stays for the other projects.
     */
    public static final int MAX_IN_FLIGHT_PER_PROJECT = MAX_IN_FLIGHT / 2;
    /** How long a POST waits for its endpoint's turn before its batch is deferred. */
    static final long ENDPOINT_WAIT_MILLIS = 200;
    /** A deferred batch comes back after this long. */
    static final int DEFER_SECONDS = 1;
    /** settle's answer for a batch sent again as a new message. */
    private static final JobStore.StageCommit DEFERRED = new JobStore.StageCommit(null, Stage.DELIVERY, null, ItemCounters.ZERO,
            List.of(), 0, null);
    private final java.util.concurrent.ConcurrentMap<String, java.util.concurrent.Semaphore> perEndpoint =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentMap<String, java.util.concurrent.Semaphore> perProject =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** @param objects where the payloads of a message too large for the queue are kept ({@link DeliveryPayloads}) */
    public DeliveryService(JobStore jobs, WebhookService webhooks, WebhookClient client, BatchQueue queue,
                           dev.sluice.core.port.ObjectStore objects, Clock clock,
                           dev.sluice.core.job.JobLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.payloads = new DeliveryPayloads(objects);
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
     * The request id of a job event: the same for every attempt of that event, and another for each event of the job
     * (its delivery batch id is the event's ledger key: job.started, job.progress.25, job.completed).
     */
    public static String eventRequestId(String jobId, String eventBatchId) {
        return UUID.nameUUIDFromBytes((jobId + "#event#" + eventBatchId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** A received delivery message: the batch, its receipt handle, and SQS's ApproximateReceiveCount (1 first). */
    public record Received(DeliveryMessage message, String receiptHandle, int receiveCount) {
    }

    /**
     * Delivers the batches of one invocation: every pending POST runs concurrently, and the batches that are
     * settled are committed together in one transaction.
     */
    public List<Result> deliver(List<Received> batch) {
        return dev.sluice.core.Copies.runOnce(batch, r -> r.message().jobId() + "/" + r.message().batchId(),
                this::deliverDistinct);
    }

    private List<Result> deliverDistinct(List<Received> batch) {
        List<Result> results = new ArrayList<>();
        List<Attempt> attempts = new ArrayList<>();
        List<JobStore.StageCommit> commits = new ArrayList<>();
        Map<String, Job> jobsById = new HashMap<>();
        Map<String, Webhook> webhooksById = new HashMap<>();
        for (Received r : batch) {
            DeliveryMessage queued = r.message();
            if (jobs.isCommitted(queued.jobId(), Stage.DELIVERY, queued.batchId())) {
                results.add(Result.DONE);
                attempts.add(null);
                continue;
            }
            Job job = jobsById.computeIfAbsent(queued.jobId(), id -> jobs.get(id).orElse(null));
            if (job == null) {
                LOG.warning(() -> "deliveries of unknown job " + queued.jobId() + " dropped");
                results.add(Result.DONE);
                attempts.add(null);
                continue;
            }
            DeliveryMessage m = payloads.resolve(queued);
            Webhook webhook = webhooksById.computeIfAbsent(job.projectId() + "/" + m.webhookId(),
                    k -> webhooks.find(job.projectId(), m.webhookId()));
            if (webhook == null) {
                // deleted while the job ran: these payloads can never be delivered
                long now = clock.nowMillis();
                List<LogEntry> failed = m.payloads().stream().map(p -> LogEntry.failure("ItemFailedDeliver", now, p.url(),
                        p.index(), "FailedDeliver", "deliver.webhook_deleted: webhook " + m.webhookId() + " was deleted")).toList();
                commits.add(new JobStore.StageCommit(m.jobId(), Stage.DELIVERY, m.batchId(),
                        ItemCounters.failedDeliver(failed.size()), failed, now, null));
                results.add(Result.DONE);
                attempts.add(null);
                continue;
            }
            JobStore.DeliveryProgress progress = r.receiveCount() > 1 || m.isDeferred()
                    ? jobs.deliveryProgress(m.jobId(), m.batchId()) : JobStore.DeliveryProgress.NONE;
            Attempt attempt = new Attempt(r, m, webhook, new HashMap<>(progress.settled()), new HashMap<>(progress.attempts()));
            for (DeliveryMessage.Payload p : m.payloads()) {
                if (!attempt.settled.containsKey(p.index())) {
                    attempt.posts.put(p, pool.submit(() -> post(webhook, m.isEvent() ? eventRequestId(m.jobId(), m.batchId())
                            : requestId(m.jobId(), p.index()), p)));
                }
            }
            results.add(null);
            attempts.add(attempt);
        }
        for (int i = 0; i < attempts.size(); i++) {
            Attempt a = attempts.get(i);
            if (a == null) {
                continue;
            }
            JobStore.StageCommit commit = settle(a);
            if (commit == null) {
                results.set(i, Result.RETRY_LATER);
            } else if (commit == DEFERRED) {
                results.set(i, Result.DONE);
            } else {
                commits.add(commit);
                results.set(i, Result.DONE);
            }
        }
        jobs.commitAll(commits);
        commits.stream().map(JobStore.StageCommit::jobId).distinct()
                .forEach(lifecycle::settle);
        return results;
    }

    private static final class Attempt {
        final Received received;
        /** The received message with its payloads in it. */
        final DeliveryMessage message;
        final Webhook webhook;
        final Map<Long, LogEntry> settled;
        /** POSTs of each item so far, by line index (earlier rounds; this round's are added as they settle). */
        final Map<Long, Integer> posted;
        final Map<DeliveryMessage.Payload, Future<WebhookClient.Response>> posts = new java.util.LinkedHashMap<>();

        Attempt(Received received, DeliveryMessage message, Webhook webhook, Map<Long, LogEntry> settled,
                Map<Long, Integer> posted) {
            this.received = received;
            this.message = message;
            this.webhook = webhook;
            this.settled = settled;
            this.posted = posted;
        }
    }

    /**
     * The commit of a batch whose items are all settled now, or null after scheduling its next attempt: after a
     * backoff for retriable answers (the message hidden that long), or soon for POSTs deferred because their endpoint
     * was busy (the batch is sent again as a new message, so waiting costs neither a retry nor an SQS receive).
     */
    private JobStore.StageCommit settle(Attempt a) {
        DeliveryMessage message = a.message;
        Map<Long, LogEntry> settled = a.settled;
        Map<Long, String> retriable = new HashMap<>();
        List<Long> deferred = new ArrayList<>();
        long longestRetryAfter = 0;
        int retries = a.webhook.retries().effectiveMaxRetries();
        int mostPosts = 0;
        for (Map.Entry<DeliveryMessage.Payload, Future<WebhookClient.Response>> post : a.posts.entrySet()) {
            DeliveryMessage.Payload p = post.getKey();
            WebhookClient.Response r = join(post.getValue());
            long now = clock.nowMillis();
            if (r.isDeferred()) {
                deferred.add(p.index());
                continue;
            }
            int posts = a.posted.merge(p.index(), 1, Integer::sum);
            if (r.success()) {
                settled.put(p.index(), LogEntry.info(message.isEvent() ? "JobEventDelivered" : "ItemDelivered", now,
                        p.url(), p.index(), "Delivered", 0));
            } else if (r.retriable() && posts <= retries) {
                retriable.put(p.index(), r.describe());
                mostPosts = Math.max(mostPosts, posts);
                longestRetryAfter = Math.max(longestRetryAfter, r.retryAfterMs() == null ? 0 : r.retryAfterMs());
            } else if (r.retriable()) {
                // this item's own budget is spent: 1 + maxRetries POSTs, whatever round it was first tried in
                settled.put(p.index(), failure(message, p.index(), now, "deliver.retries_exhausted: " + posts
                        + " attempts, the last: " + r.describe()));
            } else {
                String code = r.refused() ? "deliver.endpoint_refused"
                        : r.status() >= 300 && r.status() < 400 ? "deliver.redirect_refused" : "deliver.http_" + r.status();
                settled.put(p.index(), LogEntry.failure("ItemFailedDeliver", now, p.url(), p.index(), "FailedDeliver",
                        code + ": the webhook answered " + r.describe()
                                + (code.equals("deliver.redirect_refused") ? " (redirects are not followed)" : "")));
            }
        }
        if (!retriable.isEmpty()) {
            jobs.saveDeliveryProgress(message.jobId(), message.batchId(), new JobStore.DeliveryProgress(settled, a.posted),
                    clock.nowMillis());
            long backoff = Math.max(longestRetryAfter, backoffMillis(mostPosts, a.webhook.retries().effectiveMaxBackoffMs()));
            queue.changeVisibility(BatchQueue.Name.DELIVERY, a.received.receiptHandle(),
                    (int) Math.max(1, (backoff + 999) / 1000));
            return null;
        }
        if (!deferred.isEmpty()) {
            jobs.saveDeliveryProgress(message.jobId(), message.batchId(), new JobStore.DeliveryProgress(settled, a.posted),
                    clock.nowMillis());
            queue.send(BatchQueue.Name.DELIVERY, message.asDeferred().envelope().forProject(a.webhook.projectId()), DEFER_SECONDS);
            return DEFERRED;
        }
        return finalCommit(message, settled, List.of(), index -> null);
    }

    /**
     * The commit of a batch whose delivery a dead-letter queue ended: items settled by earlier attempts keep their
     * outcome, the others fail with the reason.
     */
    public JobStore.StageCommit giveUp(DeliveryMessage queued, String reason) {
        DeliveryMessage message = payloads.resolve(queued);
        Map<Long, LogEntry> settled = new HashMap<>(jobs.deliveryProgress(message.jobId(), message.batchId()).settled());
        List<Long> rest = message.payloads().stream().map(DeliveryMessage.Payload::index)
                .filter(i -> !settled.containsKey(i)).toList();
        return finalCommit(message, settled, rest, index -> reason);
    }

    private JobStore.StageCommit finalCommit(DeliveryMessage message, Map<Long, LogEntry> settled,
                                             java.util.Collection<Long> failing,
                                             java.util.function.LongFunction<String> reason) {
        long now = clock.nowMillis();
        for (long index : failing) {
            settled.put(index, failure(message, index, now, reason.apply(index)));
        }
        long delivered = settled.values().stream().filter(e -> "Delivered".equals(e.status())).count();
        long failed = settled.size() - delivered;
        ItemCounters delta = message.isEvent() ? ItemCounters.ZERO
                : ItemCounters.delivered(delivered).plus(ItemCounters.failedDeliver(failed));
        return new JobStore.StageCommit(message.jobId(), Stage.DELIVERY, message.batchId(), delta,
                new ArrayList<>(settled.values()), now, null);
    }

    private static LogEntry failure(DeliveryMessage message, long index, long now, String reason) {
        String url = message.payloads().stream().filter(p -> p.index() == index).findFirst().orElseThrow().url();
        return LogEntry.failure("ItemFailedDeliver", now, url, index, "FailedDeliver", reason);
    }

    /** Exponential from 1 s, capped, with "equal jitter": half fixed, half random. */
    static long backoffMillis(int attempt, long maxBackoffMs) {
        long exp = Math.min(maxBackoffMs, 1000L << Math.min(20, attempt - 1));
        return exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
    }

    private WebhookClient.Response post(Webhook webhook, String requestId, DeliveryMessage.Payload p) {
        // one entry per project and endpoint a container has delivered to (bounded by the container's life)
        java.util.concurrent.Semaphore project = perProject.computeIfAbsent(webhook.projectId(),
                k -> new java.util.concurrent.Semaphore(MAX_IN_FLIGHT_PER_PROJECT));
        java.util.concurrent.Semaphore endpoint = perEndpoint.computeIfAbsent(webhook.projectId() + " "
                        + dev.sluice.core.net.OutboundGuard.origin(webhook.spec().endpoint()),
                k -> new java.util.concurrent.Semaphore(MAX_IN_FLIGHT_PER_ENDPOINT));
        try {
            if (!endpoint.tryAcquire(ENDPOINT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return WebhookClient.Response.deferred();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new WebhookClient.Response(0, "interrupted", null);
        }
        try {
            if (!project.tryAcquire(ENDPOINT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return WebhookClient.Response.deferred();
            }
            try {
                inFlight.acquire();
                try {
                    return signAndPost(webhook, requestId, p);
                } finally {
                    inFlight.release();
                }
            } finally {
                project.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new WebhookClient.Response(0, "interrupted", null);
        } finally {
            endpoint.release();
        }
    }

    private WebhookClient.Response signAndPost(Webhook webhook, String requestId, DeliveryMessage.Payload p) {
        String requestTime = Long.toString(clock.nowMillis());
        return client.post(webhook.spec().endpoint(),
                WebhookSignature.headers(webhook.secret(), requestId, requestTime, p.body()), p.body(),
                webhook.spec().effectiveTimeout());
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
