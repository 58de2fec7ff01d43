package dev.sluice.core.job;


/**
 * Where job events go besides the webhooks that subscribe: EventBridge on AWS (source {@code dev.sluice}, detail-type
 * {@code Sluice Job State Change}), the local log in {@code sluice local}. Called at least once per event (a crash after
 * the call and before the ledger write calls it again with the same {@link JobEvent#id()}); throws on an
 * infrastructure failure, and the event is published again by the next attempt.
 */
public interface JobEventSink {
    JobEventSink NONE = event -> { };

    /** The log: one INFO line per event, {@code job event {json}} (ids, states and counters; no payload or secret). */
    JobEventSink LOG = event -> java.util.logging.Logger.getLogger(JobEventSink.class.getName())
            .info(() -> "job event " + dev.sluice.core.Json.write(event));

    void publish(JobEvent event);
}
