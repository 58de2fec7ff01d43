package dev.sluice.core.inference;

/**
 * Dynamic batching's rule, one for the whole house: a batch forming closes when it holds {@code maxItems} items or
 * {@code maxWaitMillis} passed since its first arrived, whichever comes first. The GPU worker forms its job batches
 * across SQS messages by it (200 ms: a receive is slow), and {@link CoalescingPredictor} forms one model call across
 * the files a task pool worker runs at once by it (a few ms: the callers are in the same process).
 *
 * @param maxItems      the most items one batch holds (≥ 1)
 * @param maxWaitMillis the longest a batch waits for companions after its first item, ms (≥ 0)
 */
public record BatchWindow(int maxItems, long maxWaitMillis) {
    public BatchWindow {
        if (maxItems < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("a batch window needs maxItems ≥ 1 and maxWaitMillis ≥ 0, not "
                    + maxItems + " and " + maxWaitMillis);
        }
    }

    /** Whether a batch of {@code items}, whose first came {@code sinceFirstMillis} ago, is closed. */
    public boolean closed(int items, long sinceFirstMillis) {
        return items >= maxItems || sinceFirstMillis >= maxWaitMillis;
    }
}
