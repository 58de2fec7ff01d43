package dev.sluice.core.delivery;

import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobEvent;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.Item;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What goes out to a job's webhook, decided in one place: the shape of an item's body (the webhook's POST body, the
 * line of a results part and of an S3 destination's object), whether a batch has anything to POST, and whether a job
 * event is POSTed (the job subscribes to its type) with which body.
 */
public final class Outbound {
    private Outbound() {
    }

    /**
     * What a committed batch owes its destinations.
     *
     * @param deliveredAtCommit items counted Delivered by the inference commit itself: every predicted item when the
     *                          job has no Webhook destination (its results part, committed with the batch, is the
     *                          delivery; an S3 destination gets a copy of it), else 0
     * @param message           the batch's delivery message to the job's webhook, or null when there is nothing to POST
     */
    public record Plan(long deliveredAtCommit, DeliveryMessage message) {
    }

    /** The plan of one batch's predicted items ({@code payloads}, the bodies of {@link #itemBody}). */
    public static Plan plan(Job job, String batchId, List<DeliveryMessage.Payload> payloads) {
        String webhookId = job.spec().webhookId();
        if (webhookId == null) {
            return new Plan(payloads.size(), null);
        }
        return new Plan(0, payloads.isEmpty() ? null : DeliveryMessage.items(job.id(), batchId, webhookId, payloads));
    }

    /**
     * The delivery message of a job event, or null when there is nothing to POST: the job has no webhook, or its
     * {@code spec.events} does not subscribe to the event's type. The body is the event's JSON ({@link JobEvent});
     * the message's ledger id is the event's {@link JobEvent#ledgerKey()}, so each event is delivered once per job.
     */
    public static DeliveryMessage eventMessage(Job job, JobEvent event) {
        String webhookId = job.spec().webhookId();
        if (webhookId == null || !job.spec().subscribes(JobEvent.Type.of(event))) {
            return null;
        }
        return DeliveryMessage.event(job.id(), webhookId, event.ledgerKey(), dev.sluice.core.Json.write(event));
    }

    /**
     * The body of one predicted item: {@code {jobId, item: {index, id?, kind, url}, prediction, model: {id, task},
     * timings: {gatherMs, preprocessMs, predictMs}}} (times in milliseconds, rounded to the microsecond); README
     * "Webhook payload".
     */
    public static Map<String, Object> itemBody(String jobId, Item item, Model model, Object prediction, double gatherMs,
                                               double preprocessMs, double predictMs) {
        Map<String, Object> itemRef = new LinkedHashMap<>();
        itemRef.put("index", item.index());
        if (item.id() != null) {
            itemRef.put("id", item.id());
        }
        itemRef.put("kind", item.kind());
        itemRef.put("url", item.url());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", jobId);
        body.put("item", itemRef);
        body.put("prediction", prediction);
        Map<String, Object> modelRef = new LinkedHashMap<>();
        modelRef.put("id", model.id());
        modelRef.put("task", model.task().name());
        body.put("model", modelRef);
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("gatherMs", round(gatherMs));
        timings.put("preprocessMs", round(preprocessMs));
        timings.put("predictMs", round(predictMs));
        body.put("timings", timings);
        return body;
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }
}
