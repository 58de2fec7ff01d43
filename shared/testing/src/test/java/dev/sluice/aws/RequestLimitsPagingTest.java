package dev.sluice.aws;

import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;
import software.amazon.awssdk.services.sqs.model.SqsException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limits of {@link RequestLimits} that bound one answer rather than one request: a DynamoDB Query answers at most
 * 1 MB, an SQS ReceiveMessage at most 10 messages, an S3 ListObjectsV2 at most 1,000 keys. Sluice's readers go on
 * page after page; here each meets more than one page on the emulators, which keep the same limits (in package
 * dev.sluice.aws to reach the package-private query loop).
 */
class RequestLimitsPagingTest {
    private static EmulatorStack stack;
    private static LocalProvisioner.Clients clients;
    private static SluiceConfig config;
    private static final RecordedRequests requests = new RecordedRequests();

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        clients = LocalProvisioner.clients(stack, List.of(requests));
        config = LocalProvisioner.provision(clients, "paging-", LocalProvisioner.QueueSettings.TEST, false);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }


    @Test
    void query_answersAtMost1MB_andTheQueryLoopReadsEveryPage() {
        DynamoDbClient dynamo = clients.dynamo();
        dynamo.createTable(b -> b.tableName("paging-rows")
                .keySchema(k -> k.attributeName("p").keyType(KeyType.HASH), k -> k.attributeName("k").keyType(KeyType.RANGE))
                .attributeDefinitions(a -> a.attributeName("p").attributeType(ScalarAttributeType.S),
                        a -> a.attributeName("k").attributeType(ScalarAttributeType.S))
                .billingMode("PAY_PER_REQUEST"));
        int rows = 30;
        String payload = "x".repeat(100_000); // 30 rows of 100 KB: 3 MB under one partition key
        for (int i = 0; i < rows; i++) {
            String key = String.format("%03d", i);
            dynamo.putItem(b -> b.tableName("paging-rows").item(Map.of("p", Dynamo.s("one"),
                    "k", Dynamo.s(key), "v", Dynamo.s(payload))));
        }
        int before = requests.of(QueryRequest.class).size();
        List<String> keys = new ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName("paging-rows").keyConditionExpression("p = :p")
                .expressionAttributeValues(Map.of(":p", Dynamo.s("one"))), row -> keys.add(row.get("k").s()));
        int queries = requests.of(QueryRequest.class).size() - before;
        assertEquals(rows, new HashSet<>(keys).size(), "every row, once");
        long perAnswer = RequestLimits.QUERY_RESPONSE_BYTES / 100_000;
        assertTrue(queries >= rows / perAnswer, "3 MB of rows take at least 3 answers of 1 MB: " + queries + " queries");
    }

    @Test
    void receiveMessage_atMost10_andTheDeadLetterDrainAsksNoMore() {
        var sqs = clients.sqs();
        SqsBatchQueue queue = new SqsBatchQueue(sqs, config);
        String delivery = config.deliveryQueueUrl();
        String deliveryDlq = sqs.getQueueUrl(b -> b.queueName(delivery.substring(delivery.lastIndexOf('/') + 1) + "-dlq"))
                .queueUrl();
        for (int i = 0; i < 15; i++) {
            int n = i;
            sqs.sendMessage(b -> b.queueUrl(deliveryDlq).messageBody("{\"dead\":" + n + "}"));
        }
        SqsException refused = assertThrows(SqsException.class, () -> sqs.receiveMessage(b -> b.queueUrl(deliveryDlq)
                .maxNumberOfMessages(RequestLimits.SQS_RECEIVE_MAX + 1)), "the emulator keeps SQS's limit");
        assertEquals(400, refused.statusCode());
        int before = requests.of(ReceiveMessageRequest.class).size();
        Set<String> bodies = new HashSet<>();
        for (int round = 0; round < 10 && bodies.size() < 15; round++) {
            queue.receiveDeadLetters(BatchQueue.Name.DELIVERY, 25).forEach(m -> bodies.add(m.body()));
        }
        assertEquals(15, bodies.size(), "every dead letter, in answers of at most 10");
        List<ReceiveMessageRequest> drains = requests.of(ReceiveMessageRequest.class);
        drains.subList(before, drains.size()).stream().filter(r -> r.queueUrl().equals(deliveryDlq))
                .forEach(r -> assertTrue(r.maxNumberOfMessages() <= RequestLimits.SQS_RECEIVE_MAX,
                        "asked for " + r.maxNumberOfMessages()));
    }

    @Test
    void listObjectsV2_atMost1000Keys_andTheFolderListingFollowsTheCursor() {
        var s3 = clients.s3();
        s3.createBucket(b -> b.bucket("paging-folder"));
        int files = RequestLimits.S3_LIST_KEYS + 5;
        try (var uploads = java.util.concurrent.Executors.newFixedThreadPool(4)) { // never the common pool
            IntStream.range(0, files).forEach(i -> uploads.submit(() -> s3.putObject(b -> b.bucket("paging-folder")
                    .key(String.format("in/part-%05d.csv", i)), RequestBody.fromString("a\n" + i + "\n"))));
        }
        FolderStore folders = new UserFolders(s3);
        Folder folder = new Folder("paging-folder", "in");
        List<String> names = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            FolderStore.Listing page = folders.list(folder, cursor, 5_000);
            names.addAll(page.names());
            cursor = page.cursor();
            pages++;
        } while (cursor != null);
        assertEquals(files, new HashSet<>(names).size(), "every file, once");
        assertEquals(2, pages);
        requests.of(ListObjectsV2Request.class).forEach(r -> assertTrue(r.maxKeys() <= RequestLimits.S3_LIST_KEYS,
                "asked for " + r.maxKeys()));
    }
}
