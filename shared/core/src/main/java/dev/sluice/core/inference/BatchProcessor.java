package dev.sluice.core.inference;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.model.Model;
import dev.sluice.core.observe.ContextExecutors;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import dev.sluice.core.observe.Metric;
import dev.sluice.core.observe.MetricDimension;
import dev.sluice.core.observe.Metrics;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Deadline;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.Item;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one batch: gather every item (concurrently), preprocess and predict the gathered ones as one tensor, write
 * the batch's results part, commit counters and log entries once, and hand the predictions to delivery.
 *
 * <p>Order matters for exactly-once accounting: the commit comes before the delivery message, and the delivery
 * message is sent even when the commit finds the batch already committed. A handler that dies after committing
 * and before sending is redelivered, commits nothing twice, and sends the deliveries it owes; the delivery ledger
 * drops a second copy.
 */
public final class BatchProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);

    private final JobStore jobs;
    private final Catalog catalog;
    private final ItemFetcher fetcher;
    private final Predictor predictor;
    private final ObjectStore objects;
    private final dev.sluice.core.delivery.DeliveryPayloads deliveryPayloads;
    private final BatchQueue queue;
    private final Clock clock;
    private final boolean oneTensorPerCall;
    private final dev.sluice.core.job.JobLifecycle lifecycle;
    private final long gatherPatienceMillis;
    private final GatherBudget budget;
    private final Metrics metrics;
    /** Its tasks log with the ids (job, batch) of the batch they work for. */
    private final ExecutorService gatherPool = ContextExecutors.carryingContext(Executors.newVirtualThreadPerTaskExecutor());
    /** Ready models are immutable; cache them per container by id. */
    private final Map<String, Model> models = new ConcurrentHashMap<>();

    /**
     * @param oneTensorPerCall true for the GPU pool: one tensor over all batches of a call (see
     *                         {@link #predictAcrossBatches}); false for Lambda: one tensor per batch, every batch
     *                         gathered at once
     */
    public BatchProcessor(JobStore jobs, Catalog catalog, ItemFetcher fetcher, Predictor predictor,
                          ObjectStore objects, BatchQueue queue, Clock clock, boolean oneTensorPerCall,
                          dev.sluice.core.job.JobLifecycle lifecycle) {
        this(jobs, catalog, fetcher, predictor, objects, queue, clock, oneTensorPerCall, lifecycle,
                GATHER_PATIENCE_MILLIS);
    }

    /**
     * @param gatherPatienceMillis how long a call waits for its batches' items before putting back the batches still
     *                             waiting for a slow host ({@link #GATHER_PATIENCE_MILLIS} by default; the functions
     *                             read {@code SLUICE_GATHER_PATIENCE_MS})
     */
    public BatchProcessor(JobStore jobs, Catalog catalog, ItemFetcher fetcher, Predictor predictor,
                          ObjectStore objects, BatchQueue queue, Clock clock, boolean oneTensorPerCall,
                          dev.sluice.core.job.JobLifecycle lifecycle, long gatherPatienceMillis) {
        this(jobs, catalog, fetcher, predictor, objects, queue, clock, oneTensorPerCall, lifecycle,
                gatherPatienceMillis, GatherBudget.ofHeap());
    }

    /** @param budget the bytes of gathered items this worker holds at once ({@link GatherBudget#ofHeap()}) */
    public BatchProcessor(JobStore jobs, Catalog catalog, ItemFetcher fetcher, Predictor predictor,
                          ObjectStore objects, BatchQueue queue, Clock clock, boolean oneTensorPerCall,
                          dev.sluice.core.job.JobLifecycle lifecycle, long gatherPatienceMillis,
                          GatherBudget budget) {
        this(jobs, catalog, fetcher, predictor, objects, queue, clock, oneTensorPerCall, lifecycle,
                gatherPatienceMillis, budget, Metrics.NONE);
    }

    /**
     * @param metrics told of each batch run: {@link Metric#BATCH_LATENCY}, and {@link Metric#TASK_TIME} per
     *                {@link MetricDimension#TASK} (gather, decode, predict: the mean over the batch's items)
     */
    public BatchProcessor(JobStore jobs, Catalog catalog, ItemFetcher fetcher, Predictor predictor,
                          ObjectStore objects, BatchQueue queue, Clock clock, boolean oneTensorPerCall,
                          dev.sluice.core.job.JobLifecycle lifecycle, long gatherPatienceMillis,
                          GatherBudget budget, Metrics metrics) {
        this.metrics = metrics;
        this.budget = budget;
        if (gatherPatienceMillis <= 0) {
            throw new IllegalArgumentException("gatherPatienceMillis must be positive, is " + gatherPatienceMillis);
        }
        this.gatherPatienceMillis = gatherPatienceMillis;
        this.lifecycle = lifecycle;
        this.oneTensorPerCall = oneTensorPerCall;
        this.jobs = jobs;
        this.catalog = catalog;
        this.fetcher = fetcher;
        this.predictor = predictor;
        this.objects = objects;
        this.deliveryPayloads = new dev.sluice.core.delivery.DeliveryPayloads(objects);
        this.queue = queue;
        this.clock = clock;
    }

    /**
     * Processes the batches of one invocation: all of them are gathered at once and predicted one by one, all
     * outcomes are committed in one transaction, and all deliveries are sent in one SendMessageBatch. Returns, per
     * batch, whether it is done (false: leave it to SQS to redeliver).
     */
    public List<Boolean> process(List<BatchMessage> batches) {
        return process(batches, Deadline.NONE);
    }

    /**
     * {@link #process(List)} within an invocation that is cut off at {@code deadline} (Lambda's timeout): before each
     * batch after the first, when the time left is less than {@link #COMMIT_RESERVE_MILLIS} plus twice the slowest
     * batch of the call so far, the batches not yet run are put back — sent again, at once and unchanged, to the
     * queue they came from — and the call commits what it ran. Without it a call cut off by the timeout commits
     * nothing, and its messages wait for their visibility timeout (6 × the function's timeout) before they run again,
     * to be dead-lettered after 5 such receives (issue 23). Nothing is counted twice: a batch put back is not
     * committed by this call, and the ledger counts whichever copy commits first.
     */
    public List<Boolean> process(List<BatchMessage> batches, Deadline deadline) {
        return dev.sluice.core.Copies.runOnce(batches, b -> b.jobId() + "/" + b.batchId(),
                distinct -> processDistinct(distinct, deadline));
    }

    /**
     * The time a call keeps for what follows its last batch: the commit of its outcomes (one transaction per group of
     * batches), the results parts' PUTs and the deliveries' SendMessageBatch, with the retries of a throttled request.
     */
    public static final long COMMIT_RESERVE_MILLIS = 15_000;

    private List<Boolean> processDistinct(List<BatchMessage> batches, Deadline deadline) {
        // the call's batches hold their items' bytes until it ends: then the budget gets them all back
        try (GatherBudget.Call call = budget.openCall()) {
            return processDistinct(batches, call, deadline);
        }
    }

    private List<Boolean> processDistinct(List<BatchMessage> batches, GatherBudget.Call call, Deadline deadline) {
        Map<String, Optional<Job>> jobsById = new HashMap<>();
        List<Boolean> done = new ArrayList<>(Collections.nCopies(batches.size(), Boolean.FALSE));
        List<Outcome> outcomes = new ArrayList<>();
        if (oneTensorPerCall) {
            predictAcrossBatches(batches, jobsById, done, outcomes, call);
        } else {
            // Every batch is gathered at once (a call holds at most 10): a slow host holds the call for at most one
            // fetch deadline in all, not one per batch queued behind it. Batch i+1 is decoded and preprocessed while
            // the model runs batch i.
            List<Gathering> gathering = gatherLive(batches, jobsById, call);
            long patienceEnd = System.nanoTime() + gatherPatienceMillis * 1_000_000;
            Future<Staged> next = stageAsync(batches.get(0), gathering.get(0), jobsById);
            long slowestMillis = 0;
            for (int i = 0; i < batches.size(); i++) {
                if (i > 0 && deadline.remainingMillis() < COMMIT_RESERVE_MILLIS + 2 * slowestMillis) {
                    if (next != null) {
                        next.cancel(true);
                    }
                    putBack(batches, gathering, i, jobsById, done);
                    break;
                }
                long batchStart = System.nanoTime();
                BatchMessage batch = batches.get(i);
                Gathering current = gathering.get(i);
                Future<Staged> staging = next;
                next = i + 1 < batches.size() ? stageAsync(batches.get(i + 1), gathering.get(i + 1), jobsById) : null;
                try (LogScope scope = scopeOf(batch, jobsById)) {
                    Optional<Job> job = jobsById.computeIfAbsent(batch.jobId(), jobs::get);
                    if (job.isEmpty()) {
                        LOG.warn("batch {} of unknown job {} dropped", batch.batchId(), batch.jobId());
                        current.cancel();
                        staging.cancel(true);
                        done.set(i, true);
                        continue;
                    }
                    if (deferIfSlow(batch, job.get(), current, gathering, patienceEnd)) {
                        staging.cancel(true);
                        done.set(i, true);
                        continue;
                    }
                    Staged staged = join(staging);
                    Model model = job.get().status().overview().isTerminal() ? null : model(job.get());
                    outcomes.add(run(job.get(), batch, i, staged.gathered(), inputs -> staged.prepared() != null
                            ? staged.prepared().predict() : predictor.predict(model, inputs)));
                } catch (RuntimeException e) {
                    LOG.warn("batch {} of job {} failed; SQS will redeliver it", batch.batchId(), batch.jobId(), e);
                }
                slowestMillis = Math.max(slowestMillis, (System.nanoTime() - batchStart) / 1_000_000);
            }
        }
        if (outcomes.isEmpty()) {
            return done;
        }
        java.util.Set<Outcome> appliedNow = commitWithParts(outcomes);
        for (Outcome o : outcomes) {
            try (LogScope scope = LogScope.of(LogKey.PROJECT_ID, o.job.projectId()).and(LogKey.JOB_ID, o.job.id())
                    .and(LogKey.BATCH_ID, o.commit.batchId())) {
                ItemCounters d = o.commit.delta();
                LOG.info("batch done: {} predicted, {} failed, {} skipped in {} ms", d.predicted(),
                        d.failedGather() + d.failedProcess() + d.failedPredict(), d.skipped(), o.commit.progress().batchMillis());
            }
        }
        List<Envelope> deliveries = new ArrayList<>();
        for (Outcome o : outcomes) {
            // a batch committed by this call has no delivery committed (its message is sent below, for the first time):
            // only a batch committed before (a redelivery) asks the ledger whether its delivery is done already
            if (o.delivery != null && (appliedNow.contains(o)
                    || !jobs.isCommitted(o.delivery.jobId(), Stage.DELIVERY, o.delivery.ledgerId()))) {
                deliveries.add(deliveryPayloads.toQueueMessage(o.delivery, o.job.projectId()));
            }
        }
        queue.send(BatchQueue.Name.DELIVERY, deliveries);
        outcomes.stream().filter(o -> o.commit.delta().terminal() > 0).map(o -> o.commit.jobId()).distinct()
                .forEach(lifecycle::settle);
        outcomes.forEach(o -> done.set(o.position, true));
        return done;
    }

    /** The batch's latency and the mean time of its items' gather, decode (with preprocessing) and predict tasks. */
    private void emitTimes(long batchMs, List<Gathered> all, List<Predictor.Output> outputs) {
        Map<MetricDimension, String> stage = Map.of(MetricDimension.STAGE, Stage.INFERENCE.wire());
        metrics.emit(stage, Metric.BATCH_LATENCY, batchMs);
        all.stream().mapToDouble(g -> g.ms).average().ifPresent(ms -> metrics.emit(
                Map.of(MetricDimension.STAGE, Stage.INFERENCE.wire(), MetricDimension.TASK, "gather"), Metric.TASK_TIME, ms));
        outputs.stream().filter(o -> o.failedStage() == null || !Predictor.PROCESS.equals(o.failedStage()))
                .mapToDouble(Predictor.Output::preprocessMs).average().ifPresent(ms -> metrics.emit(
                        Map.of(MetricDimension.STAGE, Stage.INFERENCE.wire(), MetricDimension.TASK, "decode"), Metric.TASK_TIME, ms));
        outputs.stream().filter(o -> o.failedStage() == null)
                .mapToDouble(Predictor.Output::predictMs).average().ifPresent(ms -> metrics.emit(
                        Map.of(MetricDimension.STAGE, Stage.INFERENCE.wire(), MetricDimension.TASK, "predict"), Metric.TASK_TIME, ms));
    }

    /**
     * The ids of a batch's log lines: its job, its batch, and its project when the job was read. The lines of the
     * batch's worker tasks carry them too ({@link ContextExecutors}).
     */
    private static LogScope scopeOf(BatchMessage batch, Map<String, Optional<Job>> jobsById) {
        Optional<Job> job = jobsById.get(batch.jobId());
        String project = job == null ? null : job.map(Job::projectId).orElse(null);
        return LogScope.of(LogKey.PROJECT_ID, project).and(LogKey.JOB_ID, batch.jobId()).and(LogKey.BATCH_ID, batch.batchId());
    }

    /**
     * Writes one results part per job and invocation (S3 PUTs cost more than the rest of the orchestration) and
     * commits every outcome in one transaction that names those parts. When a duplicate of one of the batches
     * committed first, the transaction applies nothing: the batches still to commit get parts of their own and are
     * committed again. So a part named by the ledger holds exactly the batches whose commit named it, and no item's
     * result appears in two of them (a part left by a lost attempt is named by no ledger entry; readers use the
     * manifest). Outcomes too many for one transaction are committed in the store's atomic groups, each with parts
     * of its own.
     */
    private java.util.Set<Outcome> commitWithParts(List<Outcome> outcomes) {
        Map<JobStore.StageCommit, Outcome> byCommit = new java.util.IdentityHashMap<>();
        outcomes.forEach(o -> byCommit.put(o.commit, o));
        java.util.Set<Outcome> appliedNow = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (List<JobStore.StageCommit> group : jobs.atomicGroups(outcomes.stream().map(o -> o.commit).toList())) {
            commitGroupWithParts(group.stream().map(byCommit::get).toList(), appliedNow);
        }
        return appliedNow;
    }

    /** Commits the group; the outcomes this call applied (not a duplicate's earlier commit) go into appliedNow. */
    private void commitGroupWithParts(List<Outcome> group, java.util.Set<Outcome> appliedNow) {
        List<Outcome> pending = group;
        while (!pending.isEmpty()) {
            Map<Job, List<Outcome>> byJob = new java.util.LinkedHashMap<>();
            pending.stream().filter(o -> !o.results.isEmpty()).forEach(o -> byJob.computeIfAbsent(o.job, j -> new ArrayList<>()).add(o));
            Map<Outcome, String> partOf = new java.util.IdentityHashMap<>();
            Map<String, String> written = new LinkedHashMap<>();
            Map<String, Job> jobOfPart = new HashMap<>();
            byJob.forEach((job, parts) -> {
                // named by the set of batches it holds, so a retried invocation with the same batches overwrites it;
                // the ledger entry of each batch names its part, which is how a reader tells committed parts from
                // the leftovers of an invocation that died before committing
                String key = dev.sluice.core.ObjectKeys.resultsPart(job.projectId(), job.id(),
                        parts.stream().map(o -> o.commit.batchId()).toList());
                StringBuilder body = new StringBuilder();
                parts.forEach(o -> {
                    body.append(o.results);
                    partOf.put(o, key);
                });
                objects.put(key, body.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
                written.put(key, body.toString());
                jobOfPart.put(key, job);
            });
            List<JobStore.StageCommit> commits = pending.stream().map(o -> o.commit.withResultsPart(partOf.get(o))).toList();
            if (jobs.commitTogether(commits)) {
                appliedNow.addAll(pending);
                // only parts the ledger now names go on to the jobs' destinations (S3Results: exactly once)
                written.forEach((key, ndjson) -> lifecycle.resultsPartCommitted(jobOfPart.get(key), key, ndjson));
                return;
            }
            pending = pending.stream().filter(o -> !jobs.isCommitted(o.commit.jobId(), o.commit.stage(), o.commit.batchId())).toList();
        }
    }

    /**
     * The GPU pool's mode: gather every batch, then run one tensor per model over the items of all of them (a GPU
     * wants large tensors), and split the outputs back to their batches.
     */
    private void predictAcrossBatches(List<BatchMessage> batches, Map<String, Optional<Job>> jobsById,
                                      List<Boolean> done, List<Outcome> outcomes, GatherBudget.Call call) {
        List<Gathering> gathering = gatherLive(batches, jobsById, call);
        long patienceEnd = System.nanoTime() + gatherPatienceMillis * 1_000_000;
        Map<Integer, List<Gathered>> gathered = new HashMap<>();
        Map<Model, List<Integer>> byModel = new java.util.LinkedHashMap<>();
        for (int i = 0; i < batches.size(); i++) {
            BatchMessage batch = batches.get(i);
            try (LogScope scope = scopeOf(batch, jobsById)) {
                Optional<Job> job = jobsById.computeIfAbsent(batch.jobId(), jobs::get);
                if (job.isEmpty()) {
                    gathering.get(i).cancel();
                    done.set(i, true);
                    continue;
                }
                if (deferIfSlow(batch, job.get(), gathering.get(i), gathering, patienceEnd)) {
                    done.set(i, true);
                    continue;
                }
                gathered.put(i, join(gathering.get(i).all));
                if (!job.get().status().overview().isTerminal()) {
                    byModel.computeIfAbsent(model(job.get()), m -> new ArrayList<>()).add(i);
                }
            } catch (RuntimeException e) {
                LOG.warn("batch {} failed; SQS will redeliver it", batch.batchId(), e);
                gathered.remove(i);
            }
        }
        Map<Integer, List<Predictor.Output>> outputsOf = new HashMap<>();
        byModel.forEach((model, positions) -> {
            List<Predictor.Input> all = new ArrayList<>();
            for (int i : positions) {
                all.addAll(inputsOf(gathered.get(i)));
            }
            List<Predictor.Output> outputs = all.isEmpty() ? List.of() : predictor.predict(model, all);
            int from = 0;
            for (int i : positions) {
                int n = inputsOf(gathered.get(i)).size();
                outputsOf.put(i, outputs.subList(from, from + n));
                from += n;
            }
        });
        for (int i = 0; i < batches.size(); i++) {
            if (!gathered.containsKey(i)) {
                continue;
            }
            int position = i;
            Job job = jobsById.get(batches.get(i).jobId()).orElseThrow();
            try (LogScope scope = scopeOf(batches.get(i), jobsById)) {
                outcomes.add(run(job, batches.get(i), i, gathered.get(i), inputs -> outputsOf.get(position)));
            }
        }
    }

    private static List<Predictor.Input> inputsOf(List<Gathered> gathered) {
        return gathered.stream().filter(g -> g.fetched.ok())
                .map(g -> new Predictor.Input(g.item.index(), g.fetched.bytes())).toList();
    }

    private record Outcome(int position, Job job, JobStore.StageCommit commit, String results, DeliveryMessage delivery) {
    }

    /** A batch's items being fetched: the items, each item's fetch, and all of them together. */
    private record Gathering(List<Item> batchItems, List<Future<Gathered>> items, Future<List<Gathered>> all) {
        /** Nothing fetched: the batch of a job that has ended. */
        static final Gathering NONE = new Gathering(List.of(), List.of(),
                java.util.concurrent.CompletableFuture.completedFuture(List.of()));

        /** Stops the fetches (an interrupted fetch cancels its exchange, closing the connection). */
        void cancel() {
            all.cancel(true);
            items.forEach(f -> f.cancel(true));
        }
    }

    /**
     * How long a call waits for its batches' items before putting back the batches still waiting for a host that
     * has sent no item whole (see {@link #deferIfSlow}), so that a slow host does not hold the worker from the
     * other jobs' batches. The default; a processor is given its own (see the constructor).
     */
    public static final long GATHER_PATIENCE_MILLIS = 5_000;
    /** A batch is put back at most this many times; then the call waits for it (each fetch ends by its deadline). */
    static final int MAX_DEFERRALS = 3;
    /** A batch put back comes again after this long. */
    static final int DEFER_SECONDS = 10;

    /**
     * When the batch's items have not all arrived by the call's patience, some of those still missing come from a
     * web host (http/https) that has not sent any item of this call whole yet (a slow host, not merely a busy
     * machine: a host that answers, however slowly, is waited for), and the batch was put back fewer than {@value #MAX_DEFERRALS} times:
     * stops its fetches and sends it again as a new message (delayed {@value #DEFER_SECONDS} s) to the queue it
     * came from, and says so (the caller acknowledges the old message; nothing was committed, the ledger still counts
     * the batch once). False when the batch is gathered, or is to be waited for.
     */
    private boolean deferIfSlow(BatchMessage batch, Job job, Gathering gathering, List<Gathering> call, long patienceEnd) {
        if (batch.timesDeferred() >= MAX_DEFERRALS || job.status().overview().isTerminal()) {
            return false;
        }
        try {
            gathering.all.get(Math.max(0, patienceEnd - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            java.util.Set<String> answering = new java.util.HashSet<>();
            for (Gathering g : call) {
                for (int k = 0; k < g.items.size(); k++) {
                    if (g.items.get(k).isDone() && !g.items.get(k).isCancelled()) {
                        answering.add(dev.sluice.core.net.OutboundGuard.origin(g.batchItems.get(k).url()));
                    }
                }
            }
            boolean stalled = false;
            for (int k = 0; k < gathering.items.size(); k++) {
                String url = gathering.batchItems.get(k).url();
                // web hosts only: s3:// items come from S3 itself, whose client has its own timeouts and retries
                stalled |= !gathering.items.get(k).isDone() && url.regionMatches(true, 0, "http", 0, 4)
                        && !answering.contains(dev.sluice.core.net.OutboundGuard.origin(url));
            }
            if (!stalled) {
                return false;
            }
            gathering.cancel();
            BatchQueue.Name target = job.spec().deployment().effectiveTarget().queue();
            queue.send(target, batch.deferred().envelope().forProject(job.projectId()), DEFER_SECONDS);
            LOG.info("batch {} of job {} put back: its items were slow to arrive", batch.batchId(), batch.jobId());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while gathering", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            return false; // join reports it
        }
    }

    /**
     * Puts back the batches from {@code from} on (see {@link #process(List, Deadline)}): stops their fetches, sends
     * each again unchanged to its job's queue, and marks it done once sent (a send that fails leaves it to SQS). A
     * batch of an unknown job is dropped, as when its turn comes.
     */
    private void putBack(List<BatchMessage> batches, List<Gathering> gathering, int from,
                         Map<String, Optional<Job>> jobsById, List<Boolean> done) {
        for (int k = from; k < batches.size(); k++) {
            gathering.get(k).cancel();
        }
        for (int k = from; k < batches.size(); k++) {
            BatchMessage batch = batches.get(k);
            try (LogScope scope = scopeOf(batch, jobsById)) {
                Optional<Job> job = jobsById.computeIfAbsent(batch.jobId(), jobs::get);
                if (job.isPresent()) {
                    BatchQueue.Name target = job.get().spec().deployment().effectiveTarget().queue();
                    queue.send(target, batch.envelope().forProject(job.get().projectId()), 0);
                    LOG.info("batch {} of job {} put back: not enough of the invocation's time left to run it",
                            batch.batchId(), batch.jobId());
                }
                done.set(k, true);
            } catch (RuntimeException e) {
                LOG.warn("batch {} of job {} not put back; SQS will redeliver it", batch.batchId(), batch.jobId(), e);
            }
        }
    }

    /** A batch's gathered items and their decoding, started as soon as they are gathered (null: not started). */
    private record Staged(List<Gathered> gathered, Predictor.Prepared prepared) {
    }

    /** Waits (on a virtual thread) for the batch's items, then starts decoding them for the job's model. */
    private Future<Staged> stageAsync(BatchMessage batch, Gathering gathering, Map<String, Optional<Job>> jobsById) {
        try (LogScope scope = scopeOf(batch, jobsById)) {
            return stageAsyncInScope(batch, gathering, jobsById);
        }
    }

    private Future<Staged> stageAsyncInScope(BatchMessage batch, Gathering gathering, Map<String, Optional<Job>> jobsById) {
        Model model = null;
        try {
            Optional<Job> job = jobsById.computeIfAbsent(batch.jobId(), jobs::get);
            if (job.isPresent() && !job.get().status().overview().isTerminal()) {
                model = model(job.get());
            }
        } catch (RuntimeException e) {
            LOG.debug("batch {}: job or model not read ahead ({}); read when its turn comes", batch.batchId(), e.toString());
        }
        Model forDecoding = model;
        return gatherPool.submit(() -> {
            List<Gathered> gathered = join(gathering.all);
            List<Predictor.Input> inputs = inputsOf(gathered);
            return new Staged(gathered, forDecoding == null || inputs.isEmpty() ? null
                    : predictor.prepare(forDecoding, inputs));
        });
    }

    /**
     * Starts gathering the batches whose job is still live. The job's state is read first (once per job and call):
     * the batches of a job that was cancelled, timed out, failed or deleted while they waited in the queue are not
     * fetched at all (they end as skipped, or are dropped with an unknown job), so an ended job's backlog costs its
     * hosts nothing and holds the worker only for a job read. A job whose read fails is gathered (its batch fails
     * later and SQS redelivers it).
     */
    private List<Gathering> gatherLive(List<BatchMessage> batches, Map<String, Optional<Job>> jobsById,
                                       GatherBudget.Call call) {
        List<Gathering> gathering = new ArrayList<>(batches.size());
        for (BatchMessage batch : batches) {
            Optional<Job> job;
            try {
                job = jobsById.computeIfAbsent(batch.jobId(), jobs::get);
            } catch (RuntimeException e) {
                job = null; // read again when its turn comes
            }
            boolean ended = job != null && job.map(j -> j.status().overview().isTerminal()).orElse(true);
            try (LogScope scope = scopeOf(batch, jobsById)) {
                gathering.add(ended ? Gathering.NONE : gatherAsync(batch, job == null ? null : job.get(), call));
            }
        }
        return gathering;
    }

    /** @param job the batch's job, or null when it could not be read (its items then get the default limits) */
    private Gathering gatherAsync(BatchMessage batch, Job job, GatherBudget.Call call) {
        String project = job == null ? "" : job.projectId();
        int perHost = job == null ? ItemFetcher.DEFAULT_MAX_CONNECTIONS_PER_HOST : job.spec().effectiveMaxConnectionsPerHost();
        List<Future<Gathered>> items = new ArrayList<>();
        for (Item item : batch.items()) {
            items.add(gatherPool.submit(() -> gather(item, call, project, perHost)));
        }
        return new Gathering(batch.items(), items, gatherPool.submit(() -> {
            List<Gathered> all = new ArrayList<>(items.size());
            for (Future<Gathered> f : items) {
                all.add(join(f));
            }
            return all;
        }));
    }

    private Outcome run(Job job, BatchMessage batch, int position, List<Gathered> all,
                        java.util.function.Function<List<Predictor.Input>, List<Predictor.Output>> predict) {
        long now = clock.nowMillis();
        long startNanos = System.nanoTime();
        if (job.status().overview().isTerminal()) {
            List<LogEntry> skipped = batch.items().stream().map(i -> LogEntry.failure("ItemSkipped", now, i.url(),
                    i.index(), "Skipped", "job.terminal: the job was " + job.status().overview())).toList();
            return new Outcome(position, job, new JobStore.StageCommit(job.id(), Stage.INFERENCE, batch.batchId(),
                    ItemCounters.skipped(batch.items().size()), skipped, now, null,
                    new JobStore.BatchProgress(0, 1, 0)), "", null);
        }
        Model model = model(job);
        List<Gathered> gathered = new ArrayList<>();
        List<LogEntry> entries = new ArrayList<>();
        List<Predictor.Input> inputs = new ArrayList<>();
        long failedGather = 0;
        for (Gathered g : all) {
            if (g.fetched.ok()) {
                gathered.add(g);
                inputs.add(new Predictor.Input(g.item.index(), g.fetched.bytes()));
            } else {
                failedGather++;
                entries.add(LogEntry.failure("ItemFailedGather", now, g.item.url(), g.item.index(),
                        "FailedGather", g.fetched.errorCode() + ": " + g.fetched.reason()));
            }
        }
        List<Predictor.Output> outputs = inputs.isEmpty() ? List.of() : predict.apply(inputs);
        long failedProcess = 0;
        long failedPredict = 0;
        List<DeliveryMessage.Payload> payloads = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        long t = clock.nowMillis();
        for (int i = 0; i < gathered.size(); i++) {
            Gathered g = gathered.get(i);
            Predictor.Output out = outputs.get(i);
            // one log entry per item, the last stage it reached (log records are billed by their bytes): a predicted
            // item's time is its gather, preprocess and predict together (the payload's timings split them)
            if (out.failedStage() == null) {
                entries.add(LogEntry.info("ItemPredicted", t, g.item.url(), g.item.index(), "Predicted",
                        g.ms + out.preprocessMs() + out.predictMs()));
                String body = Json.write(dev.sluice.core.delivery.Outbound.itemBody(job.id(), g.item, model,
                        out.prediction(), g.ms, out.preprocessMs(), out.predictMs()));
                part.append(body).append('\n');
                payloads.add(new DeliveryMessage.Payload(g.item.index(), g.item.url(), body));
            } else if (Predictor.PROCESS.equals(out.failedStage())) {
                failedProcess++;
                entries.add(LogEntry.failure("ItemFailedProcess", t, g.item.url(), g.item.index(), "FailedProcess", out.reason()));
            } else {
                failedPredict++;
                entries.add(LogEntry.failure("ItemFailedPredict", t, g.item.url(), g.item.index(), "FailedPredict", out.reason()));
            }
        }
        long predicted = payloads.size();
        dev.sluice.core.delivery.Outbound.Plan plan = dev.sluice.core.delivery.Outbound.plan(job, batch.batchId(), payloads);
        ItemCounters delta = ItemCounters.failedGather(failedGather).plus(ItemCounters.failedProcess(failedProcess))
                .plus(ItemCounters.failedPredict(failedPredict)).plus(ItemCounters.predicted(predicted))
                .plus(ItemCounters.delivered(plan.deliveredAtCommit()));
        DeliveryMessage delivery = plan.message();
        long gatherMs = (long) all.stream().mapToDouble(g -> g.ms).max().orElse(0);
        long batchMs = gatherMs + (System.nanoTime() - startNanos) / 1_000_000;
        emitTimes(batchMs, all, outputs);
        return new Outcome(position, job, new JobStore.StageCommit(job.id(), Stage.INFERENCE, batch.batchId(), delta, entries,
                clock.nowMillis(), null, new JobStore.BatchProgress(0, 1, batchMs)), part.toString(), delivery);
    }

    private Model model(Job job) {
        String id = job.spec().deployment().modelId();
        return models.computeIfAbsent(id, k -> catalog.get(job.projectId(), Model.KIND, k)
                .orElseThrow(() -> new IllegalStateException("model " + k + " of job " + job.id() + " is missing")));
    }

    /**
     * Fetches one item within the worker's {@link GatherBudget}: the item's size cap is reserved first (waiting at
     * most the fetch deadline for bytes to be given back), what it did not use is given back when it has arrived. At most
     * maxConnectionsPerHost fetches of the project are in flight to one web host ({@link ItemFetcher#fetch(String, String, int)}).
     */
    private Gathered gather(Item item, GatherBudget.Call call, String project, int maxConnectionsPerHost)
            throws InterruptedException {
        long start = System.nanoTime();
        long reserve = Math.min(fetcher.maxBytes(), budget.capacity());
        if (!call.reserve(reserve, fetcher.deadline().toNanos())) {
            return new Gathered(item, new ItemFetcher.Fetched(null, "gather.too_large", "the worker already holds its"
                    + " budget of gathered bytes (" + budget.capacity() / (1 << 20) + " MiB, " + GatherBudget.HEAP_PERCENT
                    + "% of its heap) and none came free within " + fetcher.deadline().toMillis() + " ms; send smaller"
                    + " images, smaller batches, or give the function more memory"), (System.nanoTime() - start) / 1e6);
        }
        ItemFetcher.Fetched fetched;
        try {
            fetched = fetcher.fetch(item.url(), project, maxConnectionsPerHost);
        } catch (RuntimeException | Error e) {
            call.giveBack(reserve);
            throw e;
        }
        long kept = fetched.ok() ? fetched.bytes().length : 0;
        if (kept > reserve) {
            call.giveBack(reserve);
            fetched = new ItemFetcher.Fetched(null, "gather.too_large", "the item is larger than " + reserve
                    + " bytes, the worker's budget of gathered bytes");
            kept = 0;
        } else {
            call.giveBack(reserve - kept);
        }
        return new Gathered(item, fetched, (System.nanoTime() - start) / 1e6);
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while gathering", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("gather failed unexpectedly", e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            throw new IllegalStateException("gather cancelled", e);
        }
    }

    private record Gathered(Item item, ItemFetcher.Fetched fetched, double ms) {
    }
}
