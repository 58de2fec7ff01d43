package dev.sluice.function.gpu;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.core.pipeline.Routing;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionRunner;
import dev.sluice.execution.ExecutionStore;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task pool's consumer of executions' file tasks (issue 27): long-polls its pool queues (one per purchase option),
 * runs up to {@code slots} files at once through {@link ExecutionRunner} (the same file-task entry point as the Lambda
 * function), keeps each message invisible while its file runs, deletes it when the file is settled.
 *
 * <p>{@code compute.tasks} bounds an execution's files in flight across every worker: before a file runs, the worker
 * leases the execution's slot {@code index % tasks} ({@link ExecutionStore#takeSlot}, one conditional write, renewed
 * with the message's visibility, freed when the file ends). A slot held by another worker leaves the message to come
 * back later.
 *
 * <p><b>Fair shares between projects.</b> A project runs at most {@code slots} files on a worker, and the worker runs
 * {@code slots + 1}: the one slot more is for another project's file, so a project whose long files (or whose
 * {@code compute.tasks} of 1,000) fill every slot never makes another project's file wait for one of them to end.
 * A file of a project that already holds {@code slots} is deferred at once: sent again as a new message,
 * {@link #BUSY_RETRY_SECONDS} later, and the received one deleted, so waiting for its project's turn spends none of
 * the queue's receives (a message received {@code maxReceiveCount} times goes to the DLQ: handed back with a
 * visibility change, a file waiting behind its own project's long files would be dead-lettered and failed). The worker
 * then pauses {@link #REFUSED_PAUSE_MILLIS} before it receives again, so a worker saturated by one project asks SQS
 * about once a second, not in a loop. On AWS the pool queues are SQS fair
 * queues (the project is each message's MessageGroupId), so the receive of that spare slot returns another project's
 * waiting file before the busy project's backlog; ElasticMQ ({@code sluice local}) receives in arrival order.
 *
 * <p><b>Image rows across files.</b> The files in hand send their image rows through one
 * {@link dev.sluice.core.inference.CoalescingPredictor} ({@link #IMAGE_ROWS}): the calls of several files for the same
 * model (same project, model id and build) go to the model as one batch of up to a file's largest, each file getting
 * exactly its own predictions and errors back, so many small files still fill the model's batches.
 *
 * <p>{@link #drain()} (SIGTERM from ECS, which is also how ECS passes on a Fargate Spot or EC2 Spot interruption
 * notice) stops receiving, and every file in hand stops at its next batch boundary: its message is made visible at
 * once (visibility 0) and nothing of the file was written or settled, so another task runs the file again from its
 * start and it is counted once.
 *
 * <p>Each settled file is logged with the process's heap peak so far ({@link HeapPeak}, MiB): the bound a file
 * several times the heap is checked against.
 */
public final class TaskWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskWorker.class);
    /** How long a busy slot is waited for in hand before the message goes back (a successor sent as its slot frees). */
    static final long SLOT_WAIT_MILLIS = 3_000;
    /** How long a message whose slot another worker holds stays hidden before it is tried again. */
    static final int BUSY_RETRY_SECONDS = 10;
    /** How long the receive loop waits after handing back a file of a project that holds its share of the slots. */
    static final long REFUSED_PAUSE_MILLIS = 1_000;

    /**
     * How the image rows of the files in hand share model calls ({@link dev.sluice.core.inference.CoalescingPredictor}):
     * up to a file's own largest batch ({@link ExecutionRunner#IMAGE_BATCH_ROWS}) per call, an idle model's first
     * caller waiting at most 5 ms for companions (a batch of 64 images takes hundreds).
     */
    static final dev.sluice.core.inference.BatchWindow IMAGE_ROWS =
            new dev.sluice.core.inference.BatchWindow(ExecutionRunner.IMAGE_BATCH_ROWS, 5);

    /** The files a worker of {@code slots} runs at once at most: its slots and one for another project. */
    static int filesAtOnce(int slots) {
        return slots + 1;
    }

    /** What runs a file task: {@link ExecutionRunner#run(ExecutionTask, java.util.function.BooleanSupplier)}. */
    @FunctionalInterface
    interface Files {
        /** @throws ExecutionRunner.Drained when the file stopped at a batch boundary for draining */
        void run(ExecutionTask task, java.util.function.BooleanSupplier draining);
    }

    /**
     * @param slots              files of one project run at once by this worker (one more for another project)
     * @param visibilitySeconds  how long a received message stays hidden; renewed every third of it while its file runs
     * @param pollSeconds        the long poll of an idle worker
     */
    public record Settings(int slots, int visibilitySeconds, int pollSeconds) {
        public static final Settings DEFAULTS = new Settings(Math.max(1, Runtime.getRuntime().availableProcessors()), 120, 10);
    }

    private final SqsClient sqs;
    private final Map<BatchQueue.Name, String> queues;
    private final Files runner;
    private final ExecutionStore store;
    private final Settings settings;
    private final Clock clock;
    private final String workerId;
    private final Semaphore free;
    private final ExecutorService files;
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "task-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    /** Files accepted per project on this worker (received, not yet ended). Guarded by itself. */
    private final Map<String, Integer> byProject = new java.util.HashMap<>();
    private volatile boolean draining;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    /**
     * @param queues   the pool queues this worker takes tasks from (name → URL)
     * @param workerId unique per worker process (the lease holder's prefix)
     */
    public TaskWorker(SqsClient sqs, Map<BatchQueue.Name, String> queues, ExecutionRunner runner, ExecutionStore store,
                      Settings settings, Clock clock, String workerId) {
        this(sqs, queues, runner::run, store, settings, clock, workerId);
    }

    TaskWorker(SqsClient sqs, Map<BatchQueue.Name, String> queues, Files runner, ExecutionStore store,
               Settings settings, Clock clock, String workerId) {
        this.sqs = sqs;
        this.queues = Map.copyOf(queues);
        this.runner = runner;
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.workerId = workerId;
        this.free = new Semaphore(filesAtOnce(settings.slots()));
        HeapPeak.watch();
        this.files = Executors.newFixedThreadPool(filesAtOnce(settings.slots()), r -> {
            Thread t = new Thread(r, "task-file");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void run() {
        try {
            List<Map.Entry<BatchQueue.Name, String>> order = new ArrayList<>(queues.entrySet());
            LOG.info("task-worker: taking files from {} with {} slots", queues.keySet(), settings.slots());
            int next = 0;
            while (!draining) {
                free.acquireUninterruptibly();
                if (draining) {
                    free.release();
                    break;
                }
                int available = 1 + free.drainPermits();
                var queue = order.get(next++ % order.size());
                int wait = order.size() == 1 ? settings.pollSeconds() : 1;
                List<Message> received;
                try {
                    received = sqs.receiveMessage(b -> b.queueUrl(queue.getValue())
                            .maxNumberOfMessages(Math.min(10, Math.min(available, settings.slots()))).waitTimeSeconds(wait)
                            .messageAttributeNames(MessageKind.ATTRIBUTE, Envelope.TENANT_ATTRIBUTE)
                            .visibilityTimeout(settings.visibilitySeconds()))
                            .messages();
                } catch (RuntimeException e) {
                    // SQS unreachable for a moment: the worker keeps polling (a dead loop would strand the pool)
                    LOG.warn("task-worker: receiving from {} failed: {}", queue.getKey(), e.toString());
                    free.release(available);
                    sleep(1000);
                    continue;
                }
                free.release(available - received.size());
                boolean refused = false;
                for (Message m : received) {
                    String project = projectOf(m);
                    if (!admit(project)) {
                        // the project holds its share of this worker: the spare slot stays for another project
                        refused = true;
                        try {
                            defer(queue.getValue(), m, project);
                        } catch (RuntimeException e) {
                            LOG.warn("task {} could not be deferred: {}", m.messageId(), e.toString());
                        } finally {
                            free.release();
                        }
                        continue;
                    }
                    files.execute(() -> {
                        try {
                            handle(queue.getKey(), queue.getValue(), m);
                        } catch (RuntimeException e) {
                            LOG.warn("task {} failed outside its file: {}", m.messageId(), e.toString());
                        } finally {
                            leave(project);
                            free.release();
                        }
                    });
                }
                if (refused) {
                    sleep(REFUSED_PAUSE_MILLIS);
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    /** The project a file task names; null when the body is not one (it is handled, towards the DLQ). */
    private static String projectOf(Message m) {
        try {
            return Json.read(m.body(), ExecutionTask.class).projectId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Counts the file to its project unless the project already runs {@code slots} files here. */
    private boolean admit(String project) {
        if (project == null) {
            return true;
        }
        synchronized (byProject) {
            int running = byProject.getOrDefault(project, 0);
            if (running >= settings.slots()) {
                return false;
            }
            byProject.put(project, running + 1);
            return true;
        }
    }

    private void leave(String project) {
        if (project == null) {
            return;
        }
        synchronized (byProject) {
            byProject.merge(project, -1, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /**
     * Drains: receives no more, and each file in hand goes back to its queue at its next batch boundary. Waits up to
     * the timeout for the files in hand to be handed back or finish.
     *
     * @return whether every file in hand ended within the timeout
     */
    public boolean drain(long timeoutMillis) throws InterruptedException {
        draining = true;
        free.release(); // wakes the loop if it waits for a slot
        long until = System.currentTimeMillis() + timeoutMillis;
        stopped.await(timeoutMillis, TimeUnit.MILLISECONDS);
        files.shutdown();
        boolean ended = files.awaitTermination(Math.max(0, until - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        heartbeat.shutdownNow();
        return ended;
    }

    /** Whether {@link #drain} was called (the files in hand stop at their next batch boundary). */
    boolean isDraining() {
        return draining;
    }

    private void handle(BatchQueue.Name name, String url, Message m) {
        var attribute = m.messageAttributes().get(MessageKind.ATTRIBUTE);
        MessageKind kind = Routing.kindOf(name, attribute == null ? null : attribute.stringValue(), m.body());
        ExecutionTask task = null;
        if (kind == MessageKind.EXECUTION_TASK) {
            try {
                task = Json.read(m.body(), ExecutionTask.class);
            } catch (IllegalArgumentException e) {
                task = null;
            }
        }
        if (task == null || !ExecutionTask.FILE.equals(task.step())) {
            LOG.warn("message {} is not a file task; it goes to the DLQ after its retries", m.messageId());
            visibility(url, m, 5);
            return;
        }
        Execution e = store.get(task.projectId(), task.execution()).orElse(null);
        if (e == null || e.status().overview().isTerminal()) {
            runner.run(task, () -> false); // settles nothing twice: a file of an ended execution is recorded skipped
            delete(url, m);
            return;
        }
        int slot = (int) (task.index() % e.spec().compute().tasks());
        String holder = workerId + "/" + m.messageId();
        long lease = settings.visibilitySeconds() * 1000L;
        long waitUntil = clock.nowMillis() + SLOT_WAIT_MILLIS;
        while (!store.takeSlot(e.id(), slot, holder, clock.nowMillis() + lease, clock.nowMillis())) {
            if (draining || clock.nowMillis() >= waitUntil) {
                visibility(url, m, draining ? 0 : BUSY_RETRY_SECONDS);
                return;
            }
            sleep(100);
        }
        ScheduledFuture<?> keep = heartbeat.scheduleAtFixedRate(() -> {
            try {
                visibility(url, m, settings.visibilitySeconds());
                store.takeSlot(e.id(), slot, holder, clock.nowMillis() + lease, clock.nowMillis());
            } catch (RuntimeException ex) {
                LOG.warn("could not extend task {}: {}", m.messageId(), ex.toString());
            }
        }, settings.visibilitySeconds() / 3, settings.visibilitySeconds() / 3, TimeUnit.SECONDS);
        AtomicInteger running = inFlight.computeIfAbsent(e.id(), k -> new AtomicInteger());
        int now = running.incrementAndGet();
        LOG.info("task-worker: started file {} of {} in slot {}; in flight {}", task.index(), e.id(), slot, now);
        try {
            // the file's usage (its task time billed as its pool's, its requests) rides on its settle write, as on
            // Lambda; the 2 SQS requests counted are this message's receive and delete
            try (var usage = dev.sluice.core.usage.UsageMeter.process().open(Map.of(task.usageOwner(), 1L),
                    name == BatchQueue.Name.GPU_TASKS || name == BatchQueue.Name.GPU_SPOT_TASKS
                            ? new dev.sluice.core.usage.UsageMeter.Compute.GpuTask()
                            : new dev.sluice.core.usage.UsageMeter.Compute.CpuTask())) {
                runner.run(task, () -> draining);
            }
            keep.cancel(false);
            delete(url, m);
            LOG.info("task-worker: settled file {} of {}; heap peak {} MiB", task.index(), e.id(), HeapPeak.mebibytes());
        } catch (ExecutionRunner.Drained d) {
            keep.cancel(false);
            visibility(url, m, 0);
            LOG.info("task-worker: handed back file {} of {} (draining)", task.index(), e.id());
        } catch (RuntimeException ex) {
            keep.cancel(false);
            LOG.warn("file {} of {} failed; it will be redelivered: {}", task.index(), e.id(), ex.toString());
            visibility(url, m, 5);
        } finally {
            // also after an Error (an OutOfMemoryError): a heartbeat left running would keep the message hidden and
            // the slot held for ever; cancelled, the message comes back when its visibility runs out and, failing on
            // every attempt, reaches the dead-letter queue, which fails the file
            keep.cancel(false);
            running.decrementAndGet();
            store.releaseSlot(e.id(), slot, holder);
        }
    }

    /**
     * Sends the message again as a new one, {@link #BUSY_RETRY_SECONDS} later, with its attributes and project, then
     * deletes the received one (a crash between the two leaves both: the file is settled once by the ledger).
     */
    private void defer(String url, Message m, String project) {
        sqs.sendMessage(b -> b.queueUrl(url).messageBody(m.body()).messageAttributes(m.messageAttributes())
                .messageGroupId(project).delaySeconds(BUSY_RETRY_SECONDS));
        delete(url, m);
    }

    private void delete(String url, Message m) {
        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
    }

    private void visibility(String url, Message m, int seconds) {
        sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()).visibilityTimeout(seconds));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
