package dev.sluice.core.fakes;

import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.MessageKind;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory {@link BatchQueue} with the limits the SQS adapter ({@code SqsBatchQueue}) meets: a body of at most
 * 256 KiB, DelaySeconds 0..900, a visibility timeout of at least 0 (the adapter caps it at 12 h), and a queue that is
 * not configured (INFERENCE_GPU without a GPU pool) refuses sends. What was sent is kept per queue, in order, with
 * its delay; visibility changes are kept by receipt handle. Dead-letter queues hand out up to 10 visible messages a
 * receive, hide them until deleted or released, like SQS's visibility timeout.
 */
public final class FakeBatchQueue implements BatchQueue {
    /** SQS's message size limit. */
    public static final int MAX_BODY_BYTES = 256 * 1024;
    public static final int MAX_DELAY_SECONDS = 900;
    public static final int MAX_VISIBILITY_SECONDS = 43_200;
    public static final int MAX_RECEIVE = 10;

    /** A message sent, its kind (the adapter's message attribute), and the delay it was sent with (0 for a batch send). */
    public record Sent(String body, int delaySeconds, MessageKind kind) {
    }

    public record VisibilityChange(Name queue, String receiptHandle, int seconds) {
    }

    private final Set<Name> configured;
    private final Map<Name, List<Sent>> sent = new EnumMap<>(Name.class);
    private final List<VisibilityChange> visibility = new ArrayList<>();
    private final Map<Name, Map<String, DeadLetter>> deadLetters = new EnumMap<>(Name.class);
    private int receipts;

    private static final class DeadLetter {
        final DeadLetterMessage message;
        boolean hidden;

        DeadLetter(DeadLetterMessage message) {
            this.message = message;
        }
    }

    public FakeBatchQueue() {
        this(EnumSet.allOf(Name.class));
    }

    @Override
    public boolean configured(Name queue) {
        return configured.contains(queue);
    }

    public FakeBatchQueue(Set<Name> configured) {
        this.configured = EnumSet.copyOf(configured);
    }

    @Override
    public synchronized void send(Name queue, List<Envelope> messages) {
        messages.forEach(m -> check(queue, m.body(), 0));
        messages.forEach(m -> sent.computeIfAbsent(queue, q -> new ArrayList<>()).add(new Sent(m.body(), 0, m.kind())));
    }

    @Override
    public synchronized void send(Name queue, Envelope message, int delaySeconds) {
        check(queue, message.body(), delaySeconds);
        sent.computeIfAbsent(queue, q -> new ArrayList<>()).add(new Sent(message.body(), delaySeconds, message.kind()));
    }

    private void check(Name queue, String body, int delaySeconds) {
        if (!configured.contains(queue)) {
            throw new IllegalStateException("no queue configured for " + queue);
        }
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            throw new IllegalStateException("SQS refused a message: InvalidParameterValue, over 256 KiB");
        }
        if (delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
            throw new IllegalArgumentException("DelaySeconds must be 0.." + MAX_DELAY_SECONDS + ": " + delaySeconds);
        }
    }

    @Override
    public synchronized void changeVisibility(Name queue, String receiptHandle, int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("VisibilityTimeout must be >= 0: " + seconds);
        }
        visibility.add(new VisibilityChange(queue, receiptHandle, Math.min(seconds, MAX_VISIBILITY_SECONDS)));
    }

    @Override
    public synchronized List<DeadLetterMessage> receiveDeadLetters(Name queue, int max) {
        if (!configured.contains(queue)) {
            return List.of();
        }
        List<DeadLetterMessage> out = new ArrayList<>();
        for (DeadLetter d : deadLetters.getOrDefault(queue, Map.of()).values()) {
            if (out.size() == Math.min(MAX_RECEIVE, max)) {
                break;
            }
            if (!d.hidden) {
                d.hidden = true;
                out.add(d.message);
            }
        }
        return out;
    }

    @Override
    public synchronized void deleteDeadLetter(Name queue, String receiptHandle) {
        deadLetters.getOrDefault(queue, new LinkedHashMap<>()).remove(receiptHandle);
    }

    @Override
    public synchronized void releaseDeadLetter(Name queue, String receiptHandle) {
        DeadLetter d = deadLetters.getOrDefault(queue, Map.of()).get(receiptHandle);
        if (d != null) {
            d.hidden = false;
        }
    }

    // ---- for tests ----

    /** Puts a message in the queue's dead-letter queue (as SQS does after maxReceiveCount receives). */
    public synchronized String addDeadLetter(Name queue, String messageId, String body) {
        String receipt = "dlq-receipt-" + ++receipts;
        deadLetters.computeIfAbsent(queue, q -> new LinkedHashMap<>())
                .put(receipt, new DeadLetter(new DeadLetterMessage(messageId, body, receipt, null)));
        return receipt;
    }

    /** Messages still in the queue's dead-letter queue, visible or not. */
    public synchronized int deadLetterCount(Name queue) {
        return deadLetters.getOrDefault(queue, Map.of()).size();
    }

    public synchronized List<Sent> sent(Name queue) {
        return List.copyOf(sent.getOrDefault(queue, List.of()));
    }

    public synchronized List<String> bodies(Name queue) {
        return sent(queue).stream().map(Sent::body).toList();
    }

    public synchronized List<VisibilityChange> visibilityChanges() {
        return List.copyOf(visibility);
    }

    public synchronized void clearSent() {
        sent.clear();
        visibility.clear();
    }
}
