package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.core.job.JobEvent;
import dev.sluice.core.job.JobEventSink;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

import java.util.function.Supplier;

/**
 * Job events on an EventBridge bus, as SageMaker and Bedrock publish their jobs' state changes: source
 * {@value #SOURCE}, detail-type {@value #DETAIL_TYPE}, detail the event's JSON ({@link JobEvent}: {@code type, id,
 * jobId, projectId, status, …}; a rule matches {@code detail.type} or {@code detail.projectId}). PutEvents answers 200
 * with failed entries (throttling, an internal error: see
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), so a failed entry throws
 * {@code events.put_failed} and the caller's attempt is retried; EventBridge itself delivers at least once, and
 * {@code detail.id} is the same in every copy.
 */
public final class EventBridgeJobEventSink implements JobEventSink {
    public static final String SOURCE = "dev.sluice";
    public static final String DETAIL_TYPE = "Sluice Job State Change";

    private final Supplier<EventBridgeClient> client;
    private final String eventBusName;
    private volatile EventBridgeClient made;

    /** @param client made on the first event only (a function that never ends a job never builds it) */
    public EventBridgeJobEventSink(Supplier<EventBridgeClient> client, String eventBusName) {
        this.client = client;
        this.eventBusName = eventBusName;
    }

    private EventBridgeClient client() {
        EventBridgeClient c = made;
        if (c == null) {
            synchronized (this) {
                if (made == null) {
                    made = client.get();
                }
                c = made;
            }
        }
        return c;
    }

    @Override
    public void publish(JobEvent event) {
        PutEventsResponse r = client().putEvents(b -> b.entries(PutEventsRequestEntry.builder()
                .eventBusName(eventBusName).source(SOURCE).detailType(DETAIL_TYPE).detail(Json.write(event)).build()));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            PutEventsResultEntry e = r.entries().isEmpty() ? null : r.entries().get(0);
            throw new IllegalStateException("events.put_failed: EventBridge refused job event " + event.id() + ": "
                    + (e == null ? "no entry" : e.errorCode() + " " + e.errorMessage()));
        }
    }
}
