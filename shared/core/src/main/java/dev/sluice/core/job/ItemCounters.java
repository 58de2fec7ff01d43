package dev.sluice.core.job;

/**
 * The per-job item counters of the Datature JobItemStatus, plus {@code skipped}. Each success count equals the next
 * stage's successes plus failures; when the job is terminal, {@link #terminal()} equals the item count.
 */
public record ItemCounters(long gathered, long failedGather, long preprocessed, long failedProcess, long predicted,
                           long failedPredict, long delivered, long failedDeliver, long skipped) {
    public static final ItemCounters ZERO = new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, 0);

    // Named constructors, one per outcome a stage commits. The inference stage's counts an item along its whole path
    // (an item that failed prediction was gathered and preprocessed first); the delivery stage's count only its own
    // outcome (the item was counted as predicted by inference). Add them up with plus.

    /** n items whose fetch failed (inference, or fan-out for lines that never became items). */
    public static ItemCounters failedGather(long n) {
        return new ItemCounters(0, n, 0, 0, 0, 0, 0, 0, 0);
    }

    /** n items gathered whose decoding or preprocessing failed. */
    public static ItemCounters failedProcess(long n) {
        return new ItemCounters(n, 0, 0, n, 0, 0, 0, 0, 0);
    }

    /** n items gathered and preprocessed whose prediction failed. */
    public static ItemCounters failedPredict(long n) {
        return new ItemCounters(n, 0, n, 0, 0, n, 0, 0, 0);
    }

    /** n items gathered, preprocessed and predicted (not yet delivered). */
    public static ItemCounters predicted(long n) {
        return new ItemCounters(n, 0, n, 0, n, 0, 0, 0, 0);
    }

    /** n predicted items delivered (their webhook answered 2xx, or the results part is their delivery). */
    public static ItemCounters delivered(long n) {
        return new ItemCounters(0, 0, 0, 0, 0, 0, n, 0, 0);
    }

    /** n predicted items whose delivery failed for good. */
    public static ItemCounters failedDeliver(long n) {
        return new ItemCounters(0, 0, 0, 0, 0, 0, 0, n, 0);
    }

    /** n items never processed (the job ended first, or their lines were not read). */
    public static ItemCounters skipped(long n) {
        return new ItemCounters(0, 0, 0, 0, 0, 0, 0, 0, n);
    }

    /** Items that reached a terminal state. */
    public long terminal() {
        return failedGather + failedProcess + failedPredict + delivered + failedDeliver + skipped;
    }

    public ItemCounters plus(ItemCounters o) {
        return new ItemCounters(gathered + o.gathered, failedGather + o.failedGather, preprocessed + o.preprocessed,
                failedProcess + o.failedProcess, predicted + o.predicted, failedPredict + o.failedPredict,
                delivered + o.delivered, failedDeliver + o.failedDeliver, skipped + o.skipped);
    }

    /** The invariants of docs/ARCHITECTURE.md for a terminal job; returns a description of the first one broken, or null. */
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
