package dev.sluice.function.gpu;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.Compute;
import dev.sluice.execution.Execution;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task pool's worker shared by two projects (ElasticMQ, the execution store and its slot leases on DynamoDB Local):
 * project B's execution of many never-ending files ({@code compute.tasks} above the worker's slots) does not keep
 * project A's one file waiting for one of them to end, and B's files that wait for B's turn spend no receive (the
 * queue here dead-letters a message on its second receive).
 */
class TaskWorkerFairnessTest {
    static final String A = "proj_fairtaska";
    static final String B = "proj_fairtaskb";
    static final int SLOTS = 2;

    final HandlerFixture fixture = new HandlerFixture();
    final String dlq = fixture.clients.sqs().createQueue(b -> b.queueName("fair-tasks-dlq-" + System.nanoTime()))
            .queueUrl();
    /** One receive per message: a file that waits for its project's turn must not spend receives towards the DLQ. */
    final String queue = fixture.clients.sqs().createQueue(b -> b.queueName("fair-tasks-" + System.nanoTime())
            .attributes(Map.of(QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + fixture.clients.sqs()
                    .getQueueAttributes(a -> a.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes()
                    .get(QueueAttributeName.QUEUE_ARN) + "\",\"maxReceiveCount\":\"1\"}"))).queueUrl();
    final CountDownLatch releaseB = new CountDownLatch(1);
    TaskWorker worker;

    @AfterEach
    void stop() throws InterruptedException {
        releaseB.countDown();
        if (worker != null) {
            worker.drain(30_000);
        }
        fixture.clients.sqs().deleteQueue(b -> b.queueUrl(queue));
        fixture.clients.sqs().deleteQueue(b -> b.queueUrl(dlq));
        fixture.close();
    }

    @Test
    void aProjectWhoseFilesFillEveryWorkerSlot_neverKeepsAnotherProjectsFileWaiting() throws Exception {
        Execution big = execution(B, 1000);
        Execution small = execution(A, 1);
        CountDownLatch aRan = new CountDownLatch(1);
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> most = new ConcurrentHashMap<>();
        AtomicInteger mostInAll = new AtomicInteger();
        AtomicInteger inAll = new AtomicInteger();
        Set<Long> bRan = ConcurrentHashMap.newKeySet();
        TaskWorker.Files files = (ExecutionTask task, BooleanSupplier draining) -> {
            int now = running.computeIfAbsent(task.projectId(), p -> new AtomicInteger()).incrementAndGet();
            most.computeIfAbsent(task.projectId(), p -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            mostInAll.accumulateAndGet(inAll.incrementAndGet(), Math::max);
            try {
                if (task.projectId().equals(B)) {
                    await(releaseB, "the test's release of B's files"); // a file that runs until the test ends it
                    bRan.add(task.index());
                } else {
                    aRan.countDown();
                }
            } finally {
                inAll.decrementAndGet();
                running.get(task.projectId()).decrementAndGet();
            }
        };
        worker = new TaskWorker(fixture.clients.sqs(), Map.of(BatchQueue.Name.CPU_TASKS, queue), files,
                fixture.services.executionStore(), new TaskWorker.Settings(SLOTS, 60, 1), Clock.SYSTEM, "worker-1");
        Thread.ofPlatform().daemon().name("task-worker-test").start(worker);

        for (long i = 0; i < 4; i++) {
            send(ExecutionTask.file(B, big.id(), i, "b-" + i + ".csv"));
        }
        waitFor(() -> running.getOrDefault(B, new AtomicInteger()).get() == SLOTS, "B's files to fill the worker");
        send(ExecutionTask.file(A, small.id(), 0, "a-0.csv"));

        assertTrue(aRan.await(60, TimeUnit.SECONDS), "A's file ran while B's files held the worker's slots");
        assertEquals(SLOTS, running.get(B).get(), "B's files were still running when A's ran");

        releaseB.countDown();
        waitFor(() -> bRan.size() == 4, "every file of B to run, the deferred ones included (none dead-lettered)");
        assertEquals(SLOTS, most.get(B).get(), "a project runs at most the worker's slots");
        assertEquals(SLOTS + 1, mostInAll.get(), "the worker runs one file more, for another project");
    }

    private Execution execution(String project, int tasks) {
        long now = System.currentTimeMillis();
        var spec = new Execution.Spec("model_fairtask", null, new Folder("bucket-of-" + project.substring(5), "in"),
                new Folder("bucket-of-" + project.substring(5), "out"), FileType.CSV, FileType.CSV, 0, 0, tasks,
                Map.of(), null, null, null, null, null, null,
                new Compute(Compute.Target.CpuPool, "local", Compute.PurchaseOption.onDemand, tasks));
        var e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, project, spec,
                new Execution.Status(Execution.State.Running, null, 4L, 0, 0, 0, now, null), now, now);
        fixture.services.executionStore().create(e);
        return e;
    }

    private void send(ExecutionTask task) {
        fixture.clients.sqs().sendMessage(b -> b.queueUrl(queue).messageBody(Json.write(task)));
    }

    private static void await(CountDownLatch latch, String what) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES)) {
                throw new AssertionError("waited 2 min for " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.currentTimeMillis() + 120_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > until) {
                throw new AssertionError("waited 2 min for " + what);
            }
            Thread.sleep(20);
        }
    }
}
