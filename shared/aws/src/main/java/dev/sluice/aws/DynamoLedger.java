package dev.sluice.aws;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;

/**
 * The exactly-once ledger of jobs and executions: one table, pk {@value #OWNER} (the owner's id: a job id or an
 * execution id), sk {@value #ENTRY} (what was settled: {@code stage#batch} of a job, {@code file#index} of an
 * execution, {@code progress#delivery#batch} for a delivery's progress), TTL attribute {@value #EXPIRES_AT}.
 *
 * <p>A settlement ({@link #settle}) is one <a
 * href="https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html">TransactWriteItems</a>,
 * all or nothing: the ledger rows first, each with the <a
 * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html">condition</a>
 * {@code attribute_not_exists(entry)}, then the counter updates of the owner items (with their own conditions), then
 * any further writes (log records). A redelivered message settles the same entry again: its row exists, the whole
 * transaction is cancelled, and nothing is counted twice; a crash before the transaction counts nothing.
 *
 * <p>One TTL rule: every row written here expires {@link #RETENTION} (90 days) after it was written (DynamoDB <a
 * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html">TTL</a>: a Number of epoch
 * seconds). That outlives any redelivery (an SQS message lives at most 14 days), and an execution's report, which is
 * read from its file rows, stays readable as long.
 */
final class DynamoLedger {
    static final String OWNER = "jobId";
    static final String ENTRY = "entry";
    static final String EXPIRES_AT = "expiresAt";
    static final Duration RETENTION = Duration.ofDays(90);

    /** How a {@link #settle settlement} ended. */
    enum Outcome {
        /** Every write was made. */
        APPLIED,
        /** Nothing was written: a ledger row existed (settled before, e.g. a redelivered message). */
        ALREADY_SETTLED,
        /** Nothing was written: no ledger row existed, but an owner update's condition failed (e.g. no longer Running). */
        OWNER_CONDITION_FAILED
    }

    private final DynamoDbClient dynamo;
    private final String table;

    DynamoLedger(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The ledger table's name (rows beside the settlements, such as execution slot leases, are written there too). */
    String table() {
        return table;
    }

    /** The TTL attribute's value for an item written at {@code nowMillis}: epoch seconds, {@link #RETENTION} later. */
    static AttributeValue expiresAt(long nowMillis) {
        return n(nowMillis / 1000 + RETENTION.toSeconds());
    }

    /** A ledger row of {@code owner} for {@code entry}, written at {@code nowMillis}, with further attributes. */
    static Map<String, AttributeValue> row(String owner, String entry, long nowMillis, Map<String, AttributeValue> attributes) {
        Map<String, AttributeValue> row = new HashMap<>(attributes);
        row.put(OWNER, s(owner));
        row.put(ENTRY, s(entry));
        row.put(EXPIRES_AT, expiresAt(nowMillis));
        return row;
    }

    /**
     * Writes the rows (each only if its entry is not there yet), the owner updates and the other writes in one
     * transaction. A single row with nothing beside it is one conditional PutItem.
     *
     * @param rows         from {@link #row}
     * @param ownerUpdates the counter updates of the owner items, with their conditions
     * @param others       further writes with no condition of interest (log records)
     * @throws TransactionCanceledException when cancelled for another reason than a failed condition of a row or an
     *                                      owner update (a conflict with another transaction, a throttle, a validation
     *                                      error)
     */
    Outcome settle(List<Map<String, AttributeValue>> rows, List<TransactWriteItem> ownerUpdates,
                   List<TransactWriteItem> others) {
        if (rows.size() == 1 && ownerUpdates.isEmpty() && others.isEmpty()) {
            try {
                dynamo.putItem(b -> b.tableName(table).item(rows.get(0)).conditionExpression(notSettled()));
                return Outcome.APPLIED;
            } catch (ConditionalCheckFailedException e) {
                return Outcome.ALREADY_SETTLED;
            }
        }
        List<TransactWriteItem> writes = new ArrayList<>();
        for (Map<String, AttributeValue> row : rows) {
            writes.add(TransactWriteItem.builder().put(Put.builder().tableName(table).item(row)
                    .conditionExpression(notSettled()).build()).build());
        }
        writes.addAll(ownerUpdates);
        writes.addAll(others);
        try {
            dynamo.transactWriteItems(b -> b.transactItems(writes));
            return Outcome.APPLIED;
        } catch (TransactionCanceledException e) {
            BitSet failed = Dynamo.failedConditions(e);
            int firstFailed = failed.nextSetBit(0);
            if (firstFailed >= 0 && firstFailed < rows.size()) {
                return Outcome.ALREADY_SETTLED;
            }
            if (firstFailed >= 0 && firstFailed < rows.size() + ownerUpdates.size()) {
                return Outcome.OWNER_CONDITION_FAILED;
            }
            throw e;
        }
    }

    private static String notSettled() {
        return "attribute_not_exists(" + ENTRY + ")";
    }

    /** Whether {@code owner}'s entry was settled (a strongly consistent read). */
    boolean isSettled(String owner, String entry) {
        return read(owner, entry).isPresent();
    }

    /** {@code owner}'s row for {@code entry} (a strongly consistent read). */
    Optional<Map<String, AttributeValue>> read(String owner, String entry) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(Map.of(OWNER, s(owner), ENTRY, s(entry))));
        return response.hasItem() && !response.item().isEmpty() ? Optional.of(response.item()) : Optional.empty();
    }

    /** Writes {@code owner}'s row for {@code entry}, replacing any (progress that is saved again and again). */
    void put(String owner, String entry, long nowMillis, Map<String, AttributeValue> attributes) {
        dynamo.putItem(b -> b.tableName(table).item(row(owner, entry, nowMillis, attributes)));
    }

    /**
     * {@code owner}'s rows whose entry starts with {@code prefix}, in entry order, strongly consistent, until
     * {@code row} returns false.
     *
     * @param projection the attributes to read, or null for all
     */
    void forEachWithPrefix(String owner, String prefix, String projection, Predicate<Map<String, AttributeValue>> row) {
        Dynamo.forEachRow(dynamo, b -> b.tableName(table).consistentRead(true).projectionExpression(projection)
                .keyConditionExpression(OWNER + " = :o AND begins_with(" + ENTRY + ", :p)")
                .expressionAttributeValues(Map.of(":o", s(owner), ":p", s(prefix))), row);
    }

    /** {@code owner}'s rows with {@code from <= entry <= to}, in entry order, strongly consistent, until {@code row} returns false. */
    void forEachBetween(String owner, String from, String to, Predicate<Map<String, AttributeValue>> row) {
        Dynamo.forEachRow(dynamo, b -> b.tableName(table).consistentRead(true)
                .keyConditionExpression(OWNER + " = :o AND " + ENTRY + " BETWEEN :a AND :b")
                .expressionAttributeValues(Map.of(":o", s(owner), ":a", s(from), ":b", s(to))), row);
    }
}
