package dev.sluice.core.delivery;

import dev.sluice.core.Clock;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.core.webhook.WebhookSignature;

import java.util.List;

/**
 * A webhook's recent delivery attempts ({@link DeliveryLog}) and their replay, for the API.
 *
 * <p>A replay POSTs the stored body of an attempt again to the webhook's current endpoint, with the same
 * {@code Datature-Webhook-Request-ID} (a receiver that de-duplicates on it sees the same delivery) and a fresh
 * {@code Datature-Webhook-Request-Time} and signature made with the webhook's current secret. It is one POST, answered as it went,
 * and recorded as an attempt with {@code replay: true}; it never writes the job's ledger nor moves its counters (an
 * item counted FailedDeliver stays so: the replay is the operator's, not the job's).
 */
public final class WebhookDeliveries {
    private final WebhookService webhooks;
    private final DeliveryLog log;
    private final WebhookClient client;
    private final Clock clock;

    public WebhookDeliveries(WebhookService webhooks, DeliveryLog log, WebhookClient client, Clock clock) {
        this.webhooks = webhooks;
        this.log = log;
        this.client = client;
        this.clock = clock;
    }

    /**
     * The webhook's attempts, newest first ({@link DeliveryLog#list}).
     *
     * @throws SluiceException 404 {@code webhook.not_found} for a webhook that is not this project's
     */
    public Page<DeliveryLog.Attempt> list(String projectId, String webhookId, PageRequest page) {
        webhooks.get(projectId, webhookId);
        return log.list(projectId, webhookId, page);
    }

    /**
     * Sends the attempt with this request id again and returns the new attempt.
     *
     * @throws SluiceException 404 {@code webhook.not_found}, or 404 {@code delivery.not_found} when the webhook has no
     *                         attempt with this request id within the retention (another project's request id answers
     *                         the same)
     */
    public DeliveryLog.Attempt replay(String projectId, String webhookId, String requestId) {
        Webhook webhook = webhooks.getWithSecret(projectId, webhookId);
        DeliveryLog.Stored original = log.find(projectId, webhookId, requestId)
                .orElseThrow(() -> SluiceException.notFound("delivery", requestId));
        long time = clock.nowMillis();
        long start = System.nanoTime();
        WebhookClient.Response r = client.post(webhook.spec().endpoint(),
                WebhookSignature.headers(webhook.secret(), requestId, Long.toString(time), original.body()),
                original.body(), webhook.spec().effectiveTimeout());
        long latencyMs = (System.nanoTime() - start) / 1_000_000;
        DeliveryLog.Stored replayed = new DeliveryLog.Stored(requestId, original.jobId(), original.itemIndex(),
                original.event(), original.url(), Math.max(0, r.status()), latencyMs, r.success() ? null : r.describe(),
                time, true, original.body());
        String id = log.record(projectId, webhookId, List.of(replayed));
        return replayed.shown(webhookId, id);
    }
}
