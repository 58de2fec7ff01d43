package dev.sluice.function.gpu;

import dev.sluice.aws.RequestLimits;
import dev.sluice.core.Json;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.core.pipeline.Routing;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU pool's consumer: long-polls the inference-gpu queue, forms a dynamic batch across messages (until it holds
 * {@code maxBatchItems} items or {@code maxWaitMillis} passed since the first message, whichever comes first), runs it
 * through the same {@link BatchProcessor} as the Lambda function (one tensor across the messages), keeps the messages
 * invisible while they are worked on, deletes what is done and releases what is not.
 *
 * <p>Messages are routed by kind as the Lambda handlers route theirs ({@link #kindOf}: the {@code SluiceKind} message
 * attribute, else the body's declared shape): the pool takes {@link MessageKind#BATCH} only; a message of another kind
 * is released at once and counted by SQS towards the DLQ, where the scheduler's dead-letter drain accounts it (an
 * execution's task through {@code ExecutionTasks}).
 *
 * <p>{@link #stop()} (SIGTERM from ECS) stops receiving; the batch in hand is finished and acknowledged, so nothing is
 * lost and nothing is counted twice.
 */
public final class GpuWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(GpuWorker.class);

    public record Settings(int maxBatchItems, long maxWaitMillis, int visibilitySeconds, int pollSeconds) {
        public static final Settings DEFAULTS = new Settings(256, 200, 120, 10);

        /** The dynamic batch's window (the house's one rule for it, shared with the task pools' image rows). */
        public dev.sluice.core.inference.BatchWindow window() {
            return new dev.sluice.core.inference.BatchWindow(maxBatchItems, maxWaitMillis);
        }
    }

    private final SqsClient sqs;
    private final String queueUrl;
    private final BatchProcessor processor;
    private final Settings settings;
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "visibility-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final java.util.function.LongSupplier modelBusyNanos;
    private volatile boolean stopping;

    public GpuWorker(SqsClient sqs, String queueUrl, BatchProcessor processor, Settings settings) {
        this(sqs, queueUrl, processor, settings, () -> 0);
    }

    /**
     * @param modelBusyNanos the predictor's running total of model time ({@code Predictor.modelBusyNanos}): each
     *                       handled batch logs model-busy time / wall time, the share of the task the GPU was used
     */
    public GpuWorker(SqsClient sqs, String queueUrl, BatchProcessor processor, Settings settings,
                     java.util.function.LongSupplier modelBusyNanos) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.processor = processor;
        this.settings = settings;
        this.modelBusyNanos = modelBusyNanos;
    }

    /** Model-busy time / wall time of one handled batch, as logged: "model busy 412 ms of 530 ms wall (78%)". */
    static String busyLine(int items, long busyNanos, long wallNanos) {
        return String.format(java.util.Locale.ROOT, "%d items: model busy %.0f ms of %.0f ms wall (%.0f%%)", items,
                busyNanos / 1e6, wallNanos / 1e6, wallNanos <= 0 ? 0.0 : 100.0 * busyNanos / wallNanos);
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                List<Message> batch = collect();
                if (!batch.isEmpty()) {
                    handle(batch);
                }
            }
        } finally {
            heartbeat.shutdownNow();
            stopped.countDown();
        }
    }

    /** Stops receiving, lets the batch in hand finish, and waits for that up to the timeout. */
    public boolean stop(long timeoutMillis) throws InterruptedException {
        stopping = true;
        return stopped.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private List<Message> collect() {
        List<Message> batch = new ArrayList<>();
        int items = 0;
        long first = -1;
        while (!stopping || !batch.isEmpty()) {
            // ask for no more messages than the batch has room for, judging by the messages seen so far
            int max = batch.isEmpty() ? 1 : (int) Math.max(1, Math.min(RequestLimits.SQS_BATCH_ENTRIES,
                    (settings.maxBatchItems() - items) / Math.max(1, items / batch.size())));
            int wait = batch.isEmpty() ? settings.pollSeconds() : 0;
            List<Message> received = stopping ? List.of() : sqs.receiveMessage(b -> b.queueUrl(queueUrl)
                    .maxNumberOfMessages(max).waitTimeSeconds(wait).messageAttributeNames(MessageKind.ATTRIBUTE)
                    .visibilityTimeout(settings.visibilitySeconds())).messages();
            for (Message m : received) {
                batch.add(m);
                items += itemCount(m);
            }
            if (batch.isEmpty()) {
                return batch;
            }
            if (first < 0) {
                first = System.currentTimeMillis();
            }
            long sinceFirst = System.currentTimeMillis() - first;
            if (settings.window().closed(items, sinceFirst) || stopping) {
                return batch;
            }
            if (received.isEmpty()) {
                sleep(Math.min(20, Math.max(1, settings.maxWaitMillis() - sinceFirst)));
            }
        }
        return batch;
    }

    /** A received message's kind: its {@link MessageKind#ATTRIBUTE} attribute, else its body's (see {@link Routing}). */
    static MessageKind kindOf(Message m) {
        var attribute = m.messageAttributes().get(MessageKind.ATTRIBUTE);
        return Routing.kindOf(BatchQueue.Name.INFERENCE_GPU, attribute == null ? null : attribute.stringValue(), m.body());
    }

    private static int itemCount(Message m) {
        try {
            return Json.tree(m.body()).path("items").size();
        } catch (IllegalArgumentException e) {
            return 1;
        }
    }

    private void handle(List<Message> messages) {
        ScheduledFuture<?> keepInvisible = heartbeat.scheduleAtFixedRate(() -> extend(messages),
                settings.visibilitySeconds() / 3, settings.visibilitySeconds() / 3, TimeUnit.SECONDS);
        List<Message> parsed = new ArrayList<>();
        List<BatchMessage> batches = new ArrayList<>();
        List<Message> refused = new ArrayList<>();
        for (Message m : messages) {
            MessageKind kind = kindOf(m);
            if (kind != MessageKind.BATCH) {
                LOG.warn("message {} is a {} message, which the GPU pool does not take; it goes to the DLQ after its retries",
                        m.messageId(), kind);
                refused.add(m);
                continue;
            }
            try {
                batches.add(Json.read(m.body(), BatchMessage.class));
                parsed.add(m);
            } catch (IllegalArgumentException e) {
                LOG.warn("message {} is not a batch; it goes to the DLQ after its retries", m.messageId());
                refused.add(m);
            }
        }
        List<Boolean> done;
        long wallStart = System.nanoTime();
        long busyStart = modelBusyNanos.getAsLong();
        java.util.Map<String, Long> owners = new java.util.LinkedHashMap<>();
        batches.forEach(b -> owners.merge(b.jobId(), 1L, Long::sum));
        // the batches' usage, their task time billed as the GPU pool's
        try (var usage = owners.isEmpty() ? null : dev.sluice.core.usage.UsageMeter.process()
                .open(owners, new dev.sluice.core.usage.UsageMeter.Compute.GpuTask())) {
            done = batches.isEmpty() ? List.of() : processor.process(batches);
            int items = batches.stream().mapToInt(b -> b.items().size()).sum();
            LOG.info(busyLine(items, modelBusyNanos.getAsLong() - busyStart, System.nanoTime() - wallStart));
        } catch (RuntimeException e) {
            LOG.warn("{} batches failed; they will be redelivered", messages.size(), e);
            done = batches.stream().map(b -> false).toList();
        } finally {
            keepInvisible.cancel(false);
        }
        List<Message> finished = new ArrayList<>();
        List<Message> failed = new ArrayList<>(refused);
        for (int i = 0; i < parsed.size(); i++) {
            (done.get(i) ? finished : failed).add(parsed.get(i));
        }
        for (List<Message> group : RequestLimits.split(finished, RequestLimits.SQS_BATCH_ENTRIES)) {
            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
            for (Message m : group) {
                entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(entries.size()))
                        .receiptHandle(m.receiptHandle()).build());
            }
            sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
        }
        changeVisibility(failed, 5); // back soon, counted by SQS towards the DLQ
    }

    private void extend(List<Message> messages) {
        try {
            changeVisibility(messages, settings.visibilitySeconds());
        } catch (RuntimeException e) {
            LOG.warn("could not extend the visibility of {} messages", messages.size(), e);
        }
    }

    private void changeVisibility(List<Message> messages, int seconds) {
        for (List<Message> group : RequestLimits.split(messages, RequestLimits.SQS_BATCH_ENTRIES)) {
            List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
            for (Message m : group) {
                entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(entries.size()))
                        .receiptHandle(m.receiptHandle()).visibilityTimeout(seconds).build());
            }
            sqs.changeMessageVisibilityBatch(b -> b.queueUrl(queueUrl).entries(entries));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
