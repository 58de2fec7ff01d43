package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobSpec;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore.BatchProgress;
import dev.sluice.core.job.JobStore.ItemRecord;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.usage.Usage;
import dev.sluice.core.usage.UsageMeter;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.Update;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;

/**
 * Jobs table (pk jobId, GSI byProject), ledger table (pk jobId, sk entry) and logs table (pk jobId, sk time#…).
 *
 * <p>A stage commit is one {@link DynamoLedger#settle settlement}: a ledger item that must not exist yet, the counter
 * ADDs on the job item, and the batch's log records. SQS redelivers; the ledger condition makes the second commit fail
 * as a whole, so a batch is counted once and a crashed one is never half-counted. State changes are
 * {@link StateTransition}s of the attribute {@code overview}.
 */
public final class DynamoJobStore implements JobStore {
    static final String[] COUNTERS = {"gathered", "failedGather", "preprocessed", "failedProcess", "predicted",
            "failedPredict", "delivered", "failedDeliver", "skipped"};
    public static final String BY_PROJECT = "byProject";
    /**
     * A sparse index of the jobs that are not terminal: the attribute exists while a job can still change, so the
     * scheduler reads the active jobs without scanning the table. Counter updates do not touch it (no index writes).
     */
    public static final String BY_ACTIVE = "byActive";
    public static final String ACTIVE = "active";
    /** Log records expire this long after their commit (the logs table's TTL attribute {@code expiresAt}). */
    static final Duration LOG_RETENTION = Duration.ofDays(30);

