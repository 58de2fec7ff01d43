package dev.sluice.aws;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** The small DynamoDB helpers every adapter of this package shares: attribute values, a paged query, cancellations. */
final class Dynamo {
    /**
     * The code of a cancellation reason whose item's condition expression was not met (<a
     * href="https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html">TransactWriteItems</a>,
     * "Errors").
     */
    static final String CONDITION_FAILED = "ConditionalCheckFailed";

    private Dynamo() {
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    /**
     * Runs a query page after page (each request starts at the previous page's {@code LastEvaluatedKey}, <a
     * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html">Query
     * pagination</a>), handing each row on until the handler returns false or the rows run out.
     *
     * @param query fills in the request (table, index, key condition, values, projection); not the start key
     */
    /**
     * Deletes every row of one partition, reading a page of keys at a time (at most 100) and deleting them 25 at a
     * time: memory does not grow with the partition.
     */
    static void deletePartitionRows(DynamoDbClient dynamo, String table, String partitionKey, String partition,
                                    String sortKey) {
        java.util.List<Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue>> page = new java.util.ArrayList<>();
        forEachRow(dynamo, b -> b.tableName(table).keyConditionExpression("#p = :p").limit(100)
                        .projectionExpression("#p, #s").expressionAttributeNames(Map.of("#p", partitionKey, "#s", sortKey))
                        .expressionAttributeValues(Map.of(":p", s(partition))), row -> {
                    page.add(Map.of(partitionKey, row.get(partitionKey), sortKey, row.get(sortKey)));
                    if (page.size() == 25) {
                        deleteKeys(dynamo, table, page);
                        page.clear();
                    }
                    return true;
                });
        if (!page.isEmpty()) {
            deleteKeys(dynamo, table, page);
        }
    }

    /**
     * One BatchWriteItem of deletes (at most 25), resending its {@code UnprocessedItems} with backoff and jitter until
     * none are left (BatchWriteItem may succeed partially on HTTP 200, CONVENTIONS).
     */
    private static void deleteKeys(DynamoDbClient dynamo, String table,
                                   java.util.List<Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue>> keys) {
        java.util.List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> requests = keys.stream()
                .map(k -> software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder()
                        .deleteRequest(d -> d.key(k)).build()).toList();
        Map<String, java.util.List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> pending = Map.of(table, requests);
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            if (attempt > 0) {
                if (attempt > 10) {
                    throw new IllegalStateException("DynamoDB kept " + pending.get(table).size()
                            + " deletes of " + table + " unprocessed");
                }
                backOff(attempt);
            }
            Map<String, java.util.List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> sending = pending;
            var response = dynamo.batchWriteItem(b -> b.requestItems(sending));
            pending = response.hasUnprocessedItems() ? response.unprocessedItems() : Map.of();
        }
    }

    /**
     * Waits before resending what a batch request left unprocessed: full jitter over 20 ms × 2^attempt (at most
     * 1.28 s).
     *
     * @throws IllegalStateException when interrupted
     */
    static void backOff(int attempt) {
        try {
            Thread.sleep(dev.sluice.core.Jitter.below(20L << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void forEachRow(DynamoDbClient dynamo, Consumer<QueryRequest.Builder> query,
                           Predicate<Map<String, AttributeValue>> row) {
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> startKey = start;
            QueryResponse response = dynamo.query(b -> {
                query.accept(b);
                b.exclusiveStartKey(startKey);
            });
            for (Map<String, AttributeValue> item : response.items()) {
                if (!row.test(item)) {
                    return;
                }
            }
            start = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                    ? response.lastEvaluatedKey() : null;
        } while (start != null);
    }

    /**
     * The indexes, in the cancelled request's {@code TransactItems}, of the writes whose condition failed: the <a
     * href="https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html">cancellation
     * reasons</a> are in the order of the request's items, code {@value #CONDITION_FAILED} for a condition that was not
     * met. Empty when the transaction was cancelled for another reason (a conflict with another transaction, a
     * throttle, a validation error).
     */
    static BitSet failedConditions(TransactionCanceledException cancelled) {
        BitSet failed = new BitSet();
        List<CancellationReason> reasons = cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
        for (int i = 0; i < reasons.size(); i++) {
            if (CONDITION_FAILED.equals(reasons.get(i).code())) {
                failed.set(i);
            }
        }
        return failed;
    }
}
