package dev.sluice.function.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.inference.CoalescingPredictor;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.Compute;
import dev.sluice.execution.Execution;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.local.Samples;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image rows are batched across the files a task holds (issue 27 item 1), on a real task worker: ElasticMQ, the
 * execution store on DynamoDB Local, the files, photos and outputs on S3Mock, the sample classifier on ONNX Runtime
 * behind a counting predictor. Three files of image rows (real JPEGs, a text file named .jpg, a missing key) run at
 * once: their batches share model calls, and every row's prediction and error is the one the file gets alone. A drain
 * in the middle of a shared call still stops each file at its batch boundary, handing it back unsettled.
 */
class TaskWorkerImageRowsTest {
    static final String IN = "xbatch-in";
    static final String OUT = "xbatch-out";
    static final int SLOTS = 3;
    static final int BATCH = 2;
    /** Each file's rows (keys of the items bucket), each file's first batch two real photos. */
    static final List<List<String>> FILES = List.of(
            List.of("goldfish.jpg", "squirrel_cls.jpg", "not-an-image.jpg", "dog.jpg", "missing.jpg", "goldfish.jpg", "squirrel_cls.jpg"),
            List.of("squirrel_cls.jpg", "dog.jpg", "goldfish.jpg", "missing.jpg", "not-an-image.jpg", "dog.jpg", "goldfish.jpg"),
            List.of("dog.jpg", "goldfish.jpg", "squirrel_cls.jpg", "not-an-image.jpg", "missing.jpg", "squirrel_cls.jpg", "dog.jpg"));

    static final String NOT_AN_IMAGE = "<html>not a photo</html>";

