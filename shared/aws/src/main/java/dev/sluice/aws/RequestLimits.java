package dev.sluice.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The AWS request limits Sluice relies on, in one place, each with the page that states it. Every batched request is
 * split with {@link #split} (or, for transactions, {@link DynamoJobStore#atomicGroups}) before it is sent, so no
 * request is ever refused for its size; each limit has a test in {@code RequestLimitsSplitTest} (this module, no
 * emulator), the emulator-backed {@code RequestLimitsTest} (requests) and {@code RequestLimitsPagingTest} (answers:
 * Query, ReceiveMessage, ListObjectsV2) in shared/testing. Only limits of requests Sluice makes are named here: a new
 * kind of request (BatchWriteItem, DeleteObjects…) adds its limit with its test.
 */
public final class RequestLimits {
    private RequestLimits() {
    }

    // DynamoDB

    /**
     * Actions in one TransactWriteItems
     * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
     * Used by DynamoJobStore.atomicGroups / commitTogether.
     */
    public static final int TRANSACT_ACTIONS = 100;
    /** Bytes of one TransactWriteItems, all items together (4 MB, counted as 4,000,000 to stay on the safe side; same page). */
    public static final long TRANSACT_BYTES = 4_000_000;
    /**
     * Bytes of one DynamoDB item (400 KB, counted as 400,000)
     * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
     */
    public static final long ITEM_BYTES = 400_000;
    /**
     * Bytes one Query or Scan reads before it answers with a LastEvaluatedKey (1 MB)
     * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html): every query pages
     * ({@code Dynamo.forEachRow}) instead of assuming one answer holds all.
     */
    public static final long QUERY_RESPONSE_BYTES = 1_000_000;
    /**
     * Keys of one BatchGetItem (100) (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html):
     * a job's read asks for its item and its counter item, a listing's page for both of each job, a usage range for
     * its days.
     */
    public static final int BATCH_GET_KEYS = 100;

    // SQS

    /**
     * Entries of one SQS batch request: SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch
     * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html,
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html,
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html).
     */
    public static final int SQS_BATCH_ENTRIES = 10;
    /** Bytes of one SendMessageBatch, all message bodies together (1 MiB; SendMessageBatch page). */
    public static final long SQS_BATCH_BYTES = 1024 * 1024;
    /**
     * Bytes of one SQS message, body and attributes: a queue's MaximumMessageSize, 256 KiB unless set (Sluice's
     * queues do not set it) (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html,
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html). The core
     * names the same number as {@link dev.sluice.core.pipeline.BatchQueue#MAX_MESSAGE_BYTES}; SqsBatchQueue refuses a
     * body over {@link dev.sluice.core.pipeline.BatchQueue#MAX_BODY_BYTES}.
     */
    public static final int SQS_MESSAGE_BYTES = 262_144;
    /**
     * Messages one ReceiveMessage returns at most (MaxNumberOfMessages 1 to 10)
     * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
     */
    public static final int SQS_RECEIVE_MAX = 10;

    // S3

    /**
     * Keys one ListObjectsV2 returns at most (1,000) (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html):
     * listings follow the continuation token.
     */
    public static final int S3_LIST_KEYS = 1000;

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
