package dev.sluice.core.job;

/**
 * {@code status.outcome} of an ended job or execution: what the user got, beside the {@code overview} that says how it
 * ended (kept unchanged for compatibility). A job that Finished with every item failing is {@link #Failed}, not a
 * success: a wrong answer reported as success is the worst bug (issue 24 item 1).
 */
public enum Outcome {
    /** Every item delivered (every file finished, every row predicted). */
    Succeeded,
    /** Some items delivered and some failed or were skipped. */
    PartiallySucceeded,
    /** Nothing delivered, or the job failed for a reason of its own (dataset changed, stalled). */
    Failed,
    /** Ended before its end: cancelled, timed out, or its error budget was exceeded. */
    Stopped;

    /**
     * The outcome of a job in state overview with these counters, or null while it runs.
     *
     * @param reason the status reason; {@code job.error_budget_exceeded…} makes a Failed job Stopped
     */
    public static Outcome ofJob(JobState overview, String reason, ItemCounters items, long itemCount) {
        if (overview == null || !overview.isTerminal()) {
            return null;
        }
        return switch (overview) {
            case Cancelled, TimedOut -> Stopped;
            case Failed -> reason != null && reason.startsWith(ErrorBudget.EXCEEDED) ? Stopped : Failed;
            default -> items == null ? Failed : ofCounts(items.delivered(), itemCount);
        };
    }

    /** Succeeded when done equals total (nothing to do counts as success), Failed when none was done. */
    public static Outcome ofCounts(long done, long total) {
        if (done >= total) {
            return Succeeded;
        }
        return done == 0 ? Failed : PartiallySucceeded;
    }
}
