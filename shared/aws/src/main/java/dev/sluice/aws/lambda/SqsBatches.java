package dev.sluice.aws.lambda;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.core.pipeline.Routing;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop every SQS handler shares: the messages of an invocation handled together, a message that failed
 * reported as a partial batch failure (ReportBatchItemFailures) so it never fails its neighbours.
 */
public final class SqsBatches {
    private static final Logger LOG = LoggerFactory.getLogger(SqsBatches.class);

    private SqsBatches() {
    }

    /** A message of the event with its parsed body. */
    public record Parsed<T>(SQSEvent.SQSMessage message, T body) {
    }

    /**
     * Parses every message, hands all that parsed to one call (which returns, per message, whether it is done), and
     * reports the rest as batch item failures. A message that does not parse fails alone.
     */
    public static <T> SQSBatchResponse together(SQSEvent event, Class<T> type,
                                                Function<List<Parsed<T>>, List<Boolean>> handler) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<Parsed<T>> parsed = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                parsed.add(new Parsed<>(message, Json.read(message.getBody(), type)));
            } catch (IllegalArgumentException e) {
                LOG.warn("message {} is not a {}: {}", message.getMessageId(), type.getSimpleName(), e.getMessage());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        if (!parsed.isEmpty()) {
            List<Boolean> done;
            try (var usage = openUsage(parsed)) {
                done = handler.apply(parsed);
            } catch (RuntimeException e) {
                LOG.warn("{} messages failed; SQS will redeliver them", parsed.size(), e);
                done = parsed.stream().map(p -> false).toList();
            }
            for (int i = 0; i < parsed.size(); i++) {
                if (!done.get(i)) {
                    failures.add(new SQSBatchResponse.BatchItemFailure(parsed.get(i).message().getMessageId()));
                }
            }
        }
        return new SQSBatchResponse(failures);
    }

    /**
     * Opens the invocation's usage account ({@link dev.sluice.core.usage.UsageMeter#open}) for the jobs and executions
     * its messages belong to, weighted by their messages; null (nothing counted) when none belongs to one.
     */
    private static <T> dev.sluice.core.usage.UsageMeter.Invocation openUsage(List<Parsed<T>> parsed) {
        Map<String, Long> owners = new java.util.LinkedHashMap<>();
        for (Parsed<T> p : parsed) {
            String owner = p.body() instanceof dev.sluice.core.pipeline.QueueMessage m ? m.usageOwner() : null;
            if (owner != null) {
                owners.merge(owner, 1L, Long::sum);
            }
        }
        return owners.isEmpty() ? null : dev.sluice.core.usage.UsageMeter.process()
                .open(owners, dev.sluice.aws.observe.Invocations.compute(), dev.sluice.aws.observe.Invocations
                        .eventSourceRequests(owners.values().stream().mapToLong(Long::longValue).sum()));
    }

    /** The handler of some kinds of message of a queue: it gets the messages of those kinds as an event of their own. */
    public record Route(Set<MessageKind> kinds, Function<SQSEvent, SQSBatchResponse> handler) {
        public static Route of(MessageKind kind, Function<SQSEvent, SQSBatchResponse> handler) {
            return new Route(EnumSet.of(kind), handler);
        }
    }

    /**
     * Hands each message of the event to the route of its kind ({@link #kindOf}), the routes in the given order, and
     * merges their partial responses. A message of a kind no route takes fails alone (it is retried, then goes to the
     * DLQ, where the scheduler accounts it).
     *
     * @param queue the queue the event comes from: it decides the kind of a message sent without the attribute
     */
    public static SQSBatchResponse route(SQSEvent event, BatchQueue.Name queue, Route... routes) {
        List<SQSEvent.SQSMessage> records = event.getRecords();
        List<MessageKind> kinds = records.stream().map(m -> kindOf(queue, m)).toList();
        Set<MessageKind> routed = EnumSet.noneOf(MessageKind.class);
        List<SQSBatchResponse> responses = new ArrayList<>();
        for (Route route : routes) {
            List<SQSEvent.SQSMessage> selected = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                if (route.kinds().contains(kinds.get(i)) && !routed.contains(kinds.get(i))) {
                    selected.add(records.get(i));
                }
            }
            routed.addAll(route.kinds());
            if (!selected.isEmpty()) {
                SQSEvent part = new SQSEvent();
                part.setRecords(selected);
                responses.add(route.handler().apply(part));
            }
        }
        List<SQSBatchResponse.BatchItemFailure> unrouted = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (!routed.contains(kinds.get(i))) {
                SQSEvent.SQSMessage m = records.get(i);
                LOG.warn("message {} is a {} message, which the {} queue's handler does not take", m.getMessageId(), kinds.get(i), queue);
                unrouted.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
            }
        }
        responses.add(new SQSBatchResponse(unrouted));
        return merge(responses.toArray(SQSBatchResponse[]::new));
    }

    /**
     * A received message's kind: its {@link MessageKind#ATTRIBUTE} message attribute, or for a message without it
     * the kind its body declares ({@link Routing#kindOf}).
     */
    public static MessageKind kindOf(BatchQueue.Name queue, SQSEvent.SQSMessage message) {
        Map<String, SQSEvent.MessageAttribute> attributes = message.getMessageAttributes();
        SQSEvent.MessageAttribute kind = attributes == null ? null : attributes.get(MessageKind.ATTRIBUTE);
        return Routing.kindOf(queue, kind == null ? null : kind.getStringValue(), message.getBody());
    }

    /** The failures of several partial responses, as one. */
    public static SQSBatchResponse merge(SQSBatchResponse... responses) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSBatchResponse r : responses) {
            failures.addAll(r.getBatchItemFailures());
        }
        return new SQSBatchResponse(failures);
    }

    /** SQS's ApproximateReceiveCount of the message: 1 on its first delivery. */
    public static int receiveCount(SQSEvent.SQSMessage message) {
        String value = message.getAttributes() == null ? null : message.getAttributes().get("ApproximateReceiveCount");
        return value == null ? 1 : Integer.parseInt(value);
    }
}
