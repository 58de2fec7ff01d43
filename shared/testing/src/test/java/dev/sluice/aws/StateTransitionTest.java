package dev.sluice.aws;

import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared conditional state transition on DynamoDB Local, on the catalog table whose state attribute is
 * {@code state} (a reserved word): a move from a state outside the set, or failing its further condition, returns false
 * and writes nothing; in a transaction, the other writes happen with the move or not at all.
 */
class StateTransitionTest {
    enum S { A, B, C, D }

    private static EmulatorStack stack;
    private static DynamoDbClient dynamo;
    private static String table;
    private static int items;

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        LocalProvisioner.Clients clients = LocalProvisioner.clients(stack, List.of());
        table = LocalProvisioner.provision(clients, "transition-", LocalProvisioner.QueueSettings.TEST, false).catalogTable();
        dynamo = clients.dynamo();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static Map<String, AttributeValue> item(S state) {
        Map<String, AttributeValue> key = Map.of("projectId", s("proj_t"), "id", s("item_" + items++));
        Map<String, AttributeValue> item = new java.util.HashMap<>(key);
        item.putAll(Map.of("state", s(state.name()), "n", n(1), "active", s("active")));
        dynamo.putItem(b -> b.tableName(table).item(item));
        return key;
    }

    private static Map<String, AttributeValue> read(Map<String, AttributeValue> key) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(key));
        return response.hasItem() ? response.item() : Map.of();
    }

    private static StateTransition move(Map<String, AttributeValue> key, Set<S> from, S to) {
        return StateTransition.of(table, key, "state", from, to).set("updateTime", n(7)).remove("active");
    }

    @Test
    void aMoveFromAStateOfTheSetApplies_withItsSetsAndRemoves_once() {
        Map<String, AttributeValue> key = item(S.B);
        assertTrue(move(key, EnumSet.of(S.A, S.B), S.C).set("reason", s("why")).apply(dynamo));
        Map<String, AttributeValue> after = read(key);
        assertEquals("C", after.get("state").s());
        assertEquals("7", after.get("updateTime").n());
        assertEquals("why", after.get("reason").s());
        assertFalse(after.containsKey("active"));
        assertFalse(move(key, EnumSet.of(S.A, S.B), S.D).apply(dynamo), "C is not in the set any more");

        Map<String, AttributeValue> single = item(S.A);
        assertTrue(move(single, Set.of(S.A), S.B).apply(dynamo), "a set of one state");
        assertEquals("B", read(single).get("state").s());
    }

    @Test
    void aMoveFromAStateOutsideTheSet_orFailingItsFurtherCondition_returnsFalseAndWritesNothing() {
        Map<String, AttributeValue> key = item(S.D);
        Map<String, AttributeValue> before = read(key);
        assertFalse(move(key, EnumSet.of(S.A, S.B, S.C), S.A).apply(dynamo));
        assertFalse(move(key, Set.of(S.D), S.A).when("n = :two", Map.of(":two", n(2))).apply(dynamo));
        assertEquals(before, read(key));
        assertTrue(move(key, Set.of(S.D), S.A).when("n = :one", Map.of(":one", n(1))).apply(dynamo));

        Map<String, AttributeValue> missing = Map.of("projectId", s("proj_t"), "id", s("item_missing"));
        assertFalse(move(missing, EnumSet.allOf(S.class), S.A).apply(dynamo), "no item: not in any state");
        assertEquals(Map.of(), read(missing), "and none created");
    }

    @Test
    void inATransaction_theOtherWritesHappenWithTheMoveOrNotAtAll() {
        Map<String, AttributeValue> key = item(S.A);
        Map<String, AttributeValue> marker = item(S.A);
        TransactWriteItem deleteMarker = TransactWriteItem.builder().delete(d -> d.tableName(table).key(marker)).build();

        assertFalse(move(key, Set.of(S.B), S.C).apply(dynamo, List.of(deleteMarker)));
        assertFalse(read(marker).isEmpty(), "the move failed: the marker stays");

        TransactWriteItem failingDelete = TransactWriteItem.builder().delete(d -> d.tableName(table).key(marker)
                .conditionExpression("attribute_not_exists(id)")).build();
        assertThrows(TransactionCanceledException.class, () -> move(key, Set.of(S.A), S.C).apply(dynamo, List.of(failingDelete)));
        assertEquals("A", read(key).get("state").s(), "another write's condition failed: the move is not made");

        assertTrue(move(key, Set.of(S.A), S.C).apply(dynamo, List.of(deleteMarker)));
        assertEquals("C", read(key).get("state").s());
        assertTrue(read(marker).isEmpty());
    }

    @Test
    void aMoveNeedsAStateToMoveFrom_andItsOwnPlaceholders() {
        Map<String, AttributeValue> key = item(S.A);
        assertThrows(IllegalArgumentException.class, () -> StateTransition.of(table, key, "state", Set.<S>of(), S.B));
        assertThrows(IllegalArgumentException.class,
                () -> move(key, Set.of(S.A), S.B).when("n = :from0", Map.of(":from0", n(1))));
    }
}
