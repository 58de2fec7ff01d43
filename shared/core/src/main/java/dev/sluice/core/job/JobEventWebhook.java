package dev.sluice.core.job;

/**
 * Where a job event goes to the job's own webhook: the delivery stage ({@code delivery.WebhookEvents}) decides whether
 * the job subscribes to the event's type ({@code spec.events}) and what the POST carries, and queues it for the delivery
 * function, which signs and POSTs it like every delivery. Called at least once per event (a crash before the ledger
 * write calls it again; the delivery ledger drops the copy); throws on an infrastructure failure.
 */
@FunctionalInterface
public interface JobEventWebhook {
    /** For a deployment without webhooks (tests of other stages). */
    JobEventWebhook NONE = (job, event) -> { };

    void send(Job job, JobEvent event);
}
