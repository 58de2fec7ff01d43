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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one batch's predictions: one signed POST per item. Items that get a retriable answer are retried by
 * hiding the message for an exponential backoff with jitter (never by sleeping); items already settled by an earlier
 * attempt are remembered in the ledger and not sent again. When every item is settled the outcome is committed
 * once, and the job finishes if it was the last.
 */
public final class DeliveryService {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryService.class);

    public enum Result { DONE, RETRY_LATER }

    private final JobStore jobs;
    private final WebhookService webhooks;
    private final WebhookClient client;
    private final BatchQueue queue;
    private final Clock clock;
    private final dev.sluice.core.job.JobLifecycle lifecycle;
    private final DeliveryPayloads payloads;
    private final DeliveryLog log;
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

    /**
     * @param objects where the payloads of a message too large for the queue are kept ({@link DeliveryPayloads})
     * @param log     where each round of POST attempts is recorded ({@link DeliveryLog})
     */
    public DeliveryService(JobStore jobs, WebhookService webhooks, WebhookClient client, BatchQueue queue,
                           dev.sluice.core.port.ObjectStore objects, Clock clock,
                           dev.sluice.core.job.JobLifecycle lifecycle, DeliveryLog log) {
        this.lifecycle = lifecycle;
        this.log = log;
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

    /**
     * The request id of one POST of a message: per item for item payloads, per event for a job event; the same for
     * every attempt and for a replay.
     */
    public static String requestId(DeliveryMessage message, DeliveryMessage.Payload payload) {
        return switch (message.content()) {
            case DeliveryMessage.ItemPayloads items -> requestId(message.jobId(), payload.index());
            case DeliveryMessage.Event event -> eventRequestId(message.jobId(), event.key());
        };
    }

    private static boolean isEvent(DeliveryMessage message) {
        return message.content() instanceof DeliveryMessage.Event;
    }

    /** A received delivery message: the batch, its receipt handle, and SQS's ApproximateReceiveCount (1 first). */
    public record Received(DeliveryMessage message, String receiptHandle, int receiveCount) {
    }

    /**
     * Delivers the batches of one invocation: every pending POST runs concurrently, and the batches that are
     * settled are committed together in one transaction.
     */
    public List<Result> deliver(List<Received> batch) {
        return dev.sluice.core.Copies.runOnce(batch, r -> r.message().jobId() + "/" + r.message().ledgerId(),
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
            if (jobs.isCommitted(queued.jobId(), Stage.DELIVERY, queued.ledgerId())) {
                results.add(Result.DONE);
                attempts.add(null);
                continue;
            }
            Job job = jobsById.computeIfAbsent(queued.jobId(), id -> jobs.get(id).orElse(null));
            if (job == null) {
                LOG.warn("deliveries of unknown job {} dropped", queued.jobId());
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
                List<LogEntry> failed = m.posts().stream().map(p -> LogEntry.failure("ItemFailedDeliver", now, p.url(),
                        p.index(), "FailedDeliver", "deliver.webhook_deleted: webhook " + m.webhookId() + " was deleted")).toList();
                commits.add(new JobStore.StageCommit(m.jobId(), Stage.DELIVERY, m.ledgerId(),
                        isEvent(m) ? ItemCounters.ZERO : ItemCounters.failedDeliver(failed.size()), failed, now, null));
                results.add(Result.DONE);
                attempts.add(null);
                continue;
            }
            JobStore.DeliveryProgress progress = r.receiveCount() > 1 || m.isDeferred()
                    ? jobs.deliveryProgress(m.jobId(), m.ledgerId()) : JobStore.DeliveryProgress.NONE;
            Attempt attempt = new Attempt(r, m, webhook, new HashMap<>(progress.settled()), new HashMap<>(progress.attempts()));
            for (DeliveryMessage.Payload p : m.posts()) {
                if (!attempt.settled.containsKey(p.index())) {
                    attempt.posts.put(p, pool.submit(() -> post(webhook, requestId(m, p), p)));
                }
            }
            results.add(null);
            attempts.add(attempt);
        }
        Map<Webhook, List<DeliveryLog.Stored>> tried = new java.util.LinkedHashMap<>();
        for (int i = 0; i < attempts.size(); i++) {
            Attempt a = attempts.get(i);
            if (a == null) {
                continue;
            }
            JobStore.StageCommit commit = settle(a, tried.computeIfAbsent(a.webhook, w -> new ArrayList<>()));
            if (commit == null) {
                results.set(i, Result.RETRY_LATER);
            } else if (commit == DEFERRED) {
                results.set(i, Result.DONE);
            } else {
                commits.add(commit);
                results.set(i, Result.DONE);
            }
        }
        // one record of the invocation's POSTs per webhook (one S3 PUT, however many messages it delivered)
        tried.forEach((webhook, posts) -> log.record(webhook.projectId(), webhook.id(), posts));
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
        final Map<DeliveryMessage.Payload, Future<Posted>> posts = new java.util.LinkedHashMap<>();

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
     * was busy (the batch is sent again as a new message, so waiting costs neither a retry nor an SQS receive). The
     * POSTs that got an answer or failed are added to {@code tried}, the invocation's round for the webhook. The
     * batch's progress (its settled items, each item's POSTs) is saved before a next attempt when a POST was answered
     * in this round; a round whose every POST was deferred changed nothing, and saves nothing.
     */
    private JobStore.StageCommit settle(Attempt a, List<DeliveryLog.Stored> tried) {
        DeliveryMessage message = a.message;
        Map<Long, LogEntry> settled = a.settled;
        Map<Long, String> retriable = new HashMap<>();
        List<Long> deferred = new ArrayList<>();
        long longestRetryAfter = 0;
        int retries = a.webhook.retries().maxRetries();
        int mostPosts = 0;
        boolean answered = false; // a POST made this round: the progress differs from the one read
        for (Map.Entry<DeliveryMessage.Payload, Future<Posted>> post : a.posts.entrySet()) {
            DeliveryMessage.Payload p = post.getKey();
            Posted sent = join(post.getValue());
            WebhookClient.Response r = sent.response();
            long now = clock.nowMillis();
            if (r.isDeferred()) {
                deferred.add(p.index());
                continue;
            }
            answered = true;
            tried.add(sent.stored(message, p));
            int posts = a.posted.merge(p.index(), 1, Integer::sum);
            if (r.success()) {
                settled.put(p.index(), LogEntry.info(isEvent(message) ? "JobEventDelivered" : "ItemDelivered", now,
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
            jobs.saveDeliveryProgress(message.jobId(), message.ledgerId(), new JobStore.DeliveryProgress(settled, a.posted),
                    clock.nowMillis());
            long backoff = Math.max(longestRetryAfter, backoffMillis(mostPosts, a.webhook.retries().maxBackoffMs()));
            queue.changeVisibility(BatchQueue.Name.DELIVERY, a.received.receiptHandle(),
                    (int) Math.max(1, (backoff + 999) / 1000));
            return null;
        }
        if (!deferred.isEmpty()) {
            if (answered) { // else every POST was deferred: the stored progress (or none) is still exact
                jobs.saveDeliveryProgress(message.jobId(), message.ledgerId(),
                        new JobStore.DeliveryProgress(settled, a.posted), clock.nowMillis());
            }
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
        Map<Long, LogEntry> settled = new HashMap<>(jobs.deliveryProgress(message.jobId(), message.ledgerId()).settled());
        List<Long> rest = message.posts().stream().map(DeliveryMessage.Payload::index)
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
        ItemCounters delta = switch (message.content()) {
            case DeliveryMessage.ItemPayloads items -> ItemCounters.delivered(delivered).plus(ItemCounters.failedDeliver(failed));
            case DeliveryMessage.Event event -> ItemCounters.ZERO;
        };
        return new JobStore.StageCommit(message.jobId(), Stage.DELIVERY, message.ledgerId(), delta,
                new ArrayList<>(settled.values()), now, null);
    }

    private static LogEntry failure(DeliveryMessage message, long index, long now, String reason) {
        String url = message.posts().stream().filter(p -> p.index() == index).findFirst().orElseThrow().url();
        return LogEntry.failure("ItemFailedDeliver", now, url, index, "FailedDeliver", reason);
    }

    /** Exponential from 1 s, capped, with "equal jitter": half fixed, half random. */
    static long backoffMillis(int attempt, long maxBackoffMs) {
        long exp = Math.min(maxBackoffMs, 1000L << Math.min(20, attempt - 1));
        return exp / 2 + dev.sluice.core.Jitter.below(exp / 2 + 1);
    }

    /** One POST as it went: the answer, when it was sent (ms since the epoch) and how long it took (ms). */
    private record Posted(WebhookClient.Response response, String requestId, long time, long latencyMs) {
        static Posted unsent(WebhookClient.Response response, String requestId) {
            return new Posted(response, requestId, 0, 0);
        }

        DeliveryLog.Stored stored(DeliveryMessage message, DeliveryMessage.Payload p) {
            Long index = message.content() instanceof DeliveryMessage.ItemPayloads ? p.index() : null;
            String event = message.content() instanceof DeliveryMessage.Event e ? e.key() : null;
            return new DeliveryLog.Stored(DeliveryService.requestId(message, p), message.jobId(), index, event, p.url(), Math.max(0, response.status()),
                    latencyMs, response.success() ? null : response.describe(), time, false, p.body());
        }
    }

    private Posted post(Webhook webhook, String requestId, DeliveryMessage.Payload p) {
        // one entry per project and endpoint a container has delivered to (bounded by the container's life)
        java.util.concurrent.Semaphore project = perProject.computeIfAbsent(webhook.projectId(),
                k -> new java.util.concurrent.Semaphore(MAX_IN_FLIGHT_PER_PROJECT));
        java.util.concurrent.Semaphore endpoint = perEndpoint.computeIfAbsent(webhook.projectId() + " "
                        + dev.sluice.core.net.OutboundGuard.origin(webhook.spec().endpoint()),
                k -> new java.util.concurrent.Semaphore(MAX_IN_FLIGHT_PER_ENDPOINT));
        try {
            if (!endpoint.tryAcquire(ENDPOINT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return Posted.unsent(WebhookClient.Response.deferred(), requestId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Posted.unsent(new WebhookClient.Response(0, "interrupted", null), requestId);
        }
        try {
            if (!project.tryAcquire(ENDPOINT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return Posted.unsent(WebhookClient.Response.deferred(), requestId);
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
            return Posted.unsent(new WebhookClient.Response(0, "interrupted", null), requestId);
        } finally {
            endpoint.release();
        }
    }

    private Posted signAndPost(Webhook webhook, String requestId, DeliveryMessage.Payload p) {
        long time = clock.nowMillis();
        long start = System.nanoTime();
        WebhookClient.Response r = client.post(webhook.spec().endpoint(),
                WebhookSignature.headers(webhook.secret(), requestId, Long.toString(time), p.body()), p.body(),
                webhook.spec().effectiveTimeout());
        return new Posted(r, requestId, time, (System.nanoTime() - start) / 1_000_000);
    }

    private Posted join(Future<Posted> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Posted(new WebhookClient.Response(0, "interrupted", null), null, clock.nowMillis(), 0);
        } catch (java.util.concurrent.ExecutionException e) {
            return new Posted(new WebhookClient.Response(0, "delivery failed: " + e.getCause(), null), null,
                    clock.nowMillis(), 0);
        }
    }
}