    private final DynamoDbClient dynamo;
    private final SluiceConfig config;
    private final DynamoLedger ledger;
    private final dev.sluice.core.observe.Metrics metrics;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DynamoJobStore.class);
    private final UsageMeter meter = UsageMeter.process();
    private final DynamoUsageStore usage;

    public DynamoJobStore(DynamoDbClient dynamo, SluiceConfig config) {
        this(dynamo, config, dev.sluice.core.observe.Metrics.NONE);
    }

    /**
     * @param metrics told, after each transaction that applied, the items it counted: {@code Items} per stage and
     *                outcome (the counter's name), so the values emitted for a job's commits add up to its counters
     *                (a commit applied once is emitted once; one that was applied before emits nothing)
     */
    public DynamoJobStore(DynamoDbClient dynamo, SluiceConfig config, dev.sluice.core.observe.Metrics metrics) {
        this.dynamo = dynamo;
        this.config = config;
        this.ledger = new DynamoLedger(dynamo, config.ledgerTable());
        this.metrics = metrics;
        this.usage = new DynamoUsageStore(dynamo, config);
    }

    @Override
    public void create(Job job) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("jobId", s(job.id()));
        item.put("projectId", s(job.projectId()));
        item.put("name", s(job.name()));
        item.put("spec", s(Json.write(job.spec())));
        item.put("overview", s(job.status().overview().name()));
        item.put("message", s(job.status().message()));
        item.put("itemCount", n(job.status().itemCount()));
        item.put("createTime", n(job.createTime()));
        item.put("updateTime", n(job.updateTime()));
        if (!job.metadata().isEmpty()) {
            item.put("metadata", s(Json.write(job.metadata())));
        }
        item.put(ACTIVE, s(ACTIVE));
        Map<String, AttributeValue> counters = new HashMap<>();
        counters.put("jobId", s(counterKey(job.id())));
        counters.put("itemCount", n(job.status().itemCount()));
        for (String c : COUNTERS) {
            counters.put(c, n(0));
        }
        counters.put("terminal", n(0));
        // both or neither: a job item without its counter item could take no commit (job.not_found)
        dynamo.transactWriteItems(b -> b.transactItems(
                TransactWriteItem.builder().put(Put.builder().tableName(config.jobsTable()).item(item)
                        .conditionExpression("attribute_not_exists(jobId)").build()).build(),
                TransactWriteItem.builder().put(Put.builder().tableName(config.jobsTable()).item(counters)
                        .conditionExpression("attribute_not_exists(jobId)").build()).build()));
    }

    /**
     * The key of a job's counter item in the jobs table: {@code counters#<jobId>}. Every commit's counter ADDs, its
     * item-record number and the usage it carries go to this small item (a few hundred bytes: 2 WRU inside a
     * transaction) instead of the job item (spec, metadata, status: several KB, 8 WRU and more), because DynamoDB bills an
     * update by the size of the whole item (<a
     * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html">read and
     * write operations</a>). No {@code projectId} and no {@code active} attribute: no listing's or scheduler's index
     * holds it, and no job id can take the key (job ids start {@code batchjob_}). Every read of a job reads both
     * items in one BatchGetItem and adds them up ({@link #toJob}).
     */
    static String counterKey(String jobId) {
        return COUNTER_PREFIX + jobId;
    }

    /** The key prefix of a job's counter item in the jobs table: {@code counters#<jobId>}. */
    public static final String COUNTER_PREFIX = "counters#";
    /** The counter item's numbers that a job read adds to the job item's (besides the usage attributes). */
    private static final Set<String> ADDED = java.util.stream.Stream.concat(java.util.Arrays.stream(COUNTERS),
            java.util.stream.Stream.of("terminal", "batchesSent", "batchesDone", "batchMillis"))
            .collect(Collectors.toUnmodifiableSet());

    /** The job item and its counter item, strongly consistent, in one BatchGetItem; null when there is no job item. */
    private Map<String, AttributeValue> readJob(String jobId) {
        return readJobs(List.of(jobId)).get(jobId);
    }

    /**
     * The jobs' items, each merged with its counter item (counters, usage and item-record number added up), read
     * strongly consistent with BatchGetItem ({@link RequestLimits#BATCH_GET_KEYS} keys a request, unprocessed keys asked
     * again with backoff). Jobs with no job item are absent from the answer.
     */
    private Map<String, Map<String, AttributeValue>> readJobs(List<String> jobIds) {
        Map<String, Map<String, AttributeValue>> items = readItems(jobIds);
        Map<String, Map<String, AttributeValue>> jobs = new HashMap<>();
        for (String id : jobIds) {
            Map<String, AttributeValue> job = items.get(id);
            if (job != null) {
                jobs.put(id, merged(job, items.get(counterKey(id))));
            }
        }
        return jobs;
    }

    /** The jobs' items and their counter items as stored, by key ({@code jobId} or {@code counters#jobId}). */
    private Map<String, Map<String, AttributeValue>> readItems(List<String> jobIds) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (String id : new java.util.LinkedHashSet<>(jobIds)) {
            keys.add(Map.of("jobId", s(id)));
            keys.add(Map.of("jobId", s(counterKey(id))));
        }
        Map<String, Map<String, AttributeValue>> items = new HashMap<>();
        for (int i = 0; i < keys.size(); i += RequestLimits.BATCH_GET_KEYS) {
            Map<String, software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes> request = Map.of(config.jobsTable(),
                    software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes.builder()
                            .keys(keys.subList(i, Math.min(keys.size(), i + RequestLimits.BATCH_GET_KEYS))).consistentRead(true).build());
            int attempt = 0;
            while (!request.isEmpty()) {
                final var current = request;
                var response = dynamo.batchGetItem(b -> b.requestItems(current));
                for (Map<String, AttributeValue> item : response.responses().getOrDefault(config.jobsTable(), List.of())) {
                    items.put(item.get("jobId").s(), item);
                }
                request = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    if (attempt >= 10) {
                        throw new IllegalStateException("DynamoDB kept keys of " + config.jobsTable() + " unprocessed");
                    }
                    // BatchGetItem may leave keys unprocessed on HTTP 200: back off with jitter, ask for those only
                    Dynamo.backOff(++attempt);
                }
            }
        }
        return items;
    }

    /**
     * Makes sure a job has its counter item: a job created before counter items existed (its counts on the job item,
     * no counter item) gets one, with no counts of its own and the job item's item-record number, by one conditional
     * UpdateItem (UpdateItem: every role that commits is granted it on the jobs table). The job item keeps its counts:
     * a read adds both items up ({@link #merged}) and the finish's condition holds both ({@link #finishIfComplete}).
     * Called only where a counter item was found missing (a commit's failed condition, the finish).
     *
     * @return false when there is no job item (the job does not exist), true when the counter item exists now
     */
    private boolean ensureCounterItem(String jobId) {
        Map<String, Map<String, AttributeValue>> items = readItems(List.of(jobId));
        Map<String, AttributeValue> job = items.get(jobId);
        if (items.containsKey(counterKey(jobId)) || job == null) {
            return job != null;
        }
        AttributeValue seq = job.get(ITEM_SEQ);
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":c", job.get("itemCount"), ":z", n(0),
                ":u", job.get("updateTime")));
        if (seq != null) {
            values.put(":s", seq); // none: no item record yet, as on a new counter item
        }
        try {
            dynamo.updateItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(counterKey(jobId))))
                    .updateExpression("SET itemCount = :c, terminal = :z, updateTime = :u"
                            + (seq == null ? "" : ", " + ITEM_SEQ + " = :s"))
                    .conditionExpression("attribute_not_exists(jobId)").expressionAttributeValues(values));
            LOG.info("job {} was created before counter items: its counter item is made now (item records from {})",
                    jobId, seq == null ? 0 : seq.n());
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException made) {
            // another worker made it first
        }
        return true;
    }

    /**
     * The job item with its counter item's numbers added: the counters, {@code terminal}, batch progress, usage and
     * the item-record number (a job written before the counter item existed keeps its numbers on the job item: the sum
     * holds both).
     */
    private static Map<String, AttributeValue> merged(Map<String, AttributeValue> job, Map<String, AttributeValue> counters) {
        if (counters == null) {
            return job;
        }
        Map<String, AttributeValue> m = new HashMap<>(job);
        counters.forEach((name, value) -> {
            // the numbers commits ADD (counters, batch progress, usage, item-record number); not its times or itemCount
            if (value.n() != null && (ADDED.contains(name) || name.startsWith("usage_"))) {
                AttributeValue mine = job.get(name);
                m.put(name, mine == null || mine.n() == null ? value
                        : n(Long.parseLong(mine.n()) + Long.parseLong(value.n())));
            }
        });
        // the number of the job's last item record: the counter item's (a job item's own was copied there when the
        // counter item was made for it: see ensureCounterItem)
        if (counters.containsKey(ITEM_SEQ)) {
            m.put(ITEM_SEQ, counters.get(ITEM_SEQ));
        }
        // a commit's time is the job's last update when it came after the last state move
        AttributeValue committed = counters.get("updateTime");
        if (committed != null && job.get("updateTime") != null
                && Long.parseLong(committed.n()) > Long.parseLong(job.get("updateTime").n())) {
            m.put("updateTime", committed);
        }
        return m;
    }

    @Override
    public java.util.Optional<Job> get(String jobId) {
        return java.util.Optional.ofNullable(readJob(jobId)).map(this::toJob);
    }

    @Override
    public Page<Job> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        // the filters read the job item only (state, name, metadata, times); the page's jobs are then read whole
        Page<Job> listed = Pages.query(dynamo, config.jobsTable(), BY_PROJECT, "projectId = :p",
                Map.of(":p", s(projectId)), "jobId", "batchjob_", page, this::toJob, j -> j.listedBy(filter), filter.key());
        Map<String, Map<String, AttributeValue>> items = readJobs(listed.data().stream().map(Job::id).toList());
        return new Page<>(listed.data().stream().filter(j -> items.containsKey(j.id())).map(j -> toJob(items.get(j.id()))).toList(),
                listed.nextPage(), listed.prevPage());
    }

    @Override
    public boolean addRetry(String jobId, String retryId) {
        try {
            dynamo.updateItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(jobId)))
                    .updateExpression("SET #r = list_append(if_not_exists(#r, :none), :id)")
                    .conditionExpression("attribute_exists(jobId) AND (attribute_not_exists(#r) OR size(#r) < :max)")
                    .expressionAttributeNames(Map.of("#r", "retries"))
                    .expressionAttributeValues(Map.of(":none", AttributeValue.fromL(List.of()),
                            ":id", AttributeValue.fromL(List.of(s(retryId))), ":max", n(Job.MAX_RETRIES))));
            return true;
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public boolean transition(String jobId, Set<JobState> from, JobState to, String message, String reason, long now) {
        StateTransition move = StateTransition.of(config.jobsTable(), Map.of("jobId", s(jobId)), "overview", from, to)
                .set("message", s(message)).set("updateTime", n(now));
        if (to == JobState.Running) {
            move.set("startTime", n(now));
        }
        if (reason != null) {
            move.set("reason", s(reason));
        }
        return moved(jobId, move, to, now);
    }

    /**
     * Applies a move with the usage this process counted for the job added to it; after a move to an end state, adds
     * the job's usage to its project's daily sum ({@link DynamoUsageStore#rollUp}). A move that did not apply gives
     * the usage back.
     */
    private boolean moved(String jobId, StateTransition move, JobState to, long now) {
        return moved(jobId, move, to, now, List.of());
    }

    /** The same, in one transaction with {@code with} (all or nothing; the move first). */
    private boolean moved(String jobId, StateTransition move, JobState to, long now, List<TransactWriteItem> with) {
        Usage use = meter.drain(jobId);
        boolean applied;
        try {
            applied = move.add(use).apply(dynamo, with);
        } catch (RuntimeException e) {
            meter.giveBack(jobId, use);
            throw e;
        }
        if (!applied) {
            meter.giveBack(jobId, use);
        } else if (to.isTerminal()) {
            try {
                Map<String, AttributeValue> item = readJob(jobId);
                if (item != null && item.containsKey("projectId")) {
                    usage.rollUp(item.get("projectId").s(), now, UsageAttributes.read(item));
                }
            } catch (RuntimeException e) {
                // the move stands; only the project's daily sum misses this job
                LOG.warn("usage of job {} not added to its project's day", jobId, e);
            }
        }
        return applied;
    }

    @Override
    public List<Boolean> commitAll(List<StageCommit> commits) {
        List<Boolean> applied = new ArrayList<>();
        for (List<StageCommit> group : atomicGroups(commits)) {
            if (commitTogether(group)) {
                group.forEach(c -> applied.add(true));
            } else if (group.size() == 1) {
                applied.add(false);
            } else {
                // One of them was applied before (a redelivered batch): apply the others one by one.
                for (StageCommit commit : group) {
                    applied.add(commitTogether(List.of(commit)));
                }
            }
        }
        return applied;
    }

    /**
     * Greedy, in order: a group takes commits while its transaction stays within {@link RequestLimits#TRANSACT_ACTIONS}
     * actions and {@link RequestLimits#TRANSACT_BYTES} bytes (each commit's ledger item and log records, plus one
     * counter update per job in the group). One commit alone always fits: see {@link #logRecords}.
     */
    @Override
    public List<List<StageCommit>> atomicGroups(List<StageCommit> commits) {
        List<List<StageCommit>> groups = new ArrayList<>();
        List<StageCommit> group = new ArrayList<>();
        Set<String> jobsInGroup = new java.util.HashSet<>();
        int actions = 0;
        long bytes = 0;
        for (StageCommit commit : commits) {
            List<Map<String, AttributeValue>> logs = logRecords(commit);
            int commitActions = 1 + logs.size();
            long commitBytes = ACTION_OVERHEAD_BYTES + logs.stream().mapToLong(DynamoJobStore::itemBytes).sum();
            boolean newJob = !jobsInGroup.contains(commit.jobId());
            // per job of the group: its counter update and its item record
            int extraActions = commitActions + (newJob ? 2 : 0);
            long extraBytes = commitBytes + ITEM_RECORD_BYTES * commit.entries().size() + (newJob ? 2 * ACTION_OVERHEAD_BYTES : 0);
            if (!group.isEmpty() && (actions + extraActions > RequestLimits.TRANSACT_ACTIONS
                    || bytes + extraBytes > RequestLimits.TRANSACT_BYTES)) {
                groups.add(group);
                group = new ArrayList<>();
                jobsInGroup.clear();
                actions = 0;
                bytes = 0;
                extraActions = commitActions + 2;
                extraBytes = commitBytes + ITEM_RECORD_BYTES * commit.entries().size() + 2 * ACTION_OVERHEAD_BYTES;
            }
            group.add(commit);
            jobsInGroup.add(commit.jobId());
            actions += extraActions;
            bytes += extraBytes;
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    /** An upper bound of one outcome's bytes in an item record before compression (index, status, code). */
    static final long ITEM_RECORD_BYTES = 96;
    /** Attempts of a commit whose job's item-record number moved under it (another worker committed first). */
    static final int SEQ_ATTEMPTS = 64;
    /** The job attribute holding the number of the job's last item record. */
    static final String ITEM_SEQ = "itemSeq";
    /** Ledger entries of item records: {@code items#} and the record's number, 12 digits. */
    static final String ITEMS_PREFIX = "items#";

    /** What an action costs besides its log record's bytes: keys, expressions, a results part's name (an upper bound). */
    static final long ACTION_OVERHEAD_BYTES = 2_048;
    /** Uncompressed JSON of one log record at most (gzip leaves it under DynamoDB's 400 KB item limit). */
    static final int LOG_RECORD_JSON_BYTES = 300_000;
    /** A log entry's item URL and reason are stored up to this many characters (then "…"). */
    static final int LOG_FIELD_CHARS = 2_048;
    /** The same, for the rare commit whose full log would not fit one transaction. */
    static final int LOG_FIELD_CHARS_SHORT = 128;

    /**
     * One {@link DynamoLedger#settle settlement}: the ledger items (each must not exist), one counter update per job
     * with the summed deltas, then the log records (gzip-compressed JSON: a batch's entries compress about tenfold, and
     * DynamoDB bills writes per KB). The commits must be one of {@link #atomicGroups}' groups. False when a ledger item
     * existed (nothing written); a commit of a job that does not exist throws.
     */
    @Override
    public boolean commitTogether(List<StageCommit> commits) {
        Map<String, List<ItemRecord.Commit>> ended = new LinkedHashMap<>();
        for (StageCommit commit : commits) {
            List<dev.sluice.core.job.ItemOutcomes.Run> runs = dev.sluice.core.job.ItemOutcomes.of(commit);
            if (!runs.isEmpty()) {
                ended.computeIfAbsent(commit.jobId(), k -> new ArrayList<>()).add(new ItemRecord.Commit(commit.stage(),
                        commit.batchId(), commit.entries().isEmpty() ? null : JobStore.logKey(commit),
                        commit.resultsPart(), runs));
            }
        }
        for (int attempt = 1; ; attempt++) {
            Map<String, Long> seqs = new HashMap<>();
            for (String jobId : ended.keySet()) {
                seqs.put(jobId, Math.max(0, itemSeq(jobId))); // a missing job fails the transaction: job.not_found
            }
            try {
                return commitTogether(commits, ended, seqs);
            } catch (SeqMoved | software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException e) {
                if (e instanceof software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException t
                        && !conflict(t) || attempt == SEQ_ATTEMPTS) {
                    throw e;
                }
                // another worker committed items of the job first (or its transaction held the job item): read the
                // job's number again and retry, after a short jittered pause (DynamoDB: retry conflicts with backoff)
                try {
                    Thread.sleep(dev.sluice.core.Jitter.between(1, 5L * Math.min(attempt, 20)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while committing", ie);
                }
            }
        }
    }

    /** The number of the job's last item record (0: none yet; -1: no such job), a strongly consistent read. */
    private long itemSeq(String jobId) {
        var response = dynamo.getItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(counterKey(jobId))))
                .consistentRead(true).projectionExpression("jobId, " + ITEM_SEQ));
        if (!response.hasItem() || response.item().isEmpty()) {
            return -1;
        }
        AttributeValue v = response.item().get(ITEM_SEQ);
        return v == null ? 0 : Long.parseLong(v.n());
    }

    private static boolean conflict(software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException e) {
        return e.hasCancellationReasons() && e.cancellationReasons().stream()
                .anyMatch(r -> "TransactionConflict".equals(r.code()));
    }

    /** The job's item-record number was not the one read: another commit of the job's items came first. */
    private static final class SeqMoved extends RuntimeException {
        SeqMoved() {
            super(null, null, false, false);
        }
    }

    private boolean commitTogether(List<StageCommit> commits, Map<String, List<ItemRecord.Commit>> ended,
                                   Map<String, Long> seqs) {
        List<Map<String, AttributeValue>> rows = new ArrayList<>();
        Map<String, ItemCounters> deltas = new LinkedHashMap<>();
        Map<String, BatchProgress> progress = new HashMap<>();
        long now = 0;
        for (StageCommit commit : commits) {
            rows.add(DynamoLedger.row(commit.jobId(), commit.stage().ledgerKey(commit.batchId()), commit.now(),
                    commit.resultsPart() == null ? Map.of() : Map.of("part", s(commit.resultsPart()))));
            deltas.merge(commit.jobId(), commit.delta(), ItemCounters::plus);
            progress.merge(commit.jobId(), commit.progress(), BatchProgress::plus);
            now = Math.max(now, commit.now());
        }
        List<TransactWriteItem> counts = new ArrayList<>();
        // the usage this process counted for each job since its last write rides on the counter update (no request
        // of its own); given back when the transaction applies nothing
        Map<String, Usage> drained = new LinkedHashMap<>();
        for (Map.Entry<String, ItemCounters> job : deltas.entrySet()) {
            Map<String, AttributeValue> values = new HashMap<>();
            List<String> adds = new ArrayList<>();
            long[] delta = counters(job.getValue());
            for (int i = 0; i < COUNTERS.length; i++) {
                if (delta[i] != 0) {
                    adds.add(COUNTERS[i] + " :c" + i);
                    values.put(":c" + i, n(delta[i]));
                }
            }
            adds.add("terminal :t");
            values.put(":t", n(job.getValue().terminal()));
            BatchProgress p = progress.get(job.getKey());
            long[] pv = {p.batchesSent(), p.batchesDone(), p.batchMillis()};
            String[] pn = {"batchesSent", "batchesDone", "batchMillis"};
            for (int i = 0; i < pv.length; i++) {
                if (pv[i] != 0) {
                    adds.add(pn[i] + " :p" + i);
                    values.put(":p" + i, n(pv[i]));
                }
            }
            values.put(":now", n(now));
            Map<String, String> names = new HashMap<>();
            Usage use = meter.drain(job.getKey());
            drained.put(job.getKey(), use);
            UsageAttributes.add(use, adds, names, values);
            String set = " SET updateTime = :now";
            String condition = "attribute_exists(jobId)";
            Long seq = seqs.get(job.getKey());
            if (seq != null) {
                // the item record's number: the next of the job's, under a condition on the last one, so records are
                // numbered without a gap in the order their transactions applied
                set += ", " + ITEM_SEQ + " = :seq";
                values.put(":seq", n(seq + 1));
                if (seq == 0) {
                    condition += " AND attribute_not_exists(" + ITEM_SEQ + ")";
                } else {
                    condition += " AND " + ITEM_SEQ + " = :prevSeq";
                    values.put(":prevSeq", n(seq));
                }
            }
            counts.add(TransactWriteItem.builder().update(Update.builder().tableName(config.jobsTable())
                    .key(Map.of("jobId", s(counterKey(job.getKey()))))
                    .updateExpression("ADD " + String.join(", ", adds) + set)
                    .conditionExpression(condition)
                    .expressionAttributeNames(names.isEmpty() ? null : names)
                    .expressionAttributeValues(values).build()).build());
        }
        List<TransactWriteItem> logs = new ArrayList<>();
        long bytes = (long) (rows.size() + counts.size()) * ACTION_OVERHEAD_BYTES;
        for (Map.Entry<String, List<ItemRecord.Commit>> job : ended.entrySet()) {
            Map<String, AttributeValue> record = DynamoLedger.row(job.getKey(), itemsEntry(seqs.get(job.getKey()) + 1),
                    now, Map.of("runs", AttributeValue.fromB(gzip(Json.write(ItemRecordJson.of(job.getValue()))))));
            bytes += ACTION_OVERHEAD_BYTES + itemBytes(record);
            logs.add(TransactWriteItem.builder().put(Put.builder().tableName(config.ledgerTable()).item(record).build()).build());
        }
        for (StageCommit commit : commits) {
            for (Map<String, AttributeValue> record : logRecords(commit)) {
                bytes += ACTION_OVERHEAD_BYTES + itemBytes(record);
                logs.add(TransactWriteItem.builder().put(Put.builder().tableName(config.logsTable())
                        .item(record).build()).build());
            }
        }
        int actions = rows.size() + counts.size() + logs.size();
        if (actions > RequestLimits.TRANSACT_ACTIONS || bytes > RequestLimits.TRANSACT_BYTES) {
            throw new IllegalArgumentException(actions + " actions, about " + bytes
                    + " bytes: over TransactWriteItems' limits; commit the groups of atomicGroups one by one");
        }
        DynamoLedger.Outcome settled;
        try {
            settled = ledger.settle(rows, counts, logs);
        } catch (RuntimeException e) {
            drained.forEach(meter::giveBack);
            throw e;
        }
        if (settled != DynamoLedger.Outcome.APPLIED) {
            drained.forEach(meter::giveBack);
        }
        return switch (settled) {
            case APPLIED -> {
                emitItems(commits);
                yield true;
            }
            case ALREADY_SETTLED -> false;
            case OWNER_CONDITION_FAILED -> {
                boolean made = false;
                boolean missing = false;
                for (String id : deltas.keySet()) {
                    if (itemSeq(id) < 0) {
                        // no counter item: a job created before counter items gets one; a job that is gone does not
                        boolean exists = ensureCounterItem(id);
                        made |= exists;
                        missing |= !exists;
                    }
                }
                if (!missing && (made || !seqs.isEmpty())) {
                    throw new SeqMoved(); // every job exists: an item-record number moved, or a counter item was made
                }
                throw new IllegalStateException("job.not_found: the counter update of " + deltas.keySet()
                        + " failed its condition attribute_exists(jobId); nothing was committed");
            }
        };
    }

    private static String itemsEntry(long seq) {
        return ITEMS_PREFIX + String.format("%012d", seq);
    }

    /** An item record as stored (gzip-compressed JSON): per commit its stage, batch, log key, part and runs. */
    record ItemRecordJson(String s, String b, String l, String p, List<long[]> k, List<Object[]> o) {
        static List<ItemRecordJson> of(List<ItemRecord.Commit> commits) {
            List<ItemRecordJson> out = new ArrayList<>();
            for (ItemRecord.Commit c : commits) {
                List<long[]> ranges = new ArrayList<>();
                List<Object[]> outcomes = new ArrayList<>();
                for (dev.sluice.core.job.ItemOutcomes.Run r : c.runs()) {
                    switch (r) {
                        case dev.sluice.core.job.ItemOutcomes.Outcome o -> outcomes.add(o.code() == null
                                ? new Object[]{o.index(), o.status().name()} : new Object[]{o.index(), o.status().name(), o.code()});
                        case dev.sluice.core.job.ItemOutcomes.SkippedLines k -> ranges.add(new long[]{k.from(), k.count()});
                    }
                }
                out.add(new ItemRecordJson(c.stage().wire(), c.batchId(), c.logKey(), c.resultsPart(),
                        ranges.isEmpty() ? null : ranges, outcomes.isEmpty() ? null : outcomes));
            }
            return out;
        }

        ItemRecord.Commit toCommit() {
            List<dev.sluice.core.job.ItemOutcomes.Run> runs = new ArrayList<>();
            if (o != null) {
                for (Object[] x : o) {
                    runs.add(new dev.sluice.core.job.ItemOutcomes.Outcome(((Number) x[0]).longValue(),
                            dev.sluice.core.job.ItemOutcomes.Status.valueOf((String) x[1]), x.length > 2 ? (String) x[2] : null));
                }
            }
            if (k != null) {
                for (long[] x : k) {
                    runs.add(new dev.sluice.core.job.ItemOutcomes.SkippedLines(x[0], x[1]));
                }
            }
            Stage stage = java.util.Arrays.stream(Stage.values()).filter(st -> st.wire().equals(s)).findFirst().orElseThrow();
            return new ItemRecord.Commit(stage, b, l, p, runs);
        }
    }

    @Override
    public List<ItemRecord> itemRecords(String jobId, long fromSeq, int max) {
        List<ItemRecord> records = new ArrayList<>();
        var response = dynamo.query(b -> b.tableName(config.ledgerTable()).consistentRead(true).limit(max)
                .keyConditionExpression(DynamoLedger.OWNER + " = :o AND " + DynamoLedger.ENTRY + " BETWEEN :a AND :b")
                .expressionAttributeValues(Map.of(":o", s(jobId), ":a", s(itemsEntry(Math.max(1, fromSeq))),
                        ":b", s(ITEMS_PREFIX + "999999999999"))));
        for (Map<String, AttributeValue> row : response.items()) {
            ItemRecordJson[] commits = Json.read(gunzip(row.get("runs").b()), ItemRecordJson[].class);
            records.add(new ItemRecord(Long.parseLong(row.get(DynamoLedger.ENTRY).s().substring(ITEMS_PREFIX.length())),
                    java.util.Arrays.stream(commits).map(ItemRecordJson::toCommit).toList()));
        }
        return records;
    }

    @Override
    public List<LogEntry> commitLog(String jobId, String logKey) {
        List<LogEntry> entries = new ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName(config.logsTable()).consistentRead(true)
                .keyConditionExpression("jobId = :j AND sk BETWEEN :a AND :b")
                .expressionAttributeValues(Map.of(":j", s(jobId), ":a", s(logKey), ":b", s(logKey + "#~"))), row -> {
            entries.addAll(List.of(entries(row)));
            return true;
        });
        return entries;
    }

    @Override
    public String resultsPartOf(String jobId, String batchId) {
        return ledger.read(jobId, Stage.INFERENCE.ledgerKey(batchId)).map(r -> r.get("part")).map(AttributeValue::s)
                .orElse(null);
    }

    /** The Items metric of the applied commits: one emit per stage, one value per counter that moved. */
    private void emitItems(List<StageCommit> commits) {
        Map<Stage, ItemCounters> byStage = new java.util.EnumMap<>(Stage.class);
        commits.forEach(c -> byStage.merge(c.stage(), c.delta(), ItemCounters::plus));
        byStage.forEach((stage, delta) -> {
            long[] values = counters(delta);
            for (int i = 0; i < COUNTERS.length; i++) {
                if (values[i] != 0) {
                    metrics.emit(Map.of(dev.sluice.core.observe.MetricDimension.STAGE, stage.wire(),
                            dev.sluice.core.observe.MetricDimension.OUTCOME, COUNTERS[i]),
                            dev.sluice.core.observe.Metric.ITEMS, values[i]);
                }
            }
        });
    }

    /**
     * A commit's log records: its entries (ids {@code sk#i}) in consecutive records of at most
     * {@value #LOG_RECORD_JSON_BYTES} bytes of JSON each, gzip-compressed; the first under the sort key
     * {@code time#stage#batch}, the next ones under {@code time#stage#batch#n}, so a time-range query reads them in
     * order. Item URLs and reasons are kept up to {@value #LOG_FIELD_CHARS} characters. When the records would still
     * not fit one transaction beside the ledger item and a counter update (a batch of 256 items whose every URL is
     * thousands of characters long), they are kept to {@value #LOG_FIELD_CHARS_SHORT} characters: the line index
     * still names the item. So one commit alone always fits one transaction, and stays atomic.
     */
    static List<Map<String, AttributeValue>> logRecords(StageCommit commit) {
        List<Map<String, AttributeValue>> records = logRecords(commit, LOG_FIELD_CHARS);
        long bytes = 3 * ACTION_OVERHEAD_BYTES + records.stream().mapToLong(r -> ACTION_OVERHEAD_BYTES + itemBytes(r)).sum();
        if (records.size() + 2 > RequestLimits.TRANSACT_ACTIONS || bytes > RequestLimits.TRANSACT_BYTES) {
            records = logRecords(commit, LOG_FIELD_CHARS_SHORT);
        }
        return records;
    }

    private static List<Map<String, AttributeValue>> logRecords(StageCommit commit, int fieldChars) {
        if (commit.entries().isEmpty()) {
            return List.of();
        }
        String sk = JobStore.logKey(commit);
        List<Map<String, AttributeValue>> records = new ArrayList<>();
        StringBuilder json = new StringBuilder("[");
        long jsonBytes = 0;
        int first = 0;
        for (int e = 0; e < commit.entries().size(); e++) {
            LogEntry entry = commit.entries().get(e);
            // stored without its id (sk#e, rebuilt on read: see entries) and with its time to 0.1 ms: DynamoDB bills
            // the compressed bytes, and both were most of what did not compress
            String one = Json.write(new LogEntry(null, entry.kind(), entry.createTime(), entry.level(),
                    cap(entry.item(), fieldChars), entry.index(), entry.status(),
                    entry.timeMs() == null ? null : Math.round(entry.timeMs() * 10) / 10.0, cap(entry.reason(), fieldChars)));
            long oneBytes = one.getBytes(StandardCharsets.UTF_8).length + 1;
            if (jsonBytes > 0 && jsonBytes + oneBytes > LOG_RECORD_JSON_BYTES) {
                records.add(logRecord(commit, sk, records.size(), first, json.append(']')));
                json = new StringBuilder("[");
                jsonBytes = 0;
                first = e;
            }
            json.append(jsonBytes > 0 ? "," : "").append(one);
            jsonBytes += oneBytes;
        }
        records.add(logRecord(commit, sk, records.size(), first, json.append(']')));
        return records;
    }

    /**
     * The commit's record number {@code n} under {@code sk} (the first) or {@code sk#n}; a later record names the
     * position of its first entry in the commit ({@value #FIRST_ENTRY}), from which the entries' ids are rebuilt.
     */
    private static Map<String, AttributeValue> logRecord(StageCommit commit, String sk, int n, int first, CharSequence json) {
        Map<String, AttributeValue> record = new HashMap<>();
        record.put("jobId", s(commit.jobId()));
        record.put("sk", s(n == 0 ? sk : sk + "#" + n));
        record.put("entriesGz", AttributeValue.fromB(gzip(json.toString())));
        record.put("expiresAt", n(commit.now() / 1000 + LOG_RETENTION.toSeconds()));
        if (n > 0) {
            record.put(FIRST_ENTRY, n(first));
        }
        return record;
    }

    /** A later log record's attribute: the position of its first entry among its commit's entries. */
    static final String FIRST_ENTRY = "first";

    /**
     * A log record's entries, each with its id {@code <commit's log key>#<position in the commit>} (records written
     * before ids were left out hold them already).
     */
    private static LogEntry[] entries(Map<String, AttributeValue> row) {
        LogEntry[] entries = Json.read(gunzip(row.get("entriesGz").b()), LogEntry[].class);
        String sk = row.get("sk").s();
        AttributeValue first = row.get(FIRST_ENTRY);
        String base = first == null ? sk : sk.substring(0, sk.lastIndexOf('#'));
        int offset = first == null ? 0 : Integer.parseInt(first.n());
        for (int i = 0; i < entries.length; i++) {
            if (entries[i].id() == null) {
                entries[i] = entries[i].withId(base + "#" + (offset + i));
            }
        }
        return entries;
    }

    private static String cap(String value, int chars) {
        return value == null || value.length() <= chars ? value : value.substring(0, chars) + "…";
    }

    /** An item's size as DynamoDB counts it, near enough: attribute names and values (strings UTF-8, binary raw). */
    static long itemBytes(Map<String, AttributeValue> item) {
        long bytes = 0;
        for (Map.Entry<String, AttributeValue> a : item.entrySet()) {
            AttributeValue v = a.getValue();
            bytes += a.getKey().length() + (v.b() != null ? v.b().asByteArray().length
                    : v.s() != null ? v.s().getBytes(StandardCharsets.UTF_8).length : 21);
        }
        return bytes;
    }

    private static SdkBytes gzip(String json) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return SdkBytes.fromByteArray(out.toByteArray());
    }

    private static String gunzip(SdkBytes bytes) {
        try (GZIPInputStream gz = new GZIPInputStream(bytes.asInputStream())) {
            return new String(gz.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean isCommitted(String jobId, Stage stage, String batchId) {
        return ledger.isSettled(jobId, stage.ledgerKey(batchId));
    }

    @Override
    public List<String> resultParts(String jobId) {
        java.util.LinkedHashSet<String> parts = new java.util.LinkedHashSet<>();
        ledger.forEachWithPrefix(jobId, Stage.INFERENCE.ledgerPrefix(), "part", row -> {
            if (row.containsKey("part")) {
                parts.add(row.get("part").s());
            }
            return true;
        });
        return new ArrayList<>(parts);
    }

    /**
     * Running → Finished when every item is terminal, decided on the exact counters of both items: the job item's
     * {@code terminal} (a job created before counter items counted there; none on a job created since) and the counter
     * item's add up to {@code itemCount}. One transaction: the move, conditioned on the job item's number as read, and an
     * update of the counter item (its finish time) conditioned on its number as read, so a commit landing in between
     * cancels it (an update, not a ConditionCheck: the roles are granted UpdateItem on the jobs table, ConditionCheckItem
     * to none).
     */
    @Override
    public boolean finishIfComplete(String jobId, long now) {
        for (int attempt = 0; attempt < 2; attempt++) {
            Map<String, Map<String, AttributeValue>> items = readItems(List.of(jobId));
            Map<String, AttributeValue> item = items.get(jobId);
            Map<String, AttributeValue> counters = items.get(counterKey(jobId));
            if (item == null || !JobState.Running.name().equals(str(item, "overview"))) {
                return false;
            }
            if (counters == null) {
                // a job created before counter items: made now, then decided as any other
                ensureCounterItem(jobId);
                continue;
            }
            long onJob = num(item, "terminal");
            long onCounters = num(counters, "terminal");
            if (onJob + onCounters != num(item, "itemCount")) {
                return false;
            }
            TransactWriteItem complete = TransactWriteItem.builder().update(Update.builder().tableName(config.jobsTable())
                    .key(Map.of("jobId", s(counterKey(jobId)))).updateExpression("SET finishTime = :now")
                    .conditionExpression("terminal = :t").expressionAttributeValues(Map.of(":now", n(now), ":t", n(onCounters)))
                    .build()).build();
            try {
                return moved(jobId, StateTransition.of(config.jobsTable(), Map.of("jobId", s(jobId)), "overview",
                                Set.of(JobState.Running), JobState.Finished)
                        .set("message", s(JobState.Finished.name())).set("updateTime", n(now))
                        .when(onJob == 0 ? "attribute_not_exists(terminal) OR terminal = :jt" : "terminal = :jt",
                                Map.of(":jt", n(onJob))),
                        JobState.Finished, now, List.of(complete));
            } catch (software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException e) {
                if (Dynamo.failedConditions(e).get(1)) {
                    return false;
                }
                throw e;
            }
        }
        return false;
    }

    /** Removes the active marker (the sparse byActive index's key) once the ended job's completion is done. */
    @Override
    public void completed(String jobId) {
        try {
            dynamo.updateItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(jobId)))
                    .updateExpression("REMOVE #a").conditionExpression("attribute_exists(jobId)")
                    .expressionAttributeNames(Map.of("#a", ACTIVE)));
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException gone) {
            // deleted meanwhile: nothing to record
            return;
        }
        writeRemainder(jobId);
    }

    /**
     * What one UpdateItem of a counter item costs outside a transaction: 1 WRU, as the item stays under 1 KB (its
     * key, nine counters, {@code terminal}, batch progress, item-record number, times and at most ten usage numbers:
     * about 500 bytes; DynamoDB bills a write per started KB of the larger of the item before and after,
     * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
     */
    static final double COUNTER_UPDATE_WRITE_UNITS = 1.0;

    /**
     * The job's last write in this process once it has ended: ADDs to its counter item what the usage meter holds for
     * the job (the end move's own units, the completion's reads and writes, the {@code active} marker's removal:
     * writes that came after the last write carrying usage) plus this update's own units, known ahead
     * ({@value #COUNTER_UPDATE_WRITE_UNITS} WRU). The update itself runs {@linkplain UsageMeter#uncounted uncounted}, so
     * its units are not counted twice; if DynamoDB answers another figure, the difference goes back to the meter.
     * Nothing is written when the meter holds nothing for the job, nor outside an invocation (the scheduler's sweep
     * completing a job: its requests count to no job).
     */
    private void writeRemainder(String jobId) {
        if (!meter.counting()) {
            return; // the scheduler's sweep or the API: no work of theirs is counted, nor written for the job
        }
        Usage use = meter.drain(jobId);
        if (use.isZero()) {
            return;
        }
        Usage own = Usage.dynamo(0, COUNTER_UPDATE_WRITE_UNITS);
        List<String> adds = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        UsageAttributes.add(use.plus(own), adds, names, values);
        try {
            var answer = meter.uncounted(() -> dynamo.updateItem(b -> b.tableName(config.jobsTable())
                    .key(Map.of("jobId", s(counterKey(jobId)))).updateExpression("ADD " + String.join(", ", adds))
                    .conditionExpression("attribute_exists(jobId)").expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .returnConsumedCapacity(software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity.TOTAL)));
            Double units = answer.consumedCapacity() == null ? null : answer.consumedCapacity().capacityUnits();
            if (units != null && units > COUNTER_UPDATE_WRITE_UNITS) {
                meter.giveBack(jobId, Usage.dynamo(0, units - COUNTER_UPDATE_WRITE_UNITS));
            }
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException gone) {
            // the job was deleted (or has no counter item): its usage has nowhere to go
        } catch (RuntimeException e) {
            meter.giveBack(jobId, use);
            throw e;
        }
    }

    @Override
    public List<Job> activeJobs() {
        List<String> ids = new ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName(config.jobsTable()).indexName(BY_ACTIVE)
                .keyConditionExpression("#a = :a").expressionAttributeNames(Map.of("#a", ACTIVE))
                .expressionAttributeValues(Map.of(":a", s(ACTIVE))), row -> {
            ids.add(row.get("jobId").s());
            return true;
        });
        List<Job> active = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += RequestLimits.BATCH_GET_KEYS / 2) {
            List<String> some = ids.subList(i, Math.min(ids.size(), i + RequestLimits.BATCH_GET_KEYS / 2));
            Map<String, Map<String, AttributeValue>> items = readJobs(some);
            some.stream().filter(items::containsKey).forEach(id -> active.add(toJob(items.get(id))));
        }
        return active;
    }

    @Override
    public LogPage logs(String jobId, long afterTime, long beforeTime, boolean errorsOnly, int max, String cursor) {
        String fromSk = String.format("%013d", Math.max(0, afterTime + 1));
        int skip = 0;
        if (cursor != null) {
            // v1|logs:<jobId>|<sort key>|<entry index>: a cursor of this job's logs only (issue 20 item 7)
            String[] parts = dev.sluice.core.PageRequest.decode(cursor).split("\\|", -1);
            if (parts.length != 4 || !parts[0].equals("v1") || !parts[1].equals("logs:" + jobId)
                    || !parts[2].matches("\\d{13}[^|]{0,256}") || !parts[3].matches("\\d{1,6}")) {
                throw dev.sluice.core.PageRequest.badCursor();
            }
            fromSk = parts[2];
            skip = Integer.parseInt(parts[3]);
        }
        String toSk = String.format("%013d~", Math.min(9_999_999_999_999L, beforeTime - 1));
        if (beforeTime <= 0 || fromSk.compareTo(toSk) > 0) {
            // an empty window (afterTime >= beforeTime, or a cursor past it): DynamoDB refuses BETWEEN :a AND :b
            // with :a > :b (a ValidationException, a 500), so nothing is asked
            return new LogPage(List.of(), null);
        }
        List<LogEntry> result = new ArrayList<>();
        String from = fromSk;
        int firstSkip = skip;
        String[] next = {null};
        Dynamo.forEachRow(dynamo, b -> b.tableName(config.logsTable())
                .keyConditionExpression("jobId = :j AND sk BETWEEN :a AND :b")
                .expressionAttributeValues(Map.of(":j", s(jobId), ":a", s(from), ":b", s(toSk))), row -> {
            String sk = row.get("sk").s();
            LogEntry[] entries = entries(row);
            for (int i = sk.equals(from) ? firstSkip : 0; i < entries.length; i++) {
                if (errorsOnly && !LogEntry.ERROR.equals(entries[i].level())) {
                    continue;
                }
                if (result.size() == max) {
                    next[0] = dev.sluice.core.PageRequest.encode("v1|logs:" + jobId + "|" + sk + "|" + i);
                    return false;
                }
                result.add(entries[i]);
            }
            return true;
        });
        return new LogPage(result, next[0]);
    }

    /** Logs, then ledger rows (settlements and delivery progress), then the job row. */
    @Override
    public void delete(String jobId) {
        Dynamo.deletePartitionRows(dynamo, config.logsTable(), "jobId", jobId, "sk");
        Dynamo.deletePartitionRows(dynamo, config.ledgerTable(), "jobId", jobId, DynamoLedger.ENTRY);
        dynamo.deleteItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(jobId))));
        dynamo.deleteItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(counterKey(jobId)))));
    }

    @Override
    public DeliveryProgress deliveryProgress(String jobId, String batchId) {
        Map<String, AttributeValue> row = ledger.read(jobId, progressEntry(batchId)).orElse(null);
        if (row == null) {
            return DeliveryProgress.NONE;
        }
        String settledJson;
        String postedJson;
        if (row.containsKey(PROGRESS_GZ)) {
            com.fasterxml.jackson.databind.JsonNode both = Json.tree(gunzip(row.get(PROGRESS_GZ).b()));
            settledJson = both.get("settled").toString();
            postedJson = both.get("posted").toString();
        } else { // a row saved before progress was compressed (2026-12-07)
            settledJson = row.get("settled").s();
            postedJson = row.containsKey("posted") ? row.get("posted").s() : "{}";
        }
        Map<Long, LogEntry> settled = java.util.Arrays.stream(Json.read(settledJson, LogEntry[].class))
                .collect(Collectors.toMap(LogEntry::index, e -> e, (a, b) -> a, LinkedHashMap::new));
        Map<Long, Integer> attempts = new HashMap<>();
        Json.tree(postedJson).fields().forEachRemaining(e -> attempts.put(Long.parseLong(e.getKey()), e.getValue().asInt()));
        return new DeliveryProgress(settled, attempts);
    }

    /**
     * Saves the progress as one gzip-compressed JSON object {@code {"settled": [entries], "posted": {index: POSTs}}}
     * ({@value #PROGRESS_GZ}): DynamoDB bills a PutItem per KB of the item, and a batch's settled entries (its URLs
     * and outcomes) compress about tenfold, like the commits' log records.
     */
    @Override
    public void saveDeliveryProgress(String jobId, String batchId, DeliveryProgress progress, long now) {
        String json = "{\"settled\":" + Json.write(progress.settled().values()) + ",\"posted\":"
                + Json.write(progress.attempts()) + "}";
        ledger.put(jobId, progressEntry(batchId), now, Map.of(PROGRESS_GZ, AttributeValue.fromB(gzip(json))));
    }

    /** A delivery progress row's attribute: its settled entries and POSTs, gzip-compressed JSON. */
    private static final String PROGRESS_GZ = "progressGz";

    /** A delivery batch's progress row in the ledger (replaced as the batch goes on; not a settlement). */
    private static String progressEntry(String batchId) {
        return "progress#delivery#" + batchId;
    }

    private Job toJob(Map<String, AttributeValue> item) {
        long[] c = new long[COUNTERS.length];
        for (int i = 0; i < COUNTERS.length; i++) {
            AttributeValue v = item.get(COUNTERS[i]);
            c[i] = v == null ? 0 : Long.parseLong(v.n());
        }
        ItemCounters counters = new ItemCounters(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
        long updateTime = Long.parseLong(item.get("updateTime").n());
        return new Job(item.get("jobId").s(), Job.OBJECT, item.get("name").s(), item.get("projectId").s(),
                Json.read(item.get("spec").s(), JobSpec.class),
                new Job.Status(JobState.valueOf(item.get("overview").s()), str(item, "message"), str(item, "reason"),
                        counters, Long.parseLong(item.get("itemCount").n()), updateTime,
                        Job.Progress.of(num(item, "batchesSent"), num(item, "batchesDone"), num(item, "batchMillis"),
                                item.containsKey("startTime") ? Long.valueOf(item.get("startTime").n()) : null,
                                counters, Long.parseLong(item.get("itemCount").n()), System.currentTimeMillis(),
                                JobState.valueOf(item.get("overview").s()).isTerminal() ? updateTime : null),
                        dev.sluice.core.usage.UsageReport.of(UsageAttributes.read(item), dev.sluice.core.usage.UsageReport.deploymentRegion())),
                Long.parseLong(item.get("createTime").n()), updateTime,
                item.containsKey("metadata") ? metadata(item.get("metadata").s()) : Map.of(),
                item.containsKey("retries") ? item.get("retries").l().stream().map(AttributeValue::s).toList() : null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> metadata(String json) {
        return (Map<String, String>) Json.read(json, Map.class);
    }

    private static long[] counters(ItemCounters c) {
        return new long[]{c.gathered(), c.failedGather(), c.preprocessed(), c.failedProcess(), c.predicted(),
                c.failedPredict(), c.delivered(), c.failedDeliver(), c.skipped()};
    }

    private static long num(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? 0 : Long.parseLong(v.n());
    }

    private static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }
}
