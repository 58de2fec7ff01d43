package dev.sluice.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local event source's in-flight visibility (issue 23 item 8): a running invocation's messages are never received
 * again while it runs, at one ChangeMessageVisibilityBatch per third of the queue's visibility timeout (not one per
 * second), and a thrown invocation's messages come back after the timeout. The waits are on conditions (extensions
 * made, invocations seen), the cost check a count against the time the same run measured.
 */
class LocalEventSourceTest {
    private static EmulatorStack stack;
    private static SqsClient sqs;
    private static final AtomicInteger VISIBILITY_CHANGES = new AtomicInteger();

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        sqs = LocalProvisioner.clients(stack, List.of(new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof ChangeMessageVisibilityBatchRequest) {
                    VISIBILITY_CHANGES.incrementAndGet();
                }
            }
        })).sqs();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static String queue(String name, int visibilitySeconds) {
        return sqs.createQueue(b -> b.queueName(name).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilitySeconds)))).queueUrl();
    }

    @Test
    void aRunningInvocationsMessage_isNeverReceivedAgain_andIsExtendedOncePerThirdOfTheTimeout() throws Exception {
        int visibility = 6;
        String url = queue("long-invocation", visibility);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger invocations = new AtomicInteger();
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("work"));
        long begin = System.nanoTime();
        int changesBefore = VISIBILITY_CHANGES.get();
        RequestHandler<SQSEvent, SQSBatchResponse> held = (event, c) -> {
            invocations.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new SQSBatchResponse(List.of());
        };
        try (LocalEventSource source = new LocalEventSource(sqs, url, 1, 1, held, 60_000, 0, true).start()) {
            assertTrue(started.await(60, TimeUnit.SECONDS), "the message was handed to an invocation");
            // held past two visibility timeouts: 6 extensions, each a third of the timeout after the last at the earliest
            int seenAgain = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (VISIBILITY_CHANGES.get() - changesBefore < 6 && System.nanoTime() < deadline) {
                seenAgain += sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
                        .messages().size();
            }
            long heldMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
            int changes = VISIBILITY_CHANGES.get() - changesBefore;
            release.countDown();
            assertTrue(changes >= 6, "extended while held: " + changes);
            assertEquals(0, seenAgain, "a running invocation's message is never received again");
            // one extension per third of the timeout at most (the old heartbeat made one per second: 3 times as many)
            long allowed = heldMillis / (visibility * 1000L / 3) + 1;
            assertTrue(changes <= allowed, changes + " extensions in " + heldMillis + " ms, at most " + allowed);
            long drained = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!source.idle() && System.nanoTime() < drained) {
                Thread.sleep(20);
            }
            assertTrue(source.idle());
        }
        assertEquals(1, invocations.get());
        assertEquals("0", sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE), "deleted once done");
    }

    @Test
    void aThrownInvocationsMessage_comesBackAfterTheTimeout() throws Exception {
        String url = queue("thrown-invocation", 3);
        List<String> receiveCounts = new CopyOnWriteArrayList<>();
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("work"));
        RequestHandler<SQSEvent, SQSBatchResponse> failsFirst = (event, c) -> {
            receiveCounts.add(event.getRecords().get(0).getAttributes().get("ApproximateReceiveCount"));
            if (receiveCounts.size() == 1) {
                throw new IllegalStateException("the first attempt fails");
            }
            return new SQSBatchResponse(List.of());
        };
        try (LocalEventSource source = new LocalEventSource(sqs, url, 1, 1, failsFirst, 60_000, 0, true).start()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while ((receiveCounts.size() < 2 || !source.idle()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertEquals(List.of("1", "2"), receiveCounts, "received again once, after the failed attempt");
        assertEquals("0", sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE), "deleted once done");
    }
}
