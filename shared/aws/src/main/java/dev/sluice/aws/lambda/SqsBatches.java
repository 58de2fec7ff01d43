package dev.sluice.aws.lambda;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The loop every SQS handler shares: the messages of an invocation handled together, a message that failed
 * reported as a partial batch failure (ReportBatchItemFailures) so it never fails its neighbours.
 */
public final class SqsBatches {
    private static final Logger LOG = Logger.getLogger(SqsBatches.class.getName());

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
                LOG.warning("message " + message.getMessageId() + " is not a " + type.getSimpleName() + ": " + e.getMessage());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        if (!parsed.isEmpty()) {
            List<Boolean> done;
            try {
                done = handler.apply(parsed);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, parsed.size() + " messages failed; SQS will redeliver them", e);
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
     * The messages of an event whose body passes the test, as an event of their own (queues that carry two kinds of
     * message hand each kind to its own handler).
     */
    public static SQSEvent select(SQSEvent event, java.util.function.Predicate<String> body) {
        SQSEvent selected = new SQSEvent();
        selected.setRecords(event.getRecords().stream().filter(m -> body.test(m.getBody())).toList());
        return selected;
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
