package dev.sluice.core.job;

import dev.sluice.core.Validation;

/**
 * {@code spec.errorBudget}: how many terminal failures a job tolerates before it is ended {@code Failed} with reason
 * {@value #EXCEEDED} (issue 24 item 2; Azure ML's {@code error_threshold}, Roboflow's {@code maxImageFailureRate}).
 * Either {@code maxFailures} (a count: exceeded at maxFailures + 1 failed items) or {@code maxFailureRate} in (0, 1]
 * counted once at least {@code minItems} items are terminal (failed or delivered; skipped items do not count). Off
 * when absent. Failures are items failed at any stage: failedGather, failedProcess, failedPredict, failedDeliver.
 */
public record ErrorBudget(Double maxFailureRate, Long minItems, Long maxFailures) {
    public static final String EXCEEDED = "job.error_budget_exceeded";
    public static final long DEFAULT_MIN_ITEMS = 100;

    /** 400 {@code job.bad_error_budget} unless exactly one of the two forms is given with values in range. */
    public void check() {
        boolean rate = maxFailureRate != null;
        boolean count = maxFailures != null;
        Validation.check(rate != count, "job.bad_error_budget",
                "spec.errorBudget takes either {maxFailureRate, minItems} or {maxFailures}, not both or neither");
        Validation.check(!rate || maxFailureRate > 0 && maxFailureRate <= 1, "job.bad_error_budget",
                "spec.errorBudget.maxFailureRate must be in (0, 1]");
        Validation.check(!rate || minItems == null || minItems >= 1, "job.bad_error_budget",
                "spec.errorBudget.minItems must be at least 1");
        Validation.check(rate || minItems == null, "job.bad_error_budget",
                "spec.errorBudget.minItems goes with maxFailureRate");
        Validation.check(!count || maxFailures >= 0, "job.bad_error_budget",
                "spec.errorBudget.maxFailures must be at least 0");
    }

    /** Failed items counted against the budget. */
    public static long failures(ItemCounters c) {
        return c.failedGather() + c.failedProcess() + c.failedPredict() + c.failedDeliver();
    }

    /** The reason a job with these counters has exceeded the budget, or null while it has not. */
    public String exceeded(ItemCounters c) {
        long failed = failures(c);
        if (maxFailures != null) {
            return failed > maxFailures ? EXCEEDED + ": " + failed + " items failed, more than maxFailures "
                    + maxFailures + "; the rest are counted as skipped" : null;
        }
        long counted = failed + c.delivered();
        long min = minItems == null ? DEFAULT_MIN_ITEMS : minItems;
        if (counted < min || failed <= maxFailureRate * counted) {
            return null;
        }
        return EXCEEDED + ": " + failed + " of " + counted + " ended items failed, more than maxFailureRate "
                + maxFailureRate + "; the rest are counted as skipped";
    }
}
