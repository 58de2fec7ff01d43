package dev.sluice.aws;

import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.MessageKind;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SQS queues. SendMessageBatch can fail partially on HTTP 200: only the failed entries are sent again, with backoff
 * and jitter; sender faults (a message SQS will never take) fail at once. A message of a project goes with the project
 * id as its MessageGroupId: on a standard queue that makes it a fair queue (no ordering, no throughput limit; SQS
 * keeps the other projects' dwell time low while one project has a backlog).
 */
public final class SqsBatchQueue implements BatchQueue {
    private static final int MAX_ATTEMPTS = 6;

    private final SqsClient sqs;
    private final java.util.EnumMap<Name, String> urls;

    public SqsBatchQueue(SqsClient sqs, SluiceConfig config) {
        this.sqs = sqs;
        this.urls = new java.util.EnumMap<>(Name.class);
        urls.put(Name.FANOUT, config.fanoutQueueUrl());
        urls.put(Name.INFERENCE, config.inferenceQueueUrl());
        urls.put(Name.DELIVERY, config.deliveryQueueUrl());
        if (config.inferenceGpuQueueUrl() != null) {
            urls.put(Name.INFERENCE_GPU, config.inferenceGpuQueueUrl());
        }
        urls.putAll(config.pools().taskQueueUrls());
    }

    @Override
    public boolean configured(Name queue) {
        return urls.containsKey(queue);
    }

    @Override
    public void send(Name queue, List<Envelope> messages) {
        messages.forEach(m -> checkSize(m.body()));
        // SQS counts a message's attributes in its size: the kind attribute's bound is added to each body
        for (List<Envelope> request : RequestLimits.split(messages, RequestLimits.SQS_BATCH_ENTRIES,
                RequestLimits.SQS_BATCH_BYTES,
                m -> m.body().getBytes(StandardCharsets.UTF_8).length + MessageKind.ATTRIBUTE_BYTES
                        + (m.tenant() == null ? 0 : Envelope.TENANT_ATTRIBUTE_BYTES))) {
            sendBatch(url(queue), request);
        }
    }

    /**
     * Refuses a body over {@link BatchQueue#MAX_BODY_BYTES} UTF-8 bytes before SQS does (it would refuse the whole
     * request, or a queue with a smaller MaximumMessageSize would): producers keep under it by construction.
     */
    static void checkSize(String body) {
        int bytes = body.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("queue.message_too_large: a message of " + bytes
                    + " bytes (at most " + MAX_BODY_BYTES + ")");
        }
    }

    /**
     * The message attributes every message is sent with: its kind (see {@link dev.sluice.core.pipeline.Routing}), and
     * its project when it has one ({@link Envelope#TENANT_ATTRIBUTE}).
     */
    static Map<String, MessageAttributeValue> attributes(Envelope message) {
        MessageAttributeValue kind = MessageAttributeValue.builder().dataType("String").stringValue(message.kind().wire()).build();
        return message.tenant() == null ? Map.of(MessageKind.ATTRIBUTE, kind) : Map.of(MessageKind.ATTRIBUTE, kind,
                Envelope.TENANT_ATTRIBUTE, MessageAttributeValue.builder().dataType("String").stringValue(message.tenant()).build());
    }

    private String url(Name queue) {
        String url = urls.get(queue);
        if (url == null) {
            throw new IllegalStateException("no queue configured for " + queue + " ("
                    + (queue == Name.INFERENCE_GPU ? "SLUICE_INFERENCE_GPU_QUEUE_URL" : SluiceConfig.Pools.variable(queue))
                    + " is not set)");
        }
        return url;
    }

    private void sendBatch(String url, List<Envelope> messages) {
        Map<String, Envelope> pending = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            pending.put(Integer.toString(i), messages.get(i));
        }
        for (int attempt = 1; ; attempt++) {
            List<SendMessageBatchRequestEntry> entries = pending.entrySet().stream()
                    .map(e -> SendMessageBatchRequestEntry.builder().id(e.getKey()).messageBody(e.getValue().body())
                            .messageAttributes(attributes(e.getValue())).messageGroupId(e.getValue().tenant()).build())
                    .toList();
            SendMessageBatchResponse response = sqs.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
            response.successful().forEach(ok -> pending.remove(ok.id()));
            if (pending.isEmpty()) {
                return;
            }
            for (BatchResultErrorEntry failed : response.failed()) {
                if (Boolean.TRUE.equals(failed.senderFault())) {
                    throw new IllegalStateException("SQS refused a message: " + failed.code() + " " + failed.message());
                }
            }
            if (attempt == MAX_ATTEMPTS) {
                throw new IllegalStateException(pending.size() + " messages not accepted by SQS after "
                        + MAX_ATTEMPTS + " attempts");
            }
            sleepBackoff(attempt);
        }
    }

    private static void sleepBackoff(int attempt) {
        long cap = Math.min(2000, 50L << attempt);
        try {
            Thread.sleep(cap / 2 + dev.sluice.core.Jitter.below(cap / 2 + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying SQS", e);
        }
    }

    @Override
    public void send(Name queue, Envelope message, int delaySeconds) {
        checkSize(message.body());
        sqs.sendMessage(b -> b.queueUrl(url(queue)).messageBody(message.body()).messageAttributes(attributes(message))
                .messageGroupId(message.tenant()).delaySeconds(delaySeconds));
    }

    @Override
    public void changeVisibility(Name queue, String receiptHandle, int seconds) {
        sqs.changeMessageVisibility(b -> b.queueUrl(url(queue)).receiptHandle(receiptHandle)
                .visibilityTimeout(Math.min(seconds, 43_200)));
    }

    /** DLQ URLs, found once from each queue's RedrivePolicy (the functions' environment names only the queues). */
    private final java.util.concurrent.ConcurrentMap<Name, String> deadLetterUrls = new java.util.concurrent.ConcurrentHashMap<>();

    private String deadLetterUrl(Name queue) {
        return deadLetterUrls.computeIfAbsent(queue, q -> {
            String policy = sqs.getQueueAttributes(b -> b.queueUrl(url(q))
                    .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.REDRIVE_POLICY))
                    .attributes().get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.REDRIVE_POLICY);
            if (policy == null) {
                throw new IllegalStateException("queue " + q + " has no redrive policy (no DLQ)");
            }
            // the DLQ lives in the queue's account and region: its URL is the queue's with the DLQ's name
            String arn = dev.sluice.core.Json.tree(policy).path("deadLetterTargetArn").asText();
            String queueUrl = url(q);
            return queueUrl.substring(0, queueUrl.lastIndexOf('/') + 1) + arn.substring(arn.lastIndexOf(':') + 1);
        });
    }

    @Override
    public List<DeadLetterMessage> receiveDeadLetters(Name queue, int max) {
        if (!urls.containsKey(queue)) {
            return List.of();
        }
        String dlq = deadLetterUrl(queue);
        return sqs.receiveMessage(b -> b.queueUrl(dlq).maxNumberOfMessages(Math.min(RequestLimits.SQS_RECEIVE_MAX, max))
                        .visibilityTimeout(300).waitTimeSeconds(0).messageAttributeNames(MessageKind.ATTRIBUTE))
                .messages().stream()
                .map(m -> new DeadLetterMessage(m.messageId(), m.body(), m.receiptHandle(),
                        m.messageAttributes().containsKey(MessageKind.ATTRIBUTE)
                                ? m.messageAttributes().get(MessageKind.ATTRIBUTE).stringValue() : null)).toList();
    }

    @Override
    public void releaseDeadLetter(Name queue, String receiptHandle) {
        sqs.changeMessageVisibility(b -> b.queueUrl(deadLetterUrl(queue)).receiptHandle(receiptHandle).visibilityTimeout(0));
    }

    @Override
    public void deleteDeadLetter(Name queue, String receiptHandle) {
        sqs.deleteMessage(b -> b.queueUrl(deadLetterUrl(queue)).receiptHandle(receiptHandle));
    }
}
