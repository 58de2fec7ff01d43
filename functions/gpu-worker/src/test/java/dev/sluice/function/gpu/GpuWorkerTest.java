package dev.sluice.function.gpu;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.JobState;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.Item;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU worker on CPU against the emulators: the same code that runs with CUDA on the GPU pool. */
class GpuWorkerTest {
    HandlerFixture fixture;
    OnnxPredictor onnx;
    final List<Integer> tensorSizes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        fixture = new HandlerFixture();
        onnx = new OnnxPredictor(m -> fixture.services.objects().read(m.objectKey()), 2, true);
        var s3 = fixture.clients.s3();
        fixture.itemsBucket();
        s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("photos/goldfish.jpg"),
                RequestBody.fromBytes(Samples.bytes(Samples.image("goldfish.jpg"))));
        fixture.readyModel();
    }

    @AfterEach
    void stop() {
        onnx.close();
        fixture.close();
    }

    void enqueue(int messages, int itemsEach) {
        fixture.job((long) messages * itemsEach, null);
        fixture.services.jobStore().transition(HandlerFixture.JOB, Set.of(JobState.Waiting), JobState.Running, "Running", null, 2);
        List<dev.sluice.core.pipeline.Envelope> bodies = new ArrayList<>();
        for (int m = 0; m < messages; m++) {
            List<Item> items = new ArrayList<>();
            for (int i = m * itemsEach; i < (m + 1) * itemsEach; i++) {
                items.add(new Item(i, null, Item.IMAGE, "s3://" + HandlerFixture.ITEMS_BUCKET + "/photos/goldfish.jpg"));
            }
            bodies.add(new BatchMessage(HandlerFixture.JOB, "b" + m, items).envelope());
        }
        fixture.services.queue().send(dev.sluice.core.pipeline.BatchQueue.Name.INFERENCE_GPU, bodies);
    }

    GpuWorker worker(Predictor predictor, GpuWorker.Settings settings) {
        return new GpuWorker(fixture.clients.sqs(), fixture.config.inferenceGpuQueueUrl(),
                fixture.services.batchProcessor(predictor, true), settings);
    }

    Predictor counting(Predictor inner, CountDownLatch entered, CountDownLatch release) {
        return (Model model, List<Predictor.Input> inputs) -> {
            tensorSizes.add(inputs.size());
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.predict(model, inputs);
        };
    }

    ItemCounters waitForTerminal(long itemCount) throws InterruptedException {
        return waitForTerminal(itemCount, 60_000);
    }

    /** Waits (a hang guard, not a timing) until every item is terminal. */
    ItemCounters waitForTerminal(long itemCount, long withinMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + withinMillis;
        while (System.currentTimeMillis() < deadline) {
            var job = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
            if (job.status().items().terminal() == itemCount) {
                return job.status().items();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the job did not finish");
    }

    @Test
    void messagesFormOneDynamicBatch_oneTensorAcrossThem_andCudaFallsBackToCpu() throws Exception {
        enqueue(3, 8);
        GpuWorker worker = worker(counting(onnx, new CountDownLatch(0), new CountDownLatch(0)),
                new GpuWorker.Settings(64, 1500, 30, 1));
        Thread t = new Thread(worker);
        t.start();
        ItemCounters c = waitForTerminal(24);
        assertTrue(worker.stop(30_000));
        assertEquals(List.of(24), tensorSizes, "three messages of 8 items → one tensor of 24");
        assertNull(c.violation(24), c.toString());
        assertEquals(24, c.delivered());
        assertEquals(JobState.Finished, fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().overview());
        assertTrue(onnx.executionProvider().startsWith("CPU (CUDA unavailable"), onnx.executionProvider());
    }

    @Test
    void sigtermWithABatchInHand_finishesIt_andLeavesTheRestQueued_nothingLostOrCountedTwice() throws Exception {
        enqueue(6, 8);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GpuWorker first = worker(counting(onnx, entered, release), new GpuWorker.Settings(16, 200, 30, 1));
        Thread t = new Thread(first);
        t.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        Thread stopper = new Thread(() -> {
            try {
                first.stop(60_000); // SIGTERM arrives while the batch is being predicted
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        Thread.sleep(300);
        release.countDown();
        stopper.join(60_000);
        t.join(60_000);
        ItemCounters afterDrain = fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().items();
        assertEquals(16, afterDrain.predicted(), "the batch in hand (2 messages) was finished and counted once");
        var attributes = fixture.clients.sqs().getQueueAttributes(b -> b.queueUrl(fixture.config.inferenceGpuQueueUrl())
                .attributeNamesWithStrings("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
                .attributesAsStrings();
        assertEquals(4, Integer.parseInt(attributes.get("ApproximateNumberOfMessages"))
                + Integer.parseInt(attributes.get("ApproximateNumberOfMessagesNotVisible")), attributes.toString());

        GpuWorker second = worker(onnx, new GpuWorker.Settings(16, 200, 30, 1));
        Thread t2 = new Thread(second);
        t2.start();
        ItemCounters c = waitForTerminal(48);
        assertTrue(second.stop(30_000));
        assertNull(c.violation(48), c.toString());
        assertEquals(48, c.predicted());
    }

    /**
     * The pool routes by kind like the Lambda handlers: an execution's task that reached the GPU queue is not read as
     * a batch (it used to be parsed as one, and the dynamic batch it joined failed); the batches beside it run, and
     * the task is released, never deleted, so it stays in the queue or reaches its DLQ, where the dead-letter drain
     * accounts it.
     */
    @Test
    void anExecutionTaskOnTheGpuQueue_isNotReadAsABatch_andIsKeptForTheDlq() throws Exception {
        enqueue(2, 4);
        var task = dev.sluice.core.pipeline.ExecutionTask.file(HandlerFixture.PROJECT, "execution_1", 0, "a.csv");
        fixture.services.queue().send(dev.sluice.core.pipeline.BatchQueue.Name.INFERENCE_GPU, List.of(task.envelope()));
        GpuWorker worker = worker(onnx, new GpuWorker.Settings(64, 1500, 30, 1));
        Thread t = new Thread(worker);
        t.start();
        ItemCounters c = waitForTerminal(8);
        assertTrue(worker.stop(30_000));
        assertNull(c.violation(8), c.toString());
        assertEquals(8, c.delivered(), c.toString());

        String queueUrl = fixture.config.inferenceGpuQueueUrl();
        String found = null;
        long deadline = System.currentTimeMillis() + 120_000; // a hang guard: the released task becomes visible in 5 s
        while (found == null && System.currentTimeMillis() < deadline) {
            var inQueue = fixture.clients.sqs().receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1)
                    .messageAttributeNames(dev.sluice.core.pipeline.MessageKind.ATTRIBUTE)).messages();
            if (!inQueue.isEmpty()) {
                assertEquals(dev.sluice.core.pipeline.MessageKind.EXECUTION_TASK, GpuWorker.kindOf(inQueue.get(0)));
                found = inQueue.get(0).body();
            }
            var dead = fixture.services.queue().receiveDeadLetters(dev.sluice.core.pipeline.BatchQueue.Name.INFERENCE_GPU, 10);
            if (found == null && !dead.isEmpty()) {
                found = dead.get(0).body();
            }
        }
        assertEquals(dev.sluice.core.Json.write(task), found, "the task was kept, in the queue or its DLQ");
    }

    /**
     * batchSize 1 on the GPU pool: a dynamic batch of up to 256 one-item messages. On old main its commit was one
     * TransactWriteItems of over 500 actions (DynamoDB takes 100), refused on every attempt: all 300 items ended
     * failedPredict. Now the commit is split in transactions within the limits and every item is delivered. 128 items
     * (over 2 actions each) are enough for a dynamic batch whose commit is over 100 actions; LoadTest runs 2,560.
     */
    @Test
    void oneHundredTwentyEightOneItemBatches_inOneDynamicBatch_areAllDelivered() throws Exception {
        int items = 128;
        enqueue(items, 1);
        GpuWorker worker = worker(counting(onnx, new CountDownLatch(0), new CountDownLatch(0)),
                new GpuWorker.Settings(256, 1500, 60, 1));
        Thread t = new Thread(worker);
        t.start();
        ItemCounters c = waitForTerminal(items, 600_000); // MobileNet predictions on a busy CPU
        assertTrue(worker.stop(30_000));
        assertNull(c.violation(items), c.toString());
        assertEquals(items, c.delivered(), c.toString());
        assertEquals(0, c.failedPredict(), c.toString());
        assertTrue(tensorSizes.stream().anyMatch(n -> n > 100), "dynamic batches of over 100 one-item messages: " + tensorSizes);
        assertEquals(JobState.Finished, fixture.services.jobStore().get(HandlerFixture.JOB).orElseThrow().status().overview());
    }

    @org.junit.jupiter.api.Test
    void busyLine_reportsModelBusyOverWallTime() {
        assertEquals("64 items: model busy 412 ms of 530 ms wall (78%)",
                GpuWorker.busyLine(64, 412_000_000L, 530_000_000L));
    }
}
