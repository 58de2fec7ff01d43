package dev.sluice.core.pipeline;

import dev.sluice.core.Json;
import dev.sluice.core.deployment.DeploymentTarget;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Routing of queue messages by their kind attribute, and by their body when they come without it. */
class RoutingTest {
    static final Item ITEM = new Item(0, null, Item.IMAGE, "https://example.com/execution/\"execution\".jpg");

    /** One message of each family, with the queue it travels on. */
    static final Map<QueueMessage, BatchQueue.Name> SAMPLES = Map.of(
            FanoutMessage.validate("proj_1", "dataset_1"), BatchQueue.Name.FANOUT,
            FanoutMessage.fanOut("batchjob_1", 10, 2), BatchQueue.Name.FANOUT,
            new BatchMessage("batchjob_1", "b0", List.of(ITEM)), BatchQueue.Name.INFERENCE,
            new BatchMessage("batchjob_1", "b1", List.of(ITEM)).deferred(), BatchQueue.Name.INFERENCE_GPU,
            DeliveryMessage.items("batchjob_1", "b0", "webhook_1", List.of(new DeliveryMessage.Payload(0, ITEM.url(), "{}"))),
            BatchQueue.Name.DELIVERY,
            DeliveryMessage.event("batchjob_1", "webhook_1", "job.completed", "{}"), BatchQueue.Name.DELIVERY,
            ExecutionTask.list("proj_1", "execution_1", null, 0), BatchQueue.Name.FANOUT,
            ExecutionTask.file("proj_1", "execution_1", 3, "a.csv"), BatchQueue.Name.INFERENCE);

    @Test
    void theAttributeDecides_whateverTheBodySays() {
        SAMPLES.forEach((message, queue) -> {
            Envelope e = message.envelope();
            assertEquals(e.kind(), Routing.kindOf(queue, e.kind().wire(), e.body()), e.body());
        });
        String task = Json.write(ExecutionTask.file("proj_1", "execution_1", 3, "a.csv"));
        assertEquals(MessageKind.BATCH, Routing.kindOf(BatchQueue.Name.INFERENCE, "Batch", task));
    }

    /** Messages in flight during a deploy (sent before the attribute existed) and the events/ fixtures. */
    @Test
    void withoutTheAttribute_theBodysDeclaredShapeGivesTheSameKind() {
        SAMPLES.forEach((message, queue) -> {
            Envelope e = message.envelope();
            assertEquals(e.kind(), Routing.kindOf(queue, null, e.body()), e.body());
        });
    }

    @Test
    void aDeliveryBodyOfTheShapeBeforeTypedContent_isRoutedAndReadAsTheSameContent() {
        // sent by the build before DeliveryMessage.Content, still in flight during a deploy
        String event = "{\"jobId\":\"batchjob_1\",\"batchId\":\"job.progress.25\",\"webhookId\":\"webhook_1\","
                + "\"payloads\":[{\"index\":-1,\"body\":\"{}\"}],\"event\":true}";
        String items = "{\"jobId\":\"batchjob_1\",\"batchId\":\"b7\",\"webhookId\":\"webhook_1\","
                + "\"payloads\":[{\"index\":3,\"url\":\"u\",\"body\":\"{}\"}],\"deferred\":true}";
        assertEquals(MessageKind.JOB_EVENT, Routing.kindOf(BatchQueue.Name.DELIVERY, null, event));
        assertEquals(MessageKind.DELIVERY, Routing.kindOf(BatchQueue.Name.DELIVERY, null, items));
        assertEquals(DeliveryMessage.event("batchjob_1", "webhook_1", "job.progress.25", "{}"),
                Json.read(event, DeliveryMessage.class));
        DeliveryMessage read = Json.read(items, DeliveryMessage.class);
        assertEquals(new DeliveryMessage.ItemPayloads("b7", List.of(new DeliveryMessage.Payload(3, "u", "{}"))),
                read.content());
        assertEquals(true, read.isDeferred());
        // and the current shape round-trips, its kind in the body's content
        DeliveryMessage typed = DeliveryMessage.event("batchjob_1", "webhook_1", "job.completed", "{}");
        assertEquals(typed, Json.read(Json.write(typed), DeliveryMessage.class));
        assertEquals("event", Json.tree(Json.write(typed)).path("content").path("kind").asText());
        assertEquals(MessageKind.JOB_EVENT, Routing.kindOf(BatchQueue.Name.DELIVERY, null, Json.write(typed)));
    }

