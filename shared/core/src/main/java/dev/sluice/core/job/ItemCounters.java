package dev.sluice.core.job;

/**
 * The per-job item counters of the Datature JobItemStatus, plus {@code skipped}. Each success count equals the next
 * stage's successes plus failures; when the job is terminal, {@link #terminal()} equals the item count.
 */
public record ItemCounters(long gathered, long failedGather, long preprocessed, long failedProcess, long predicted,
                           long failedPredict, long delivered, long failedDeliver, long skipped) {
    public static final ItemCounters ZERO = new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Items that reached a terminal state. */
    public long terminal() {
        return failedGather + failedProcess + failedPredict + delivered + failedDeliver + skipped;
    }

    public ItemCounters plus(ItemCounters o) {
        return new ItemCounters(gathered + o.gathered, failedGather + o.failedGather, preprocessed + o.preprocessed,
                failedProcess + o.failedProcess, predicted + o.predicted, failedPredict + o.failedPredict,
                delivered + o.delivered, failedDeliver + o.failedDeliver, skipped + o.skipped);
    }

    /** The invariants of ARCHITECTURE.md for a terminal job; returns a description of the first one broken, or null. */
    public String violation(long itemCount) {
        if (terminal() != itemCount) {
            return "terminal " + terminal() + " != itemCount " + itemCount;
        }
        if (gathered != preprocessed + failedProcess) {
            return "gathered " + gathered + " != preprocessed + failedProcess";
        }
        if (preprocessed != predicted + failedPredict) {
            return "preprocessed " + preprocessed + " != predicted + failedPredict";
        }
        if (predicted != delivered + failedDeliver) {
            return "predicted " + predicted + " != delivered + failedDeliver";
        }
        return null;
    }
}
