package dev.sluice.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the Lambda SQS event source mapping for one queue: long-polls up to batchSize messages, invokes the handler
 * with an SQSEvent, deletes the messages that did not come back in the partial batch response, and leaves the rest
 * (or the whole batch, when the handler throws) to reappear after their visibility timeout, until the queue's
 * redrive policy moves them to the DLQ.
 *
 * <p>With {@code keepInFlight}, the messages of a running invocation stay invisible until it returns: a heartbeat looks
 * every second and sets a message's visibility to the queue's visibility timeout again once a third of it has passed
 * since it was last set (its receive or its last extension), so two thirds of the timeout are left for a late
 * heartbeat on a loaded machine, and an invocation costs one ChangeMessageVisibilityBatch per 10 messages and third of
 * the timeout (a 720-s queue: one per 240 s), not one per second. A thrown invocation's messages are no longer
 * extended: they come back within a visibility timeout of their last set. On AWS, Lambda refuses a mapping whose
 * queue's visibility timeout is shorter than the function timeout (AWS recommends 6x, <a href="https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html">
 * Configuring a queue</a>), so a message is never received again while its invocation runs. The tests' short
 * visibility (so that a failed message is back in seconds) would otherwise let a slow invocation on a busy machine
 * see its messages received again, and dead-lettered, while it still works on them. Not for handlers that set a
 * message's visibility themselves (delivery's backoff).
 *
 * <p><b>Fair shares between projects.</b> Messages carry their project as the SQS MessageGroupId, which makes an SQS
 * standard queue a fair queue on AWS; ElasticMQ takes the attribute but neither reorders by it nor returns it, so the
 * project also travels in a message attribute, and this source plays
 * that part too: the pollers receive into one backlog (at most {@value #BACKLOG_MAX_MESSAGES} messages or
 * {@value #BACKLOG_MAX_BYTES} bytes of bodies, kept invisible until handed over; receiving continues while a receive
 * returns a full page, so another project's message behind one project's backlog is found at once), and each
 * invocation takes the messages of one group: the group with the fewest invocations running, then the one served
 * longest ago. With more than one poller a group holds at most all of them but one, so another project's newcomer
 * never waits for a slow project's invocation to end (the stack gives each source one poller more than a single
 * project uses).
 *
 * <p><b>Usage.</b> Each request this source makes that carries messages (a receive that returned some, a delete, a
 * visibility change) counts one SQS request to the jobs and executions of those messages, split by message
 * ({@link dev.sluice.core.usage.UsageMeter#recordFor}); its handler's Context says so
 * ({@link dev.sluice.aws.observe.Invocations.SelfMeteredEventSource}), so the invocation adds no estimate. An empty
 * poll and the one visibility-timeout lookup carry none: they count to no job.
 */
public final class LocalEventSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalEventSource.class);

    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final int batchSize;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final long timeoutMillis;
    private final long batchingWindowMillis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Thread> workers = new ArrayList<>();
    private final boolean keepInFlight;
    private volatile int visibilitySeconds = -1;
    /** Messages received and not yet handed to an invocation, by message group, oldest first. Guarded by itself. */
    private final java.util.LinkedHashMap<String, java.util.ArrayDeque<Message>> backlog = new java.util.LinkedHashMap<>();
    private int backlogMessages;
    private long backlogBytes;
    /** Invocations running per group, and when each group was last handed messages. Guarded by backlog. */
    private final Map<String, Integer> runningByGroup = new HashMap<>();
    private final Map<String, Long> lastServed = new HashMap<>();
    private long serial;
    static final int BACKLOG_MAX_MESSAGES = 1000;
    static final long BACKLOG_MAX_BYTES = 16L << 20;
    private final int concurrency;
    private final java.util.concurrent.ScheduledFuture<?> backlogHeartbeat;
    private static final java.util.concurrent.ScheduledExecutorService HEARTBEAT =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "esm-heartbeat");
                t.setDaemon(true);
                return t;
            });

    /**
     * @param concurrency   pollers, like the mapping's maximum concurrency
     * @param timeoutMillis the function timeout that the handler's Context reports
     * @param batchingWindowMillis how long to gather messages before invoking with fewer than batchSize
     *                             (MaximumBatchingWindowInSeconds)
     */
    public LocalEventSource(SqsClient sqs, String queueUrl, int batchSize, int concurrency,
                            RequestHandler<SQSEvent, SQSBatchResponse> handler, long timeoutMillis,
                            long batchingWindowMillis) {
        this(sqs, queueUrl, batchSize, concurrency, handler, timeoutMillis, batchingWindowMillis, false);
    }

    /**
     * @param keepInFlight extend the visibility of a running invocation's messages until it returns (see the class
     *                     comment); false for a handler that sets its messages' visibility itself
     */
    public LocalEventSource(SqsClient sqs, String queueUrl, int batchSize, int concurrency,
                            RequestHandler<SQSEvent, SQSBatchResponse> handler, long timeoutMillis,
                            long batchingWindowMillis, boolean keepInFlight) {
        this.keepInFlight = keepInFlight;
        this.batchingWindowMillis = batchingWindowMillis;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = "arn:aws:sqs:local:000000000000:" + queueUrl.substring(queueUrl.lastIndexOf('/') + 1);
        this.batchSize = batchSize;
        this.handler = handler;
        this.timeoutMillis = timeoutMillis;
        this.concurrency = concurrency;
        this.backlogHeartbeat = HEARTBEAT.scheduleWithFixedDelay(this::extendBacklog, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(this::poll, "esm-" + queueArn.substring(queueArn.lastIndexOf(':') + 1) + "-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
    }

    public LocalEventSource start() {
        workers.forEach(Thread::start);
        return this;
    }

    /** True when no handler invocation is running and no received message waits for one. */
    public boolean idle() {
        synchronized (backlog) {
            return inFlight.get() == 0 && backlogMessages == 0;
        }
    }

    private void poll() {
        while (running.get()) {
            List<Message> messages;
            try {
                fill(takeable() ? 0 : 1);
                long windowEnd = System.currentTimeMillis() + batchingWindowMillis;
                while (takeable() && !fullBatchWaiting() && System.currentTimeMillis() < windowEnd) {
                    if (fill(0) == 0) {
                        sleep(Math.min(50, Math.max(1, windowEnd - System.currentTimeMillis())));
                    }
                }
            } catch (RuntimeException e) {
                if (running.get()) {
                    LOG.debug("receive failed", e);
                    sleep(500);
                }
                continue;
            }
            String group;
            synchronized (backlog) {
                group = pick();
                messages = group == null ? null : take(group);
            }
            if (group == null) {
                // nothing may be handed over now (a full backlog of groups at their share returns from fill at
                // once): wait a little instead of spinning a core
                sleep(20);
                continue;
            }
            if (!running.get()) {
                release(group);
                continue;
            }
            inFlight.incrementAndGet();
            try {
                invoke(messages);
            } finally {
                inFlight.decrementAndGet();
                release(group);
            }
        }
    }

    /**
     * The message group (project) a message was sent with: its MessageGroupId when the queue returns it, else its
     * project attribute ({@link dev.sluice.core.pipeline.Envelope#TENANT_ATTRIBUTE}); "" for none.
     */
    static String groupOf(Message m) {
        String group = m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
        if (group == null && m.messageAttributes().containsKey(dev.sluice.core.pipeline.Envelope.TENANT_ATTRIBUTE)) {
            group = m.messageAttributes().get(dev.sluice.core.pipeline.Envelope.TENANT_ATTRIBUTE).stringValue();
        }
        return group == null ? "" : group;
    }

    /**
     * Receives into the backlog while receives return full pages and the backlog has room (the first receive waits
     * up to waitSeconds for a message). Returns how many messages came.
     */
    private int fill(int waitSeconds) {
        int total = 0;
        while (running.get()) {
            synchronized (backlog) {
                if (backlogMessages >= BACKLOG_MAX_MESSAGES || backlogBytes >= BACKLOG_MAX_BYTES) {
                    return total;
                }
            }
            List<Message> got = receive(10, total == 0 ? waitSeconds : 0);
            for (Message m : got) {
                String kind = m.messageAttributes().containsKey(dev.sluice.core.pipeline.MessageKind.ATTRIBUTE)
                        ? m.messageAttributes().get(dev.sluice.core.pipeline.MessageKind.ATTRIBUTE).stringValue() : null;
                String owner = dev.sluice.core.pipeline.QueueMessage.usageOwnerOf(kind, m.body());
                if (owner != null) {
                    owners.put(m.receiptHandle(), owner);
                }
            }
            meter(ownersOf(got, owners));
            long now = System.currentTimeMillis();
            synchronized (backlog) {
                for (Message m : got) {
                    backlog.computeIfAbsent(groupOf(m), g -> new java.util.ArrayDeque<>()).add(m);
                    backlogMessages++;
                    backlogBytes += m.body().length();
                    lastExtended.put(m.receiptHandle(), now);
                }
            }
            total += got.size();
            if (got.size() < 10) {
                return total;
            }
        }
        return total;
    }

    /** A group whose messages may be handed over now, or null. Called holding the backlog's lock. */
    private String pick() {
        String best = null;
        int bestRunning = Integer.MAX_VALUE;
        long bestServed = Long.MAX_VALUE;
        for (String group : backlog.keySet()) {
            int n = runningByGroup.getOrDefault(group, 0);
            // a group never holds the last poller: it stays free for a project that comes next
            if (concurrency > 1 && n >= concurrency - 1) {
                continue;
            }
            long served = lastServed.getOrDefault(group, -1L);
            if (n < bestRunning || n == bestRunning && served < bestServed) {
                best = group;
                bestRunning = n;
                bestServed = served;
            }
        }
        return best;
    }

    private boolean takeable() {
        synchronized (backlog) {
            return pick() != null;
        }
    }

    /** True when the group to be served next already has a whole invocation's messages waiting. */
    private boolean fullBatchWaiting() {
        synchronized (backlog) {
            String group = pick();
            return group != null && backlog.get(group).size() >= batchSize;
        }
    }

    /** Up to batchSize messages of the group, oldest first. Called holding the backlog's lock. */
    private List<Message> take(String group) {
        java.util.ArrayDeque<Message> queued = backlog.get(group);
        List<Message> messages = new ArrayList<>();
        while (!queued.isEmpty() && messages.size() < batchSize) {
            Message m = queued.poll();
            backlogMessages--;
            backlogBytes -= m.body().length();
            messages.add(m);
        }
        if (queued.isEmpty()) {
            backlog.remove(group);
        }
        runningByGroup.merge(group, 1, Integer::sum);
        lastServed.put(group, ++serial);
        return messages;
    }

    private void release(String group) {
        synchronized (backlog) {
            runningByGroup.computeIfPresent(group, (g, n) -> n <= 1 ? null : n - 1);
        }
    }

    /**
     * The usage owner of each message received and not yet handed back (in the backlog or in an invocation), by
     * receipt handle; a message of no owner has no entry.
     */
    private final Map<String, String> owners = new java.util.concurrent.ConcurrentHashMap<>();

    /** The owners of these messages as known now, by receipt handle (a message of no owner has no entry). */
    private Map<String, String> ownersNow(List<Message> messages) {
        Map<String, String> now = new HashMap<>();
        for (Message m : messages) {
            String owner = owners.get(m.receiptHandle());
            if (owner != null) {
                now.put(m.receiptHandle(), owner);
            }
        }
        return now;
    }

    /**
     * The owners of the messages a request carries, each with its number of messages, from {@code ownerOf} (the
     * owners as they were when the request's messages were taken: an invocation's end forgets its messages' owners
     * while a visibility change of its heartbeat may still run, a request made for the job all the same).
     */
    private static Map<String, Long> ownersOf(List<Message> carried, Map<String, String> ownerOf) {
        Map<String, Long> weights = new java.util.LinkedHashMap<>();
        for (Message m : carried) {
            String owner = ownerOf.get(m.receiptHandle());
            if (owner != null) {
                weights.merge(owner, 1L, Long::sum);
            }
        }
        return weights;
    }

    /** Counts one SQS request to these owners (split by message; {@link #ownersOf(List, Map)}). */
    private static void meter(Map<String, Long> weights) {
        if (!weights.isEmpty()) {
            dev.sluice.core.usage.UsageMeter.process().recordFor(weights, dev.sluice.core.usage.Usage.sqs(1));
        }
    }

    /**
     * When each message's visibility was last set (its receive, or an extension; ms since the epoch), by receipt
     * handle, from its receive until it is handed back (deleted, failed, or released at close).
     */
    private final Map<String, Long> lastExtended = new java.util.concurrent.ConcurrentHashMap<>();

    /** Keeps the backlog's messages invisible ({@link #extendDue}). */
    private void extendBacklog() {
        List<Message> waiting;
        Map<String, String> ownerOf;
        synchronized (backlog) {
            if (backlogMessages == 0) {
                return;
            }
            waiting = backlog.values().stream().flatMap(java.util.Collection::stream).toList();
            ownerOf = ownersNow(waiting); // in the backlog, so not yet forgotten by an invocation's end
        }
        extendDue(waiting, ownerOf);
    }

    /**
     * Extends those of the messages whose visibility was last set a third of the queue's visibility timeout ago or
     * more (at least 1 s ago), and not handed back: called every second, it keeps them invisible with two thirds of
     * the timeout to spare.
     */
    private void extendDue(List<Message> messages, Map<String, String> ownerOf) {
        long now = System.currentTimeMillis();
        long every = Math.max(1_000L, visibility() * 1000L / 3);
        List<Message> due = messages.stream().filter(m -> {
            Long last = lastExtended.get(m.receiptHandle()); // none: handed back already, never extended again
            return last != null && now - last >= every;
        }).toList();
        if (!due.isEmpty()) {
            extend(due, ownerOf);
            due.forEach(m -> lastExtended.computeIfPresent(m.receiptHandle(), (h, t) -> now));
        }
    }

    private List<Message> receive(int max, int waitSeconds) {
        return sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(max).waitTimeSeconds(waitSeconds)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL).messageAttributeNames("All")).messages();
    }

    private void invoke(List<Message> messages) {
        SQSEvent event = new SQSEvent();
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Message m : messages) {
            SQSEvent.SQSMessage r = new SQSEvent.SQSMessage();
            r.setMessageId(m.messageId());
            r.setReceiptHandle(m.receiptHandle());
            r.setBody(m.body());
            r.setMd5OfBody(m.md5OfBody());
            r.setEventSource("aws:sqs");
            r.setEventSourceArn(queueArn);
            r.setAwsRegion("us-east-1");
            Map<String, String> attributes = new HashMap<>();
            m.attributes().forEach((k, v) -> attributes.put(k.toString(), v));
            r.setAttributes(attributes);
            // the message attributes (the pipeline's message kind), as the Lambda event source mapping passes them
            Map<String, SQSEvent.MessageAttribute> messageAttributes = new HashMap<>();
            m.messageAttributes().forEach((k, v) -> {
                SQSEvent.MessageAttribute a = new SQSEvent.MessageAttribute();
                a.setDataType(v.dataType());
                a.setStringValue(v.stringValue());
                messageAttributes.put(k, a);
            });
            r.setMessageAttributes(messageAttributes);
            records.add(r);
        }
        event.setRecords(records);
        Set<String> failed = new HashSet<>();
        Map<String, String> ownerOf = ownersNow(messages);
        java.util.concurrent.ScheduledFuture<?> heartbeat = keepInFlight ? HEARTBEAT.scheduleWithFixedDelay(
                () -> extendDue(messages, ownerOf), 1, 1, java.util.concurrent.TimeUnit.SECONDS) : null;
        try {
            SQSBatchResponse response = handler.handleRequest(event, new LocalContext(timeoutMillis));
            if (response != null && response.getBatchItemFailures() != null) {
                response.getBatchItemFailures().forEach(f -> failed.add(f.getItemIdentifier()));
            }
        } catch (RuntimeException | Error e) {
            // As on Lambda: a thrown invocation fails the whole batch; the messages come back after the timeout.
            LOG.warn("handler failed for {} messages of {}", messages.size(), queueArn, e);
            forget(messages);
            return;
        } finally {
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
        }
        List<Message> done = messages.stream().filter(m -> !failed.contains(m.messageId())).toList();
        try {
            for (int i = 0; i < done.size(); i += 10) {
                List<Message> group = done.subList(i, Math.min(done.size(), i + 10));
                List<DeleteMessageBatchRequestEntry> deletes = new ArrayList<>();
                for (Message m : group) {
                    deletes.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(deletes.size()))
                            .receiptHandle(m.receiptHandle()).build());
                }
                Map<String, Long> carried = ownersOf(group, owners);
                sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(deletes));
                meter(carried);
            }
        } finally {
            forget(messages);
        }
    }

    /** Drops what this source kept about messages handed back. */
    private void forget(List<Message> messages) {
        messages.forEach(m -> {
            owners.remove(m.receiptHandle());
            lastExtended.remove(m.receiptHandle());
        });
    }

    private int visibility() {
        if (visibilitySeconds < 0) {
            visibilitySeconds = Integer.parseInt(sqs.getQueueAttributes(b -> b.queueUrl(queueUrl)
                            .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.VISIBILITY_TIMEOUT))
                    .attributes().get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.VISIBILITY_TIMEOUT));
        }
        return visibilitySeconds;
    }

    /** Sets the messages' visibility to the queue's visibility timeout again, from now. */
    /** Extends the messages' visibility; ownerOf: their owners as they were when the messages were taken. */
    private void extend(List<Message> messages, Map<String, String> ownerOf) {
        try {
            int visibilitySeconds = visibility();
            for (int i = 0; i < messages.size(); i += 10) {
                List<Message> group = messages.subList(i, Math.min(messages.size(), i + 10));
                List<software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
                for (Message m : group) {
                    entries.add(software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry.builder()
                            .id(Integer.toString(entries.size())).receiptHandle(m.receiptHandle())
                            .visibilityTimeout(visibilitySeconds).build());
                }
                Map<String, Long> carried = ownersOf(group, ownerOf);
                sqs.changeMessageVisibilityBatch(b -> b.queueUrl(queueUrl).entries(entries));
                meter(carried);
            }
        } catch (RuntimeException e) {
            LOG.debug("visibility not extended", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread t : workers) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        backlogHeartbeat.cancel(false);
        List<Message> waiting;
        synchronized (backlog) {
            waiting = backlog.values().stream().flatMap(java.util.Collection::stream).toList();
            backlog.clear();
            waiting.forEach(m -> lastExtended.remove(m.receiptHandle()));
            backlogMessages = 0;
            backlogBytes = 0;
        }
        try { // received, never handed over: visible again at once for the next consumer
            for (int i = 0; i < waiting.size(); i += 10) {
                List<Message> group = waiting.subList(i, Math.min(waiting.size(), i + 10));
                List<software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
                for (Message m : group) {
                    entries.add(software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry.builder()
                            .id(Integer.toString(entries.size())).receiptHandle(m.receiptHandle()).visibilityTimeout(0).build());
                }
                Map<String, Long> carried = ownersOf(group, owners);
                sqs.changeMessageVisibilityBatch(b -> b.queueUrl(queueUrl).entries(entries));
                meter(carried);
            }
        } catch (RuntimeException e) {
            LOG.debug("backlog not released; its messages come back after their visibility timeout", e);
        }
    }

    /** The parts of Lambda's Context that the handlers use. */
    public static final class LocalContext implements Context, dev.sluice.aws.observe.Invocations.SelfMeteredEventSource {
        private final long deadline;
        private final String requestId = UUID.randomUUID().toString();

        public LocalContext(long timeoutMillis) {
            this.deadline = System.currentTimeMillis() + timeoutMillis;
        }

        @Override
        public String getAwsRequestId() {
            return requestId;
        }

        @Override
        public String getLogGroupName() {
            return "local";
        }

        @Override
        public String getLogStreamName() {
            return "local";
        }

        @Override
        public String getFunctionName() {
            return "local";
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return "arn:aws:lambda:local:000000000000:function:local";
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return (int) Math.max(0, deadline - System.currentTimeMillis());
        }

        @Override
        public int getMemoryLimitInMB() {
            return 2048;
        }

        @Override
        public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override
                public void log(String message) {
                    System.err.println(message);
                }

                @Override
                public void log(byte[] message) {
                    System.err.println(new String(message, java.nio.charset.StandardCharsets.UTF_8));
                }
            };
        }
    }
}