    @Test
    void anUnknownAttribute_isTreatedAsAbsent() {
        String task = Json.write(ExecutionTask.list("proj_1", "execution_1", null, 0));
        assertEquals(MessageKind.EXECUTION_TASK, Routing.kindOf(BatchQueue.Name.FANOUT, "SomethingNewer", task));
        assertNull(MessageKind.fromWire("SomethingNewer"));
    }

    /** ExecutionTask.isOne matched the text "execution" before parsing; the body's fields decide now. */
    @Test
    void theWordExecutionInsideAValue_doesNotMakeABatchATask() {
        String batch = Json.write(new BatchMessage("batchjob_1", "b0", List.of(ITEM)));
        assertEquals(MessageKind.BATCH, Routing.kindOf(BatchQueue.Name.INFERENCE, null, batch));
        assertEquals(MessageKind.BATCH, Routing.kindOf(BatchQueue.Name.INFERENCE, null, "{\"execution\":null}"));
    }

    @Test
    void aBodyThatIsNotJson_getsItsQueuesJobKind_andThenFailsToParseAlone() {
        assertEquals(MessageKind.FANOUT, Routing.kindOf(BatchQueue.Name.FANOUT, null, "x"));
        assertEquals(MessageKind.BATCH, Routing.kindOf(BatchQueue.Name.INFERENCE_GPU, null, ""));
        assertEquals(MessageKind.DELIVERY, Routing.kindOf(BatchQueue.Name.DELIVERY, null, null));
    }

    /** The body of every message is the same JSON as before the sealed family: no new field on the wire. */
    @Test
    void bodiesCarryNoKindField() {
        SAMPLES.keySet().forEach(m -> {
            String body = m.envelope().body();
            assertEquals(false, Json.tree(body).has("kind"), body);
        });
        assertEquals("{\"type\":\"FanOut\",\"jobId\":\"batchjob_1\",\"offset\":10,\"lineIndex\":2}",
                Json.write(FanoutMessage.fanOut("batchjob_1", 10, 2)));
    }

    /** Stored in DynamoDB (ledger and log keys): these strings never change. */
    @Test
    void stageWireStrings_andLedgerKeys() {
        assertEquals(List.of("fanout", "inference", "delivery", "completion"),
                java.util.Arrays.stream(Stage.values()).map(Stage::wire).toList());
        assertEquals("inference#b7", Stage.INFERENCE.ledgerKey("b7"));
        assertEquals("delivery#", Stage.DELIVERY.ledgerPrefix());
        assertEquals(Stage.INFERENCE, Stage.of(BatchQueue.Name.INFERENCE_GPU));
        assertEquals(Stage.FANOUT, Stage.of(BatchQueue.Name.FANOUT));
    }

    /** The API's strings for deployment targets, and the queue each one's batches go to. */
    @Test
    void deploymentTargets() {
        assertEquals(DeploymentTarget.LAMBDA, DeploymentTarget.of(null));
        assertEquals(DeploymentTarget.LAMBDA, DeploymentTarget.of("Lambda"));
        assertEquals(DeploymentTarget.GPU_POOL, DeploymentTarget.of("GpuPool"));
        assertNull(DeploymentTarget.of("gpupool"));
        assertNull(DeploymentTarget.of("LAMBDA"));
        assertEquals("GpuPool", DeploymentTarget.GPU_POOL.wire());
        assertEquals(BatchQueue.Name.INFERENCE_GPU, DeploymentTarget.GPU_POOL.queue());
        assertEquals(BatchQueue.Name.INFERENCE, DeploymentTarget.LAMBDA.queue());
    }
}
