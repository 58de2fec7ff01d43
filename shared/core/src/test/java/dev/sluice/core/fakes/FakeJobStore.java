package dev.sluice.core.fakes;

import dev.sluice.core.Clock;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.LogEntry;
import dev.sluice.core.job.JobStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * An in-memory {@link JobStore} with the contract of the DynamoDB adapter ({@code DynamoJobStore} in shared/aws):
 *
 * <ul>
 * <li>a commit writes a ledger entry {@code stage#batchId} that must not exist, adds its counter deltas and progress
 * to the job and appends its log entries, all or nothing ({@link #commitTogether}: false, and nothing written, when
 * any ledger entry exists; a transaction naming one ledger entry twice is refused, as DynamoDB refuses two actions on
 * one item; a commit for a job that does not exist throws, as the job update's {@code attribute_exists} condition
 * cancels the transaction for a reason other than the ledger);</li>
 * <li>{@link #atomicGroups} splits greedily by the same action count as the adapter (1 ledger item + 1 log record per
 * commit with entries, + 1 counter update and 1 item record per job of the group) within {@link #transactionActions} (DynamoDB's 100,
 * smaller in a test to force several groups); {@link #commitTogether} refuses commits that are not one group;</li>
 * <li>a transaction that ends items of a job appends one item record to the job's, numbered next ({@link #itemRecords});</li>
 * <li>{@link #transition} is conditional on the current state, keeps the previous reason when given none, and stamps
 * startTime on Running; {@link #finishIfComplete} needs Running and terminal == itemCount;</li>
 * <li>{@link #logs} returns entries ordered by (commit time, stage, batch), each with its id, paged by an opaque
 * cursor.</li>
 * </ul>
 * Thread-safe (every method is synchronized), since the services call it from virtual threads.
 */
public final class FakeJobStore implements JobStore {
    /** DynamoDB's TransactWriteItems limit (RequestLimits.TRANSACT_ACTIONS in shared/aws). */
    public static final int DYNAMO_TRANSACT_ACTIONS = 100;

    private final Clock clock;
    private final int transactionActions;
    private final Map<String, StoredJob> jobs = new LinkedHashMap<>();
    /** jobId → (ledger entry {@code stage#batchId} → results part, "" when none), in key order like a DynamoDB sort key. */
    private final Map<String, TreeMap<String, String>> ledger = new HashMap<>();
    /** jobId → log records by sort key {@code time#stage#batch}. */
    private final Map<String, TreeMap<String, List<LogEntry>>> logs = new HashMap<>();
    private final Map<String, DeliveryProgress> progress = new HashMap<>();
    /** jobId → item records, numbered from 1 in commit order (the list's position + 1). */
    private final Map<String, List<ItemRecord>> itemRecords = new HashMap<>();
    private int transactions;
    private Consumer<List<StageCommit>> beforeTransaction = c -> { };

    private static final class StoredJob {
        Job job;
        ItemCounters items = ItemCounters.ZERO;
        BatchProgress progress = BatchProgress.NONE;
        Long startTime;
        final List<String> retries = new ArrayList<>();
    }

    public FakeJobStore(Clock clock) {
        this(clock, DYNAMO_TRANSACT_ACTIONS);
    }

    /** @param transactionActions the most actions one atomic write may hold (DynamoDB: 100) */
    public FakeJobStore(Clock clock, int transactionActions) {
        this.clock = clock;
        this.transactionActions = transactionActions;
    }

    public int transactionActions() {
        return transactionActions;
    }

    /**
     * Runs before every transaction, with its commits, inside the store's lock: a test commits a duplicate of one of
     * them here to play a second worker that won the race.
     */
    public synchronized void beforeTransaction(Consumer<List<StageCommit>> hook) {
        this.beforeTransaction = hook;
    }

    // ---- the port ----

    @Override
    public synchronized void create(Job job) {
        if (jobs.containsKey(job.id())) {
            throw new IllegalStateException("job " + job.id() + " exists (attribute_not_exists(jobId) failed)");
        }
        StoredJob stored = new StoredJob();
        stored.job = job;
        jobs.put(job.id(), stored);
    }

    @Override
    public synchronized void delete(String jobId) {
        logs.remove(jobId);
        ledger.remove(jobId);
        itemRecords.remove(jobId);
        progress.keySet().removeIf(k -> k.startsWith(jobId + "/"));
        jobs.remove(jobId);
    }

    @Override
    public synchronized Optional<Job> get(String jobId) {
        StoredJob s = jobs.get(jobId);
        return s == null ? Optional.empty() : Optional.of(view(s));
    }

    private Job view(StoredJob s) {
        Job j = s.job;
        Job.Status st = j.status();
        return new Job(j.id(), j.object(), j.name(), j.projectId(), j.spec(),
                new Job.Status(st.overview(), st.message(), st.reason(), s.items, st.itemCount(), j.updateTime(),
                        Job.Progress.of(s.progress.batchesSent(), s.progress.batchesDone(), s.progress.batchMillis(),
                                s.startTime, s.items, st.itemCount(), clock.nowMillis(),
                                st.overview().isTerminal() ? j.updateTime() : null)),
                j.createTime(), j.updateTime(), j.metadata(), s.retries.isEmpty() ? null : List.copyOf(s.retries));
    }

    @Override
    public synchronized boolean addRetry(String jobId, String retryId) {
        StoredJob s = jobs.get(jobId);
        if (s == null || s.retries.size() >= Job.MAX_RETRIES) {
            return false;
        }
        s.retries.add(retryId);
        return true;
    }

    @Override
    public synchronized Page<Job> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        List<Job> all = jobs.values().stream().filter(s -> s.job.projectId().equals(projectId)).map(this::view)
                .filter(j -> j.listedBy(filter)).sorted(java.util.Comparator.comparing(Job::id).reversed()).limit(page.limit()).toList();
        return new Page<>(all, null, null);
    }

    @Override
    public synchronized boolean transition(String jobId, Set<JobState> from, JobState to, String message,
                                           String reason, long now) {
        StoredJob s = jobs.get(jobId);
        if (s == null || !from.contains(s.job.status().overview())) {
            return false;
        }
        if (to == JobState.Running) {
            s.startTime = now;
        }
        setStatus(s, to, message, reason == null ? s.job.status().reason() : reason, now);
        return true;
    }

    private static void setStatus(StoredJob s, JobState to, String message, String reason, long now) {
        Job j = s.job;
        Job.Status st = j.status();
        s.job = new Job(j.id(), j.object(), j.name(), j.projectId(), j.spec(),
                new Job.Status(to, message, reason, st.items(), st.itemCount(), now), j.createTime(), now);
    }

    @Override
    public synchronized List<Boolean> commitAll(List<StageCommit> commits) {
        List<Boolean> applied = new ArrayList<>();
        for (List<StageCommit> group : atomicGroups(commits)) {
            if (commitTogether(group)) {
                group.forEach(c -> applied.add(true));
            } else if (group.size() == 1) {
                applied.add(false);
            } else {
                for (StageCommit commit : group) {
                    applied.add(commitTogether(List.of(commit)));
                }
            }
        }
        return applied;
    }

    @Override
    public synchronized boolean commitTogether(List<StageCommit> commits) {
        if (commits.isEmpty()) {
            return true;
        }
        if (atomicGroups(commits).size() != 1) {
            throw new IllegalArgumentException(commits.size() + " commits are over one transaction's "
                    + transactionActions + " actions; commit the groups of atomicGroups one by one");
        }
        Set<String> keys = new HashSet<>();
        for (StageCommit c : commits) {
            if (!keys.add(c.jobId() + "/" + entry(c))) {
                throw new IllegalArgumentException("Transaction request cannot include multiple operations on one item: "
                        + c.jobId() + " " + entry(c));
            }
        }
        beforeTransaction.accept(commits);
        for (StageCommit c : commits) {
            if (ledger.getOrDefault(c.jobId(), new TreeMap<>()).containsKey(entry(c))) {
                return false; // ConditionalCheckFailed on a ledger item: nothing of the transaction is written
            }
        }
        for (StageCommit c : commits) {
            if (!jobs.containsKey(c.jobId())) {
                throw new IllegalStateException("TransactionCanceled: job " + c.jobId() + " does not exist");
            }
        }
        transactions++;
        Map<String, List<ItemRecord.Commit>> ended = new LinkedHashMap<>();
        for (StageCommit c : commits) {
            List<dev.sluice.core.job.ItemOutcomes.Run> runs = dev.sluice.core.job.ItemOutcomes.of(c);
            if (!runs.isEmpty()) {
                ended.computeIfAbsent(c.jobId(), k -> new ArrayList<>()).add(new ItemRecord.Commit(c.stage(), c.batchId(),
                        c.entries().isEmpty() ? null : JobStore.logKey(c), c.resultsPart(), runs));
            }
        }
        ended.forEach((jobId, ended1) -> {
            List<ItemRecord> records = itemRecords.computeIfAbsent(jobId, k -> new ArrayList<>());
            records.add(new ItemRecord(records.size() + 1, List.copyOf(ended1)));
        });
        for (StageCommit c : commits) {
            ledger.computeIfAbsent(c.jobId(), k -> new TreeMap<>()).put(entry(c), c.resultsPart() == null ? "" : c.resultsPart());
            StoredJob s = jobs.get(c.jobId());
            s.items = s.items.plus(c.delta());
            s.progress = s.progress.plus(c.progress());
            setStatus(s, s.job.status().overview(), s.job.status().message(), s.job.status().reason(),
                    Math.max(s.job.updateTime(), c.now()));
            if (!c.entries().isEmpty()) {
                String sk = JobStore.logKey(c);
                List<LogEntry> withIds = new ArrayList<>();
                for (int e = 0; e < c.entries().size(); e++) {
                    withIds.add(c.entries().get(e).withId(sk + "#" + e));
                }
                logs.computeIfAbsent(c.jobId(), k -> new TreeMap<>()).put(sk, withIds);
            }
        }
        return true;
    }

    private static String entry(StageCommit c) {
        return c.stage().ledgerKey(c.batchId());
    }

    @Override
    public synchronized List<List<StageCommit>> atomicGroups(List<StageCommit> commits) {
        List<List<StageCommit>> groups = new ArrayList<>();
        List<StageCommit> group = new ArrayList<>();
        Set<String> jobsInGroup = new HashSet<>();
        int actions = 0;
        for (StageCommit commit : commits) {
            int own = 1 + (commit.entries().isEmpty() ? 0 : 1);
            // per job of the group: its counter update and its item record
            int extra = own + (jobsInGroup.contains(commit.jobId()) ? 0 : 2);
            if (!group.isEmpty() && actions + extra > transactionActions) {
                groups.add(group);
                group = new ArrayList<>();
                jobsInGroup.clear();
                actions = 0;
                extra = own + 2;
            }
            group.add(commit);
            jobsInGroup.add(commit.jobId());
            actions += extra;
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    @Override
    public synchronized boolean isCommitted(String jobId, dev.sluice.core.pipeline.Stage stage, String batchId) {
        return ledger.getOrDefault(jobId, new TreeMap<>()).containsKey(stage.ledgerKey(batchId));
    }

    @Override
    public synchronized List<String> resultParts(String jobId) {
        LinkedHashSet<String> parts = new LinkedHashSet<>();
        ledger.getOrDefault(jobId, new TreeMap<>()).forEach((entry, part) -> {
            if (entry.startsWith(dev.sluice.core.pipeline.Stage.INFERENCE.ledgerPrefix()) && !part.isEmpty()) {
                parts.add(part);
            }
        });
        return new ArrayList<>(parts);
    }

    @Override
    public synchronized List<ItemRecord> itemRecords(String jobId, long fromSeq, int max) {
        List<ItemRecord> records = itemRecords.getOrDefault(jobId, List.of());
        int from = (int) Math.min(records.size(), Math.max(1, fromSeq) - 1);
        return List.copyOf(records.subList(from, Math.min(records.size(), from + max)));
    }

    @Override
    public synchronized List<LogEntry> commitLog(String jobId, String logKey) {
        List<LogEntry> entries = logs.getOrDefault(jobId, new TreeMap<>()).get(logKey);
        return entries == null ? List.of() : List.copyOf(entries);
    }

    @Override
    public synchronized String resultsPartOf(String jobId, String batchId) {
        return partOf(jobId, dev.sluice.core.pipeline.Stage.INFERENCE, batchId);
    }

    @Override
    public synchronized boolean finishIfComplete(String jobId, long now) {
        StoredJob s = jobs.get(jobId);
        if (s == null || s.job.status().overview() != JobState.Running || s.items.terminal() != s.job.status().itemCount()) {
            return false;
        }
        setStatus(s, JobState.Finished, JobState.Finished.name(), s.job.status().reason(), now);
        return true;
    }

    private final java.util.Set<String> completed = new java.util.HashSet<>();

    @Override
    public synchronized List<Job> activeJobs() {
        return jobs.values().stream().filter(s -> !completed.contains(s.job.id())).map(this::view).toList();
    }

    @Override
    public synchronized void completed(String jobId) {
        if (jobs.containsKey(jobId)) {
            completed.add(jobId);
        }
    }

    /** The cursor is the position in the filtered, ordered entries (opaque to callers, like the adapter's). */
    @Override
    public synchronized LogPage logs(String jobId, long afterTime, long beforeTime, boolean errorsOnly, int max,
                                     String cursor) {
        List<LogEntry> matching = new ArrayList<>();
        logs.getOrDefault(jobId, new TreeMap<>()).forEach((sk, entries) -> {
            long time = Long.parseLong(sk.substring(0, 13));
            if (time > afterTime && time < beforeTime) {
                entries.stream().filter(e -> !errorsOnly || LogEntry.ERROR.equals(e.level())).forEach(matching::add);
            }
        });
        int from = cursor == null ? 0 : Integer.parseInt(cursor);
        int to = Math.min(matching.size(), from + max);
        return new LogPage(List.copyOf(matching.subList(from, to)), to < matching.size() ? Integer.toString(to) : null);
    }

    @Override
    public synchronized DeliveryProgress deliveryProgress(String jobId, String batchId) {
        return progress.getOrDefault(jobId + "/" + batchId, DeliveryProgress.NONE);
    }

    @Override
    public synchronized void saveDeliveryProgress(String jobId, String batchId, DeliveryProgress p, long now) {
        // stored as the adapter stores it: a copy, read back later (a caller's later changes do not leak in)
        progress.put(jobId + "/" + batchId, new DeliveryProgress(new LinkedHashMap<>(p.settled()),
                new HashMap<>(p.attempts())));
        progressSaves++;
    }

    private int progressSaves;

    // ---- for assertions ----

    /** How many delivery progress rows were saved (each a PutItem on DynamoDB). */
    public synchronized int progressSaves() {
        return progressSaves;
    }

    /** The job's ledger entries ({@code stage#batchId}) in key order. */
    public synchronized List<String> ledgerEntries(String jobId) {
        return List.copyOf(ledger.getOrDefault(jobId, new TreeMap<>()).keySet());
    }

    /** The results part a ledger entry names, or null. */
    public synchronized String partOf(String jobId, dev.sluice.core.pipeline.Stage stage, String batchId) {
        String part = ledger.getOrDefault(jobId, new TreeMap<>()).get(stage.ledgerKey(batchId));
        return part == null || part.isEmpty() ? null : part;
    }

    /** Every log entry of the job, in log order. */
    public synchronized List<LogEntry> allLogs(String jobId) {
        return logs(jobId, -1, Long.MAX_VALUE, false, Integer.MAX_VALUE, null).entries();
    }

    public synchronized ItemCounters counters(String jobId) {
        return jobs.get(jobId).items;
    }

    public synchronized JobState state(String jobId) {
        return jobs.get(jobId).job.status().overview();
    }

    /** Transactions that wrote something. */
    public synchronized int transactions() {
        return transactions;
    }
}
