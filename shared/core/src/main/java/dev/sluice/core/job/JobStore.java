package dev.sluice.core.job;

import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.pipeline.Stage;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Jobs, their counters, the exactly-once ledger and the per-batch log records. */
public interface JobStore {
    void create(Job job);

    Optional<Job> get(String jobId);

    /**
     * Deletes a job's rows: its log entries and ledger rows (a page at a time), then the job itself, so a delete cut
     * short is finished by the next. The caller checks the job is its project's and ended.
     */
    void delete(String jobId);

    default Page<Job> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** The project's jobs the filter lists, newest first; memory holds one page; cursors are bound to the filter. */
    Page<Job> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter);

    /**
     * Links a retry to the job it retries: appends {@code retryId} to the job's {@code retries} in one conditional
     * write, while the job exists and has fewer than {@link Job#MAX_RETRIES}; false otherwise (nothing written).
     */
    boolean addRetry(String jobId, String retryId);

    /** Conditional state change; false when the job was not in one of {@code from}. */
    boolean transition(String jobId, Set<JobState> from, JobState to, String message, String reason, long now);

    /**
     * Applies one stage's outcome for one batch: counter deltas and log entries, exactly once per
     * (job, stage, batchId). Returns false when that commit was already applied (a redelivered batch).
     */
    default boolean commit(StageCommit commit) {
        return commitAll(List.of(commit)).get(0);
    }

    /**
     * Several commits at once, in as few requests as possible (one transaction when none was applied before); the
     * result says, per commit, whether it was applied now (false: it had been applied before).
     */
    List<Boolean> commitAll(List<StageCommit> commits);

    /**
     * All of the commits in one transaction, or none of them: false when any of them had been applied before. What a
     * caller needs when the commits share something written beforehand (a results part holding several batches).
     * The commits must be one group of {@link #atomicGroups} (IllegalArgumentException otherwise).
     */
    boolean commitTogether(List<StageCommit> commits);

    /**
     * The commits, in order, in groups that one atomic write can apply within the store's request limits (for
     * DynamoDB, TransactWriteItems' 100 actions and 4 MB); a commit is never split, and one commit alone is always a
     * group that fits.
     */
    List<List<StageCommit>> atomicGroups(List<StageCommit> commits);

    boolean isCommitted(String jobId, Stage stage, String batchId);

    /** The results parts named by the job's committed inference batches, each once. */
    List<String> resultParts(String jobId);

    /**
     * The job's item records (issue 23 item 4) numbered {@code fromSeq} and after, in commit order, at most
     * {@code max}: a strongly consistent read of one page. Every commit transaction that ends items of a job writes
     * one record with the next number of that job, under a condition on the job's last number in the same
     * transaction, so the numbers have no gap and a record never appears behind one already read.
     */
    List<ItemRecord> itemRecords(String jobId, long fromSeq, int max);

    /**
     * The log entries of one commit (its log record's sort key, {@link ItemRecord.Commit#logKey}), in order: where
     * the item listing reads the URLs and reasons of the items a record names.
     */
    List<LogEntry> commitLog(String jobId, String logKey);

    /** The results part the ledger names for the job's inference batch, or null (none, or not committed). */
    String resultsPartOf(String jobId, String batchId);

    /**
     * One commit transaction's terminal item outcomes for one job, numbered from 1 in commit order.
     *
     * @param commits the transaction's commits of the job that ended items, in order
     */
    record ItemRecord(long seq, List<Commit> commits) {
        /** Items in the record (a range of skipped lines counts each line). */
        public long size() {
            return commits.stream().mapToLong(Commit::size).sum();
        }

        /**
         * @param logKey      the sort key of the commit's log record (null when it wrote none)
         * @param resultsPart the results part an inference commit named (null otherwise)
         */
        public record Commit(Stage stage, String batchId, String logKey, String resultsPart,
                             List<ItemOutcomes.Run> runs) {
            public long size() {
                return runs.stream().mapToLong(ItemOutcomes.Run::size).sum();
            }
        }
    }

    /** Moves a Running job whose every item is terminal to Finished (a conditional write on exact counters). */
    boolean finishIfComplete(String jobId, long now);

    /**
     * The jobs that are not terminal (Waiting or Running), and the ended ones whose end was not recorded yet
     * ({@link #completed}): a completion that failed (a destination bucket that refused the manifest) is made again
     * by the scheduler's sweep instead of never.
     */
    List<Job> activeJobs();

    /**
     * Records that the ended job's completion is done (its manifest, errors file and end event went out): it leaves
     * {@link #activeJobs}; then adds to the job's usage what this process counted for it since its last write that
     * carried usage (the end's own writes), with that write's own units. Idempotent; a job that does not exist is
     * ignored.
     */
    void completed(String jobId);

    /**
     * Log entries written after afterTime and before beforeTime, oldest first, at most max; only errors if asked.
     * The page's cursor (null on the last page) continues exactly where this page stopped.
     */
    LogPage logs(String jobId, long afterTime, long beforeTime, boolean errorsOnly, int max, String cursor);

    record LogPage(List<LogEntry> entries, String nextPage) {
    }

    /**
     * Where a batch's delivery stands between attempts: the items already settled, keyed by line index, and how many
     * times each item was POSTed so far, keyed by line index (the webhook's retry budget counts an item's own POSTs:
     * not SQS receives, and not rounds of its batch in which the item was deferred).
     */
    record DeliveryProgress(java.util.Map<Long, LogEntry> settled, java.util.Map<Long, Integer> attempts) {
        public static final DeliveryProgress NONE = new DeliveryProgress(java.util.Map.of(), java.util.Map.of());
    }

    DeliveryProgress deliveryProgress(String jobId, String batchId);

    void saveDeliveryProgress(String jobId, String batchId, DeliveryProgress progress, long now);

    /**
     * The sort key of a commit's first log record: {@code time#stage#batch} (time in epoch ms, 13 digits); further
     * records of the same commit follow as {@code time#stage#batch#n}.
     */
    static String logKey(StageCommit commit) {
        return String.format("%013d#%s#%s", commit.now(), commit.stage().wire(), commit.batchId());
    }

    /** resultsPart: the S3 key of the part holding this batch's results, if it has any. */
    record StageCommit(String jobId, Stage stage, String batchId, ItemCounters delta, List<LogEntry> entries,
                       long now, String resultsPart, BatchProgress progress) {
        public StageCommit(String jobId, Stage stage, String batchId, ItemCounters delta, List<LogEntry> entries,
                           long now, String resultsPart) {
            this(jobId, stage, batchId, delta, entries, now, resultsPart, BatchProgress.NONE);
        }

        public StageCommit withResultsPart(String key) {
            return new StageCommit(jobId, stage, batchId, delta, entries, now, key, progress);
        }
    }

    /** Progress counters a commit adds: batches the fan-out sent, batches done, and the time they took. */
    record BatchProgress(long batchesSent, long batchesDone, long batchMillis) {
        public static final BatchProgress NONE = new BatchProgress(0, 0, 0);

        public BatchProgress plus(BatchProgress o) {
            return new BatchProgress(batchesSent + o.batchesSent, batchesDone + o.batchesDone, batchMillis + o.batchMillis);
        }
    }
}
