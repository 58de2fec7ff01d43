package dev.sluice.aws;

import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared ledger on DynamoDB Local (in package dev.sluice.aws to reach the package-private class): the outcome of a
 * settlement tells an existing row from a failed owner condition, and either way nothing is written.
 */
class DynamoLedgerTest {
    private static final long NOW = 1_700_000_000_123L;
    private static EmulatorStack stack;
    private static DynamoDbClient dynamo;
    private static SluiceConfig config;
    private static DynamoLedger ledger;
    private static int owners;
    private static final RecordedRequests requests = new RecordedRequests();

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        LocalProvisioner.Clients clients = LocalProvisioner.clients(stack, List.of(requests));
        config = LocalProvisioner.provision(clients, "ledger-", LocalProvisioner.QueueSettings.TEST, false);
        dynamo = clients.dynamo();
        ledger = new DynamoLedger(dynamo, config.ledgerTable());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A fresh owner item in the jobs table with {@code count = 0} and {@code open = 1}. */
    private static String owner() {
        String id = "owner_" + owners++;
        dynamo.putItem(b -> b.tableName(config.jobsTable()).item(Map.of("jobId", s(id), "count", n(0), "open", n(1))));
        return id;
    }

    /** ADD 1 to the owner's count, only while it is open. */
    private static TransactWriteItem countOne(String owner) {
        return TransactWriteItem.builder().update(u -> u.tableName(config.jobsTable()).key(Map.of("jobId", s(owner)))
                .updateExpression("ADD #c :one").conditionExpression("#o = :open")
                .expressionAttributeNames(Map.of("#c", "count", "#o", "open"))
                .expressionAttributeValues(Map.of(":one", n(1), ":open", n(1)))).build();
    }

    private static long count(String owner) {
        return Long.parseLong(dynamo.getItem(b -> b.tableName(config.jobsTable()).consistentRead(true)
                .key(Map.of("jobId", s(owner)))).item().get("count").n());
    }

    private static void close(String owner) {
        dynamo.updateItem(b -> b.tableName(config.jobsTable()).key(Map.of("jobId", s(owner)))
                .updateExpression("SET #o = :zero").expressionAttributeNames(Map.of("#o", "open"))
                .expressionAttributeValues(Map.of(":zero", n(0))));
    }

    private static Map<String, AttributeValue> row(String owner, String entry) {
        return DynamoLedger.row(owner, entry, NOW, Map.of("doc", s(entry)));
    }

    @Test
    void aSettlementWritesItsRowsAndCountsOnce_theSecondIsAlreadySettled_andWritesNothing() {
        String owner = owner();
        assertEquals(DynamoLedger.Outcome.APPLIED,
                ledger.settle(List.of(row(owner, "a#1"), row(owner, "a#2")), List.of(countOne(owner)), List.of()));
        assertEquals(1, count(owner));
        assertTrue(ledger.isSettled(owner, "a#1"));
        Map<String, AttributeValue> stored = ledger.read(owner, "a#2").orElseThrow();
        assertEquals("a#2", stored.get("doc").s());
        assertEquals(Long.toString(NOW / 1000 + 90L * 24 * 3600), stored.get("expiresAt").n(), "one TTL rule: 90 days");

        // a#3 is new, a#2 exists: the whole transaction is cancelled
        assertEquals(DynamoLedger.Outcome.ALREADY_SETTLED,
                ledger.settle(List.of(row(owner, "a#3"), row(owner, "a#2")), List.of(countOne(owner)), List.of()));
        assertEquals(1, count(owner), "counted once");
        assertFalse(ledger.isSettled(owner, "a#3"), "no row of a cancelled settlement is written");
    }

