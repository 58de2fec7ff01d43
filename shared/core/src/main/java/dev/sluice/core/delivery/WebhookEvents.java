package dev.sluice.core.delivery;

import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobEvent;
import dev.sluice.core.job.JobEventWebhook;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;

/** Queues a job event for the job's webhook when {@link Outbound#eventMessage} says it owes one. */
public final class WebhookEvents implements JobEventWebhook {
    private final BatchQueue queue;

    public WebhookEvents(BatchQueue queue) {
        this.queue = queue;
    }

    @Override
    public void send(Job job, JobEvent event) {
        DeliveryMessage message = Outbound.eventMessage(job, event);
        if (message != null) {
            queue.send(BatchQueue.Name.DELIVERY, message.envelope().forProject(job.projectId()), 0);
        }
    }
}
