package dev.sluice.core.usage;

/**
 * Per-project daily sums of usage: each job and execution adds its usage to the day (UTC) it ends, so a project's
 * usage over a range of days is read from one item per day, whatever the number of jobs.
 */
public interface UsageStore {
    /** The most days one {@link #project} call sums. */
    int MAX_DAYS = 366;

    /** Adds the usage of a job or execution that ended at {@code endTime} (epoch ms) to its project's day. */
    void rollUp(String projectId, long endTime, Usage use);

    /**
     * The project's usage of the days from {@code fromDay} to {@code toDay}, both included (UTC days), at most
     * {@link #MAX_DAYS} of them; the caller checks the range.
     */
    Usage project(String projectId, java.time.LocalDate fromDay, java.time.LocalDate toDay);
}