    @Test
    void whenTheOwnersConditionFails_theOutcomeSaysSo_andNoRowIsWritten_butAnExistingRowComesFirst() {
        String owner = owner();
        assertEquals(DynamoLedger.Outcome.APPLIED, ledger.settle(List.of(row(owner, "f#1")), List.of(countOne(owner)), List.of()));
        close(owner);
        assertEquals(DynamoLedger.Outcome.OWNER_CONDITION_FAILED,
                ledger.settle(List.of(row(owner, "f#2")), List.of(countOne(owner)), List.of()));
        assertFalse(ledger.isSettled(owner, "f#2"));
        assertEquals(DynamoLedger.Outcome.ALREADY_SETTLED,
                ledger.settle(List.of(row(owner, "f#1")), List.of(countOne(owner)), List.of()),
                "both conditions failed: settled before is the answer (a redelivery, not a late file)");
        assertEquals(1, count(owner));
    }

    @Test
    void aLoneRowIsSettledOnce() {
        String owner = owner();
        assertEquals(DynamoLedger.Outcome.APPLIED, ledger.settle(List.of(row(owner, "s#1")), List.of(), List.of()));
        assertEquals(DynamoLedger.Outcome.ALREADY_SETTLED, ledger.settle(List.of(row(owner, "s#1")), List.of(), List.of()));
        assertTrue(ledger.isSettled(owner, "s#1"));
    }

    @Test
    void aCancellationForAnotherReasonIsThrown_andWritesNothing() {
        String owner = owner();
        TransactWriteItem failingOther = TransactWriteItem.builder().put(p -> p.tableName(config.logsTable())
                .item(Map.of("jobId", s(owner), "sk", s("x"))).conditionExpression("attribute_exists(sk)")).build();
        assertThrows(TransactionCanceledException.class,
                () -> ledger.settle(List.of(row(owner, "o#1")), List.of(countOne(owner)), List.of(failingOther)));
        assertFalse(ledger.isSettled(owner, "o#1"));
        assertEquals(0, count(owner));
    }

    @Test
    void progressRowsAreReplaced_andRowsAreReadByRangeOrPrefix_inEntryOrder() {
        String owner = owner();
        ledger.put(owner, "progress#1", NOW, Map.of("v", s("first")));
        ledger.put(owner, "progress#1", NOW, Map.of("v", s("second")));
        assertEquals("second", ledger.read(owner, "progress#1").orElseThrow().get("v").s());
        assertTrue(ledger.read(owner, "progress#2").isEmpty());

        for (int i = 0; i < 6; i++) {
            assertEquals(DynamoLedger.Outcome.APPLIED,
                    ledger.settle(List.of(DynamoLedger.row(owner, "file#" + i, NOW, Map.of("doc", s("d" + i)))), List.of(), List.of()));
        }
        List<String> between = new ArrayList<>();
        ledger.forEachBetween(owner, "file#1", "file#4", r -> between.add(r.get("entry").s()));
        assertEquals(List.of("file#1", "file#2", "file#3", "file#4"), between);

        List<String> prefixed = new ArrayList<>();
        ledger.forEachWithPrefix(owner, "file#", "entry", r -> {
            assertFalse(r.containsKey("doc"), "projected");
            prefixed.add(r.get("entry").s());
            return true;
        });
        assertEquals(List.of("file#0", "file#1", "file#2", "file#3", "file#4", "file#5"), prefixed);

        List<String> firstTwo = new ArrayList<>();
        ledger.forEachWithPrefix(owner, "file#", null, r -> firstTwo.add(r.get("entry").s()) && firstTwo.size() < 2);
        assertEquals(List.of("file#0", "file#1"), firstTwo, "the handler stops the reading");
    }

    @Test
    void theSharedQueryLoopReadsPageAfterPage() {
        String owner = owner();
        for (int i = 0; i < 5; i++) {
            ledger.put(owner, "p#" + i, NOW, Map.of());
        }
        List<String> all = new ArrayList<>();
        int before = requests.of(QueryRequest.class).size();
        Dynamo.forEachRow(dynamo, b -> b.tableName(config.ledgerTable()).limit(2).keyConditionExpression("jobId = :o")
                .expressionAttributeValues(Map.of(":o", s(owner))), r -> all.add(r.get("entry").s()));
        assertEquals(List.of("p#0", "p#1", "p#2", "p#3", "p#4"), all);
        int queries = requests.of(QueryRequest.class).size() - before;
        assertTrue(queries >= 3, "pages of 2 rows: " + queries + " queries");
    }
}
