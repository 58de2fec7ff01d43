package dev.sluice.testing;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.local.LocalEventSource;
import dev.sluice.local.StageWrapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinWorkerThread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault injector never runs a handler in ForkJoinPool.commonPool(): the JDK's HttpClient completes every
 * sendAsync there, and a handler blocked in it (an abandoned TIMEOUT handler waiting for its own fetches) stalled every
 * HTTP exchange of the test's process until their deadlines (FaultInjectionTest's intermittent gather.timeout and
 * webhook timeouts, found in a thread dump of a stalled run).
 */
class FaultInjectorTest {
    private static SQSEvent event(String body) {
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId(body);
        message.setBody(body);
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(message));
        return event;
    }

    /** Waits (a hang guard, not a timing) until the handlers ran this many times. */
    private static void awaitRuns(List<Thread> ran, int runs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (ran.size() < runs && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(runs, ran.size());
    }

    @Test
    void everyFaultKind_runsItsHandlersOutsideTheCommonPool() throws Exception {
        FaultInjector faults = new FaultInjector(1, 1.0, 20261130L);
        List<Thread> ran = new CopyOnWriteArrayList<>();
        RequestHandler<SQSEvent, SQSBatchResponse> real = (event, context) -> {
            ran.add(Thread.currentThread());
            return new SQSBatchResponse(List.of());
        };
        var wrapped = faults.wrap(StageWrapper.Stage.INFERENCE, real);
        for (int i = 0; i < FaultInjector.Kind.values().length; i++) {
            try {
                wrapped.handleRequest(event("m" + i), new LocalEventSource.LocalContext(60_000));
            } catch (FaultInjector.InjectedFault expected) {
                // THROW_MID_BATCH, DIE_AFTER_SIDE_EFFECT, TIMEOUT
            }
        }
        assertTrue(faults.injected().get(StageWrapper.Stage.INFERENCE).values().stream().allMatch(n -> n == 1),
                faults.injected().toString());
        // a single message: THROW_MID_BATCH runs nothing, REDELIVER runs twice, the others once
        awaitRuns(ran, 5);
        assertTrue(ran.stream().noneMatch(t -> t instanceof ForkJoinWorkerThread), ran.toString());

        List<Thread> swept = new CopyOnWriteArrayList<>();
        Runnable sweep = faults.wrapSweep(() -> swept.add(Thread.currentThread()));
        for (int i = 0; i < FaultInjector.kindsOf(StageWrapper.Stage.SCHEDULER).size(); i++) {
            try {
                sweep.run();
            } catch (FaultInjector.InjectedFault expected) {
                // THROW_MID_BATCH, DIE_AFTER_SIDE_EFFECT
            }
        }
        awaitRuns(swept, 3); // DIE_AFTER_SIDE_EFFECT once, REDELIVER twice (one of them its twin)
        assertTrue(swept.stream().noneMatch(t -> t instanceof ForkJoinWorkerThread), swept.toString());
    }
}
