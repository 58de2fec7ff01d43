package dev.sluice.core.inference;

import dev.sluice.core.model.Model;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The files of a task pool worker share model calls: callers that wait while the model runs go to it together, each
 * getting exactly its own outputs (its indices, its order, its failures), never more than a file's own batch per call,
 * never two projects' inputs in one call. No timing is asserted: the model is held busy by a latch and the test waits
 * for the callers to be queued.
 */
class CoalescingPredictorTest {
    static final Model M1 = model("proj_one", "model_a");
    static final Model M2 = model("proj_two", "model_a");

    /** Answers each input with its bytes as text; an input whose text starts with "bad" fails to process. */
    final List<List<Predictor.Input>> calls = new CopyOnWriteArrayList<>();
    final List<String> callProjects = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean holdFirst = true;
    /** The model call (1-based) that throws; 0: none. */
    volatile int throwOnCall;
    final Predictor model = (m, inputs) -> {
        calls.add(List.copyOf(inputs));
        callProjects.add(m.projectId());
        if (holdFirst && calls.size() == 1) {
            await(release);
        }
        if (calls.size() == throwOnCall) {
            throw new IllegalStateException("the session failed");
        }
        return inputs.stream().map(in -> {
            String text = new String(in.bytes(), StandardCharsets.UTF_8);
            return text.startsWith("bad") ? new Predictor.Output(in.index(), null, Predictor.PROCESS, "not an image: "
                    + text, 0, 0) : new Predictor.Output(in.index(), "saw " + text, null, null, 0, 0);
        }).toList();
    };
    final ExecutorService files = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        release.countDown();
        files.shutdownNow();
    }

    @Test
    void filesThatCallWhileTheModelRuns_goToItAsOneCall_eachGettingExactlyItsOwnOutputs() throws Exception {
        CoalescingPredictor coalescing = new CoalescingPredictor(model, new BatchWindow(64, 5));
        Future<List<Predictor.Output>> first = files.submit(() -> coalescing.predict(M1, inputs("a", 10)));
        waitFor(() -> calls.size() == 1, "the first file's call to reach the model");
        List<Future<List<Predictor.Output>>> others = new ArrayList<>();
        for (String file : List.of("b", "c", "d")) {
            others.add(files.submit(() -> coalescing.predict(M1, inputs(file, 12))));
        }
        waitFor(() -> coalescing.waitingInputs(M1) == 36, "three files to wait for the model");
        release.countDown();

        check(first.get(), "a", 10);
        for (int f = 0; f < 3; f++) {
            check(others.get(f).get(), List.of("b", "c", "d").get(f), 12);
        }
        assertEquals(2, coalescing.modelCalls(), "4 files' calls, 2 model calls");
        assertEquals(List.of(10, 36), calls.stream().map(List::size).toList());
        assertEquals(IntStream.range(0, 36).asLongStream().boxed().toList(),
                calls.get(1).stream().map(Predictor.Input::index).toList(), "one tensor, numbered by position");
    }

    @Test
    void aCoalescedCall_holdsNoMoreThanOneFilesBatch_andNeverSplitsAFilesList() throws Exception {
        CoalescingPredictor coalescing = new CoalescingPredictor(model, new BatchWindow(16, 5));
        Future<List<Predictor.Output>> first = files.submit(() -> coalescing.predict(M1, inputs("a", 4)));
        waitFor(() -> calls.size() == 1, "the first call to reach the model");
        Future<List<Predictor.Output>> b = files.submit(() -> coalescing.predict(M1, inputs("b", 10)));
        waitFor(() -> coalescing.waitingInputs(M1) == 10, "b to wait");
        Future<List<Predictor.Output>> c = files.submit(() -> coalescing.predict(M1, inputs("c", 10)));
        waitFor(() -> coalescing.waitingInputs(M1) == 20, "c to wait");
        Future<List<Predictor.Output>> big = files.submit(() -> coalescing.predict(M1, inputs("big", 16)));
        big.get(); // a full batch goes to the model on its own at once, even while the lane is busy
        release.countDown();

        check(first.get(), "a", 4);
        check(b.get(), "b", 10);
        check(c.get(), "c", 10);
        check(big.get(), "big", 16);
        assertTrue(calls.stream().allMatch(call -> call.size() <= 16), "no call over the window's 16");
        assertEquals(List.of(4, 16, 10, 10), calls.stream().map(List::size).toList(),
                "b and c together are 20: each went alone, in arrival order");
    }

    @Test
    void aFileAlone_isAnsweredWithoutCompanions_andAFullBatchGoesStraightThrough() {
        holdFirst = false;
        CoalescingPredictor coalescing = new CoalescingPredictor(model, new BatchWindow(8, 5));
        check(coalescing.predict(M1, inputs("a", 3)), "a", 3);
        check(coalescing.predict(M1, inputs("b", 8)), "b", 8);
        check(coalescing.predict(M1, inputs("c", 20)), "c", 20);
        assertEquals(List.of(), coalescing.predict(M1, List.of()));
        assertEquals(3, coalescing.modelCalls());
        assertEquals(0, coalescing.waitingInputs(M1));
    }

    @Test
    void twoProjectsInputs_neverShareACall_norWaitForEachOther() throws Exception {
        CoalescingPredictor coalescing = new CoalescingPredictor(model, new BatchWindow(64, 5));
        Future<List<Predictor.Output>> one = files.submit(() -> coalescing.predict(M1, inputs("one", 5)));
        waitFor(() -> calls.size() == 1, "project one's call to reach the model");
        // project two's model of the same id: another lane, answered while project one's call still runs
        check(files.submit(() -> coalescing.predict(M2, inputs("two", 5))).get(1, TimeUnit.MINUTES), "two", 5);
        assertFalse(one.isDone());
        release.countDown();
        check(one.get(), "one", 5);
        assertEquals(List.of("proj_one", "proj_two"), callProjects);
    }

    @Test
    void aModelCallThatThrows_throwsInEveryFileItHeld_andTheNextCallRuns() throws Exception {
        CoalescingPredictor coalescing = new CoalescingPredictor(model, new BatchWindow(64, 5));
        Future<List<Predictor.Output>> first = files.submit(() -> coalescing.predict(M1, inputs("a", 2)));
        waitFor(() -> calls.size() == 1, "the first call to reach the model");
        Future<List<Predictor.Output>> b = files.submit(() -> coalescing.predict(M1, inputs("b", 2)));
        Future<List<Predictor.Output>> c = files.submit(() -> coalescing.predict(M1, inputs("c", 2)));
        waitFor(() -> coalescing.waitingInputs(M1) == 4, "b and c to wait");
        throwOnCall = 2;
        release.countDown();

        check(first.get(), "a", 2);
        for (Future<List<Predictor.Output>> held : List.of(b, c)) {
            var thrown = assertThrows(java.util.concurrent.ExecutionException.class, held::get);
            assertEquals("the session failed", thrown.getCause().getMessage());
        }
        assertEquals(List.of(2, 4), calls.stream().map(List::size).toList(), "b and c shared the call that threw");
        check(coalescing.predict(M1, inputs("d", 3)), "d", 3);
        assertEquals(0, coalescing.waitingInputs(M1));
    }

    private static void check(List<Predictor.Output> outputs, String file, int n) {
        assertEquals(n, outputs.size());
        for (int i = 0; i < n; i++) {
            Predictor.Output o = outputs.get(i);
            assertEquals(i, o.index(), "the caller's own index, in its order");
            String text = file + "-" + i;
            if (i % 5 == 3) {
                assertEquals(Predictor.PROCESS, o.failedStage(), "row " + i + " of " + file + " stays failed");
                assertEquals("not an image: bad-" + text, o.reason());
            } else {
                assertEquals("saw " + text, o.prediction());
            }
        }
    }

    /** n inputs indexed 0..n-1 (every caller uses the same indices), every fifth from the fourth not an image. */
    private static List<Predictor.Input> inputs(String file, int n) {
        return IntStream.range(0, n).mapToObj(i -> new Predictor.Input(i, ((i % 5 == 3 ? "bad-" : "") + file + "-" + i)
                .getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static Model model(String project, String id) {
        return new Model(id, Model.OBJECT, "classifier", project, Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.IMAGENET, List.of("cat", "dog"), null,
                0, 0).withStatus(new Model.Status(Model.State.Ready, null, "build-1", 1L, null), 0);
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

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.currentTimeMillis() + 120_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > until) {
                throw new AssertionError("waited 2 min for " + what);
            }
            Thread.sleep(5);
        }
    }
}
