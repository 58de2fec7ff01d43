package dev.sluice.core.inference;

import dev.sluice.core.model.Model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Batches image rows across the files a task pool worker runs at once (issue 27 item 1): concurrent
 * {@link #predict} calls for the same model (same project, model id and build) become one call of the predictor it
 * wraps, so many small files still give the model full batches. A model runs one coalesced call at a time per model;
 * the calls that arrive meanwhile wait for it in arrival order and go together into the next one.
 *
 * <p>The rules:
 * <ul>
 *   <li>A call holds at most {@link BatchWindow#maxItems()} inputs: whole callers' lists, first come first taken, never
 *   one caller's list split. A list of {@code maxItems} or more goes to the model on its own at once. So a coalesced
 *   call holds no more than the largest call a single file sends: memory stays what it was (the bytes were held by
 *   the callers anyway; the decoded tensor is one call's).</li>
 *   <li>When the model is idle, the first caller waits at most {@link BatchWindow#maxWaitMillis()} for companions
 *   (less once the batch is full), then runs with what it has: a caller alone waits that long and no more, it never
 *   waits for a companion that does not come.</li>
 *   <li>Each caller gets exactly its own outputs, with its own indices, in its own order, its own failures included;
 *   a call that throws throws in every caller whose inputs it held. Inputs of two projects never share a call
 *   (the key holds the project; model ids are a project's own anyway).</li>
 * </ul>
 * Without companions (one file at a time, the Lambda path) it is the wrapped predictor plus at most one window.
 */
public final class CoalescingPredictor implements Predictor {
    private final Predictor delegate;
    private final BatchWindow window;
    /** One lane per model in use; removed when its last caller leaves, so the map holds only models in flight. */
    private final Map<Key, Lane> lanes = new ConcurrentHashMap<>();
    private final AtomicLong modelCalls = new AtomicLong();

    /**
     * @param delegate the predictor that runs the model (one tensor per call)
     * @param window   {@code maxItems}: the most inputs of one coalesced call, the largest a single caller sends
     *                 (an execution's image batch, 64); {@code maxWaitMillis}: the longest an idle model's first
     *                 caller waits for companions, a few ms
     */
    public CoalescingPredictor(Predictor delegate, BatchWindow window) {
        this.delegate = delegate;
        this.window = window;
    }

    /** The model calls made through this predictor so far (each coalesced call once). */
    public long modelCalls() {
        return modelCalls.get();
    }

    /** The inputs waiting for the model of {@code model}'s lane now (a gauge; 0 for a model not in use). */
    public int waitingInputs(Model model) {
        Lane lane = lanes.get(Key.of(model));
        if (lane == null) {
            return 0;
        }
        lane.lock.lock();
        try {
            return lane.waitingItems;
        } finally {
            lane.lock.unlock();
        }
    }

    @Override
    public long modelBusyNanos() {
        return delegate.modelBusyNanos();
    }

    @Override
    public List<Output> predict(Model model, List<Input> inputs) {
        if (inputs.isEmpty()) {
            return List.of();
        }
        if (inputs.size() >= window.maxItems()) {
            modelCalls.incrementAndGet();
            return delegate.predict(model, inputs);
        }
        Key key = Key.of(model);
        Lane lane = lanes.compute(key, (k, l) -> {
            Lane joined = l == null ? new Lane() : l;
            joined.users++;
            return joined;
        });
        try {
            return lane.predict(model, new Request(inputs));
        } finally {
            lanes.compute(key, (k, l) -> --l.users == 0 ? null : l);
        }
    }

    private record Key(String projectId, String modelId, String build) {
        static Key of(Model model) {
            return new Key(model.projectId(), model.id(), model.status() == null ? null : model.status().checksum());
        }
    }

    /** One caller's inputs and, once its call ran, its outputs or the call's failure. Guarded by its lane's lock. */
    private static final class Request {
        final List<Input> inputs;
        List<Output> outputs;
        Throwable failure;
        boolean done;

        Request(List<Input> inputs) {
            this.inputs = inputs;
        }
    }

    private final class Lane {
        final ReentrantLock lock = new ReentrantLock();
        /** Signalled when a request arrives, a call ends, or a call's requests are done. */
        final Condition changed = lock.newCondition();
        final ArrayDeque<Request> waiting = new ArrayDeque<>();
        int waitingItems;
        /** A caller leads a call (forming or running it): the model's one call at a time. */
        boolean busy;
        /** Callers inside {@link #predict} (guarded by the lanes map's compute). */
        int users;

        List<Output> predict(Model model, Request mine) {
            boolean interrupted = false;
            lock.lock();
            try {
                waiting.add(mine);
                waitingItems += mine.inputs.size();
                changed.signalAll(); // a forming leader may now be full
                while (!mine.done) {
                    if (busy) {
                        try {
                            changed.await();
                        } catch (InterruptedException e) {
                            interrupted = true; // the request is queued: it is answered before the caller goes
                        }
                        continue;
                    }
                    busy = true;
                    long first = System.nanoTime();
                    long waited;
                    while (!window.closed(waitingItems, waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first))) {
                        try {
                            changed.await(window.maxWaitMillis() - waited, TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    List<Request> taken = take();
                    lock.unlock();
                    try {
                        run(model, taken);
                    } finally {
                        lock.lock();
                        busy = false;
                        changed.signalAll();
                    }
                }
            } finally {
                lock.unlock();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (mine.failure instanceof RuntimeException e) {
                throw e;
            }
            if (mine.failure instanceof Error e) {
                throw e;
            }
            return mine.outputs;
        }

        /** The waiting requests from the first, whole, while they fit in one call (the first always does). */
        private List<Request> take() {
            List<Request> taken = new ArrayList<>();
            int items = 0;
            while (!waiting.isEmpty() && (taken.isEmpty() || items + waiting.peek().inputs.size() <= window.maxItems())) {
                Request r = waiting.poll();
                items += r.inputs.size();
                taken.add(r);
            }
            waitingItems -= items;
            return taken;
        }

        /**
         * One model call over the requests' inputs, renumbered by position; each output goes back to its request
         * under its caller's index. Called without the lock; answers the requests under it.
         */
        private void run(Model model, List<Request> taken) {
            List<Input> all = new ArrayList<>();
            for (Request r : taken) {
                for (Input in : r.inputs) {
                    all.add(new Input(all.size(), in.bytes()));
                }
            }
            Output[] byPosition = new Output[all.size()];
            Throwable failure = null;
            try {
                modelCalls.incrementAndGet();
                for (Output o : delegate.predict(model, all)) {
                    int p = (int) o.index();
                    if (o.index() < 0 || o.index() >= all.size() || byPosition[p] != null) {
                        throw new IllegalStateException("the predictor answered input " + o.index() + " of "
                                + all.size() + " twice or out of range");
                    }
                    byPosition[p] = o;
                }
                for (int p = 0; p < byPosition.length; p++) {
                    if (byPosition[p] == null) {
                        throw new IllegalStateException("the predictor left input " + p + " of " + all.size()
                                + " unanswered");
                    }
                }
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            lock.lock();
            try {
                int p = 0;
                for (Request r : taken) {
                    if (failure == null) {
                        List<Output> outputs = new ArrayList<>(r.inputs.size());
                        for (Input in : r.inputs) {
                            Output o = byPosition[p++];
                            outputs.add(new Output(in.index(), o.prediction(), o.failedStage(), o.reason(),
                                    o.preprocessMs(), o.predictMs()));
                        }
                        r.outputs = outputs;
                    }
                    r.failure = failure;
                    r.done = true;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
