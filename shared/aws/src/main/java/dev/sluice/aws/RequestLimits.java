package dev.sluice.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The AWS request limits Sluice's batched requests are built to respect, in one place. Every batched request is
 * split with {@link #split} before it is sent, so no request is ever refused for its size.
 *
 * <ul>
 *   <li>DynamoDB {@code TransactWriteItems}: at most 100 actions and 4 MB in all
 *       (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html);
 *       one item at most 400 KB
 *       (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).</li>
 *   <li>SQS {@code SendMessageBatch}, {@code DeleteMessageBatch}, {@code ChangeMessageVisibilityBatch}: at most 10
 *       entries; a send at most 1 MiB for all messages together
 *       (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).</li>
 * </ul>
 */
public final class RequestLimits {
    private RequestLimits() {
    }

    /** Actions in one TransactWriteItems. */
    public static final int TRANSACT_ACTIONS = 100;
    /** Bytes of one TransactWriteItems, all items together (4 MB, counted as 4,000,000 to stay on the safe side). */
    public static final long TRANSACT_BYTES = 4_000_000;
    /** Bytes of one DynamoDB item (400 KB, counted as 400,000). */
    public static final long ITEM_BYTES = 400_000;
    /** Entries of one SQS batch request (send, delete, change visibility). */
    public static final int SQS_BATCH_ENTRIES = 10;
    /** Bytes of one SendMessageBatch, all message bodies together (1 MiB). */
    public static final long SQS_BATCH_BYTES = 1024 * 1024;

    /**
     * Splits items, in order, into consecutive groups of at most maxCount items whose sizes add up to at most
     * maxBytes. An item larger than maxBytes alone is a group of its own (the caller decides what to do with it).
     */
    public static <T> List<List<T>> split(List<T> items, int maxCount, long maxBytes, ToLongFunction<T> size) {
        List<List<T>> groups = new ArrayList<>();
        List<T> group = new ArrayList<>();
        long bytes = 0;
        for (T item : items) {
            long s = size.applyAsLong(item);
            if (!group.isEmpty() && (group.size() == maxCount || bytes + s > maxBytes)) {
                groups.add(group);
                group = new ArrayList<>();
                bytes = 0;
            }
            group.add(item);
            bytes += s;
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    /** The same, by count only. */
    public static <T> List<List<T>> split(List<T> items, int maxCount) {
        return split(items, maxCount, Long.MAX_VALUE, t -> 0);
    }
}