    final HandlerFixture fixture = new HandlerFixture();
    final OnnxPredictor onnx = new OnnxPredictor(m -> fixture.services.objects().read(m.objectKey()), 2);
    final List<Integer> callSizes = new CopyOnWriteArrayList<>();
    /** When set, the next model call waits for it (the model held busy while the other files' batches queue). */
    final AtomicReference<CountDownLatch> holdNext = new AtomicReference<>();
    final Predictor counting = (model, inputs) -> {
        callSizes.add(inputs.size());
        CountDownLatch hold = holdNext.getAndSet(null);
        if (hold != null) {
            await(hold);
        }
        return onnx.predict(model, inputs);
    };
    final CoalescingPredictor coalescing = new CoalescingPredictor(counting, TaskWorker.IMAGE_ROWS);
    final String queue = fixture.clients.sqs().createQueue(b -> b.queueName("xbatch-tasks-" + System.nanoTime()))
            .queueUrl();
    final List<TaskWorker> workers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (holding != null) {
            holding.countDown();
        }
        for (TaskWorker w : workers) {
            w.drain(30_000);
        }
        fixture.clients.sqs().deleteQueue(b -> b.queueUrl(queue));
        onnx.close();
        fixture.close();
    }

    @Test
    void filesOfImageRowsOnOneWorker_shareModelCalls_eachRowAsAlone_andADrainStopsEachFileAtItsBatchBoundary()
            throws Exception {
        Model model = fixture.readyModel();
        Execution e = execution(model);
        for (int f = 0; f < FILES.size(); f++) {
            String body = Json.write(ExecutionTask.file(HandlerFixture.PROJECT, e.id(), f, "f" + f + ".csv"));
            fixture.clients.sqs().sendMessage(b -> b.queueUrl(queue).messageBody(body));
        }

        // a worker takes the three files; the model is held on its first call until every file's first batch is in
        // it or waiting for it; SIGTERM then, while the model runs
        holdFirstCall(model);
        TaskWorker draining = start();
        awaitHeld();
        var drained = Thread.ofPlatform().start(() -> {
            try {
                draining.drain(120_000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        waitFor(draining::isDraining, "the drain to begin");
        release();
        drained.join();
        assertEquals(FILES.size() * BATCH, callSizes.stream().mapToInt(Integer::intValue).sum(),
                "each file ran its first batch and stopped at the boundary: " + callSizes);
        assertTrue(callSizes.size() < FILES.size(), "three files' batches, fewer model calls: " + callSizes);
        assertTrue(fixture.services.executionStore().settledFiles(e.id(), 0, FILES.size()).isEmpty(),
                "nothing settled: each file was handed back");
        assertEquals(0, outputs(), "no output written (each upload aborted)");
        waitFor(() -> fixture.queueDepth(queue) == FILES.size(), "the three files back in the queue");

        // a new worker runs the three files to their end, their batches sharing calls again
        callSizes.clear();
        holdFirstCall(model);
        start();
        awaitHeld();
        release();
        waitFor(() -> fixture.services.executionStore().settledFiles(e.id(), 0, FILES.size()).size() == FILES.size(),
                "the three files to settle");

        int alone = 0;
        for (int f = 0; f < FILES.size(); f++) {
            List<String> keys = FILES.get(f);
            Execution.FileReport report = fixture.services.executionStore().settledFiles(e.id(), f, f + 1).get(0);
            assertEquals(Execution.FileState.Finished, report.status(), report.toString());
            assertEquals(keys.size(), report.rows());
            assertEquals(2, report.failedRows(), "the text file and the missing key of f" + f);
            List<JsonNode> rows = output("f" + f + ".ndjson");
            assertEquals(keys.size(), rows.size());
            for (int from = 0; from < keys.size(); from += BATCH) {
                // what the file alone sends for this batch: its fetched rows, in order, as one call
                List<Predictor.Input> inputs = new ArrayList<>();
                for (int r = from; r < Math.min(keys.size(), from + BATCH); r++) {
                    if (!keys.get(r).equals("missing.jpg")) {
                        inputs.add(new Predictor.Input(r, bytes(keys.get(r))));
                    }
                }
                alone += inputs.isEmpty() ? 0 : 1;
                for (Predictor.Output o : inputs.isEmpty() ? List.<Predictor.Output>of() : onnx.predict(model, inputs)) {
                    JsonNode row = rows.get((int) o.index());
                    assertEquals(url(keys.get((int) o.index())), row.path("url").asText());
                    if (o.failedStage() == null) {
                        assertEquals(Json.write(o.prediction()), row.path("prediction").asText(), "f" + f + " row " + o.index());
                        assertTrue(row.path("error").isNull(), row.toString());
                    } else {
                        assertTrue(row.path("prediction").isNull(), row.toString());
                        assertEquals(o.reason(), row.path("error").asText(), "the failed image stays that row's error");
                    }
                }
            }
            int missing = keys.indexOf("missing.jpg");
            assertTrue(rows.get(missing).path("prediction").isNull());
            assertTrue(rows.get(missing).path("error").asText().startsWith("gather."), rows.get(missing).toString());
        }
        assertTrue(callSizes.size() < alone, callSizes.size() + " model calls for " + alone + " batches: " + callSizes);
        Execution.Status end = fixture.services.executionStore().get(HandlerFixture.PROJECT, e.id()).orElseThrow().status();
        assertEquals(Execution.State.Finished, end.overview(), end.toString());
        assertEquals(List.of(3L, 0L, 21L, 6L), List.of(end.finishedFiles(), end.failedFiles(), end.rows(), end.failedRows()),
                "each file counted once, the drained run not at all");
    }

    private Model heldModel;
    private CountDownLatch holding;

    /** Holds the model's next call until {@link #release}. */
    private void holdFirstCall(Model model) {
        heldModel = model;
        holding = new CountDownLatch(1);
        holdNext.set(holding);
    }

    /** Waits until every file's first batch is in the held call or waiting for the model. */
    private void awaitHeld() throws InterruptedException {
        waitFor(() -> callSizes.size() == 1 && callSizes.get(0) + coalescing.waitingInputs(heldModel)
                == FILES.size() * BATCH, "every file's first batch in the held model call or waiting for it");
    }

    private void release() {
        holding.countDown();
    }

    private static byte[] bytes(String key) {
        return key.equals("not-an-image.jpg") ? NOT_AN_IMAGE.getBytes(StandardCharsets.UTF_8)
                : Samples.bytes(Samples.image(key));
    }

    /** Every file's output rows, as JSON. */
    private List<JsonNode> output(String name) {
        String text = fixture.clients.s3().getObjectAsBytes(b -> b.bucket(HandlerFixture.EXECUTIONS_BUCKET)
                .key(OUT + "/" + name)).asUtf8String();
        return text.lines().filter(l -> !l.isBlank()).map(Json::tree).toList();
    }

    private int outputs() {
        return fixture.clients.s3().listObjectsV2(b -> b.bucket(HandlerFixture.EXECUTIONS_BUCKET).prefix(OUT + "/"))
                .keyCount();
    }

    private TaskWorker start() {
        TaskWorker worker = new TaskWorker(fixture.clients.sqs(), Map.of(BatchQueue.Name.CPU_TASKS, queue),
                fixture.services.executionRunner(onnx, coalescing, new dev.sluice.tables.Tables(),
                        TaskWorker.filesAtOnce(SLOTS)),
                fixture.services.executionStore(), new TaskWorker.Settings(SLOTS, 60, 1), Clock.SYSTEM,
                "worker-" + workers.size());
        workers.add(worker);
        Thread.ofPlatform().daemon().name("task-worker-" + workers.size()).start(worker);
        return worker;
    }

    /** A Running execution of the three files on the CPU pool, compute.tasks 3, image batches of 2 rows. */
    private Execution execution(Model model) {
        fixture.itemsBucket();
        fixture.executionsBucket();
        var s3 = fixture.clients.s3();
        for (String photo : List.of("goldfish.jpg", "squirrel_cls.jpg", "dog.jpg")) {
            s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("xbatch/" + photo),
                    RequestBody.fromBytes(Samples.bytes(Samples.image(photo))));
        }
        s3.putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("xbatch/not-an-image.jpg"),
                RequestBody.fromString(NOT_AN_IMAGE));
        for (int i = 0; i < FILES.size(); i++) {
            int f = i;
            StringBuilder csv = new StringBuilder("url\n");
            FILES.get(f).forEach(key -> csv.append(url(key)).append('\n'));
            s3.putObject(b -> b.bucket(HandlerFixture.EXECUTIONS_BUCKET).key(IN + "/f" + f + ".csv"),
                    RequestBody.fromString(csv.toString()));
        }
        long now = System.currentTimeMillis();
        var spec = new Execution.Spec(model.id(), model.status().checksum(),
                new Folder(HandlerFixture.EXECUTIONS_BUCKET, IN), new Folder(HandlerFixture.EXECUTIONS_BUCKET, OUT),
                FileType.CSV, FileType.NDJSON, 0, 0, SLOTS, Map.of("imageColumn", "url", "batchSize", "" + BATCH),
                null, null, null, null, null, null,
                new Compute(Compute.Target.CpuPool, "local", Compute.PurchaseOption.onDemand, SLOTS));
        var e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, HandlerFixture.PROJECT, spec,
                new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now);
        fixture.services.executionStore().create(e);
        assertTrue(fixture.services.executionStore().startRunning(HandlerFixture.PROJECT, e.id(), FILES.size(), 0, now));
        return e;
    }

    private static String url(String key) {
        return "s3://" + HandlerFixture.ITEMS_BUCKET + "/xbatch/" + key;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES)) {
                throw new AssertionError("the test never released the model");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.currentTimeMillis() + 120_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > until) {
                throw new AssertionError("waited 2 min for " + what + " (model calls " + callSizes + ")");
            }
            Thread.sleep(10);
        }
    }
}
