package dev.sluice.core.job;

import dev.sluice.core.pipeline.Stage;

import java.util.ArrayList;
import java.util.List;

/**
 * The terminal item outcomes a commit makes (issue 23 item 4): what {@code GET /batch/jobs/{id}/items} lists. Each
 * item of a job ends in exactly one terminal counter ({@link ItemCounters#terminal()}); the commit that moves it there
 * names it here, so the job's item records hold every line index once when the counters add up to its item count.
 *
 * <p>Derived from the commit's log entries, by one rule for every stage: an entry of a line (index ≥ 0) whose status
 * is terminal ({@link Status}) is that line's outcome; an inference commit that counts its predictions delivered (a
 * job without a webhook: the results part is the delivery) makes its {@code Predicted} entries {@code Delivered};
 * the fan-out's skip commit (a batch id from {@link #skipBatchId}) counts a range of lines that were never read, one
 * {@link SkippedLines} run, never expanded in memory.
 */
public final class ItemOutcomes {
    /** The terminal statuses of an item, as its log entries and the item listing name them. */
    public enum Status {
        Delivered, FailedGather, FailedProcess, FailedPredict, FailedDeliver, Skipped;

        /** The status of a log entry's status name when it is terminal, else null. */
        public static Status ofEntry(String status) {
            for (Status s : values()) {
                if (s.name().equals(status)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** A run of a commit's outcomes: one item, or a range of skipped lines. */
    public sealed interface Run {
        /** How many items the run holds. */
        long size();
    }

    /**
     * One item's outcome.
     *
     * @param code the dotted code of a failure (the reason's text before its first colon), null on Delivered
     */
    public record Outcome(long index, Status status, String code) implements Run {
        @Override
        public long size() {
            return 1;
        }
    }

    /** Lines {@code from} … {@code from + count - 1}, skipped without being read (the job ended before them). */
    public record SkippedLines(long from, long count) implements Run {
        @Override
        public long size() {
            return count;
        }
    }

    /** The code of skipped lines and of items of a batch skipped because its job had ended. */
    public static final String JOB_TERMINAL = "job.terminal";
    private static final String SKIP_PREFIX = "skip-";

    private ItemOutcomes() {
    }

    /** The fan-out's batch id for lines from {@code firstLine} on that will never run (counted skipped once). */
    public static String skipBatchId(long firstLine) {
        return SKIP_PREFIX + firstLine;
    }

    /**
     * The terminal outcomes of one commit, in entry order (empty when it ends no item). Their sizes add up to the
     * commit's {@code delta().terminal()}.
     */
    public static List<Run> of(JobStore.StageCommit commit) {
        List<Run> runs = new ArrayList<>();
        boolean predictedIsDelivered = commit.stage() == Stage.INFERENCE && commit.delta().delivered() > 0;
        long counted = 0;
        for (LogEntry e : commit.entries()) {
            if (e.index() == null || e.index() < 0) {
                continue; // a job event's delivery
            }
            Status status = predictedIsDelivered && "Predicted".equals(e.status()) ? Status.Delivered
                    : Status.ofEntry(e.status());
            if (status != null) {
                runs.add(new Outcome(e.index(), status, status == Status.Delivered ? null : codeOf(e.reason())));
                counted++;
            }
        }
        long rest = commit.delta().terminal() - counted;
        if (rest > 0 && commit.stage() == Stage.FANOUT && commit.batchId().startsWith(SKIP_PREFIX)) {
            runs.add(new SkippedLines(Long.parseLong(commit.batchId().substring(SKIP_PREFIX.length())),
                    commit.delta().skipped()));
        }
        return runs;
    }

    /** The dotted code a reason starts with ({@code gather.timeout: …}), or null when it has none. */
    public static String codeOf(String reason) {
        if (reason == null) {
            return null;
        }
        int colon = reason.indexOf(':');
        String code = colon < 0 ? reason : reason.substring(0, colon);
        return code.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+") ? code : null;
    }
}
