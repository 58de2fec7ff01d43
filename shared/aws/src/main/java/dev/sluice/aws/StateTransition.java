package dev.sluice.aws;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.sluice.aws.Dynamo.s;

/**
 * The conditional move of an owner item (a job, an execution) from one of a set of states to another: one update whose
 * <a href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html">condition
 * expression</a> is {@code #state IN (:from0, :from1, …)} (<a
 * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html">IN
 * takes up to 100 values</a>; {@code =} for one state), so of two racing moves exactly one applies, and a move from a
 * state outside the set writes nothing. The state attribute is named through {@code #state} ({@code state} is a <a
 * href="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html">reserved word</a>).
 *
 * <p>Built once per move: {@link #set}/{@link #remove} add the attributes the caller changes beside the state,
 * {@link #when} a further condition. Applied alone ({@link #apply(DynamoDbClient)}, an UpdateItem) or first in one
 * TransactWriteItems with writes that must happen with it ({@link #apply(DynamoDbClient, List)}, e.g. an execution
 * releasing its guard and its active marker). Not thread-safe; not reusable after it was applied.
 */
final class StateTransition {
    private final String table;
    private final Map<String, AttributeValue> key;
    private final StringBuilder sets = new StringBuilder();
    private final List<String> removes = new ArrayList<>();
    private final List<String> adds = new ArrayList<>();
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, AttributeValue> values = new HashMap<>();
    private String condition;

    private StateTransition(String table, Map<String, AttributeValue> key, String stateAttribute,
                            Set<? extends Enum<?>> from, Enum<?> to) {
        if (from.isEmpty()) {
            throw new IllegalArgumentException("a transition needs at least one state to move from");
        }
        this.table = table;
        this.key = key;
        names.put("#state", stateAttribute);
        List<String> froms = new ArrayList<>();
        for (Enum<?> state : from) {
            String placeholder = ":from" + froms.size();
            values.put(placeholder, s(state.name()));
            froms.add(placeholder);
        }
        condition = froms.size() == 1 ? "#state = " + froms.get(0) : "#state IN (" + String.join(", ", froms) + ")";
        set("#state", s(to.name()));
    }

    /**
     * @param key            the owner item's primary key
     * @param stateAttribute the attribute holding the state's enum name ({@code overview} of a job, {@code state} of an
     *                       execution)
     * @param from           the states the item may be in for the move to apply; not empty
     */
    static StateTransition of(String table, Map<String, AttributeValue> key, String stateAttribute,
                              Set<? extends Enum<?>> from, Enum<?> to) {
        return new StateTransition(table, key, stateAttribute, from, to);
    }

    /** Also {@code SET attribute = value} (an attribute name that is not a reserved word). */
    StateTransition set(String attribute, AttributeValue value) {
        String placeholder = ":set" + values.size();
        values.put(placeholder, value);
        sets.append(sets.isEmpty() ? "SET " : ", ").append(attribute).append(" = ").append(placeholder);
        return this;
    }

    /** Also adds the usage to the item's usage attributes (atomic {@code ADD}, {@link UsageAttributes}). */
    StateTransition add(dev.sluice.core.usage.Usage use) {
        UsageAttributes.add(use, adds, names, values);
        return this;
    }

    /** Also {@code REMOVE attribute} (e.g. a job's sparse index attribute {@code active} when it ends). */
    StateTransition remove(String attribute) {
        removes.add(attribute);
        return this;
    }

    /**
     * Also requires {@code condition} (ANDed), e.g. {@code terminal = itemCount}.
     *
     * @param conditionValues its placeholders' values; names other than {@code :from…} and {@code :set…}
     */
    StateTransition when(String condition, Map<String, AttributeValue> conditionValues) {
        for (Map.Entry<String, AttributeValue> v : conditionValues.entrySet()) {
            if (values.putIfAbsent(v.getKey(), v.getValue()) != null) {
                throw new IllegalArgumentException("placeholder " + v.getKey() + " is taken");
            }
        }
        this.condition = this.condition + " AND (" + condition + ")";
        return this;
    }

    private String updateExpression() {
        return sets + (removes.isEmpty() ? "" : " REMOVE " + String.join(", ", removes))
                + (adds.isEmpty() ? "" : " ADD " + String.join(", ", adds));
    }

    /** As an action of a TransactWriteItems. */
    private TransactWriteItem asTransactItem() {
        return TransactWriteItem.builder().update(Update.builder().tableName(table).key(key)
                .updateExpression(updateExpression()).conditionExpression(condition)
                .expressionAttributeNames(names).expressionAttributeValues(values).build()).build();
    }

    /** One UpdateItem: true when applied, false when the item was not in a state of the set (or {@link #when} failed). */
    boolean apply(DynamoDbClient dynamo) {
        try {
            dynamo.updateItem(b -> b.tableName(table).key(key).updateExpression(updateExpression())
                    .conditionExpression(condition).expressionAttributeNames(names).expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /**
     * The move and {@code with} in one TransactWriteItems (the move first), all or nothing; with nothing beside it, one
     * UpdateItem. True when applied; false when the move's own condition failed.
     *
     * @throws TransactionCanceledException when it was cancelled for another reason (a condition of {@code with}, a
     *                                      conflict with another transaction on these items, a throttle)
     */
    boolean apply(DynamoDbClient dynamo, List<TransactWriteItem> with) {
        if (with.isEmpty()) {
            return apply(dynamo);
        }
        List<TransactWriteItem> writes = new ArrayList<>();
        writes.add(asTransactItem());
        writes.addAll(with);
        try {
            dynamo.transactWriteItems(b -> b.transactItems(writes));
            return true;
        } catch (TransactionCanceledException e) {
            if (Dynamo.failedConditions(e).get(0)) {
                return false;
            }
            throw e;
        }
    }
}
