package dev.sluice.aws.lambda;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.MessageKind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SqsBatches.route: each message to the handler of its kind, as the attribute (or, without it, the body) says. */
class SqsBatchesTest {
    static SQSEvent.SQSMessage message(String id, String kind, String body) {
        SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
        m.setMessageId(id);
        m.setBody(body);
        if (kind != null) {
            SQSEvent.MessageAttribute a = new SQSEvent.MessageAttribute();
            a.setDataType("String");
            a.setStringValue(kind);
            m.setMessageAttributes(Map.of(MessageKind.ATTRIBUTE, a));
        }
        return m;
    }

    @Test
    void eachKindGoesToItsRoute_inOrder_andAKindWithoutARouteFailsAlone() {
        String fanOut = Json.write(FanoutMessage.fanOut("batchjob_1", 0, 0));
        String listing = Json.write(ExecutionTask.list("proj_1", "execution_1", null, 0));
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(
                message("m1", "FanOut", fanOut),
                message("m2", "ExecutionTask", listing),
                message("m3", null, listing),        // sent before the attribute existed: its body decides
                message("m4", null, fanOut),
                message("m5", "Batch", fanOut),      // a batch on the fan-out queue: no route takes it
                message("m6", "FanOut", "not json"))); // its route's parse fails it alone
        List<String> calls = new ArrayList<>();
        SQSBatchResponse response = SqsBatches.route(event, BatchQueue.Name.FANOUT,
                SqsBatches.Route.of(MessageKind.FANOUT, e -> SqsBatches.together(e, FanoutMessage.class, parsed -> {
                    parsed.forEach(p -> calls.add("fanout " + p.message().getMessageId()));
                    return parsed.stream().map(p -> true).toList();
                })),
                SqsBatches.Route.of(MessageKind.EXECUTION_TASK, e -> SqsBatches.together(e, ExecutionTask.class,
                        parsed -> {
                            parsed.forEach(p -> calls.add("task " + p.message().getMessageId()));
                            return parsed.stream().map(p -> true).toList();
                        })));
        assertEquals(List.of("fanout m1", "fanout m4", "task m2", "task m3"), calls);
        assertEquals(List.of("m5", "m6"), response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).sorted().toList());
    }

    @Test
    void kindOf_readsTheAttribute_orTheBody() {
        String listing = Json.write(ExecutionTask.list("proj_1", "execution_1", null, 0));
        assertEquals(MessageKind.EXECUTION_TASK, SqsBatches.kindOf(BatchQueue.Name.FANOUT, message("a", null, listing)));
        assertEquals(MessageKind.FANOUT, SqsBatches.kindOf(BatchQueue.Name.FANOUT, message("b", "FanOut", listing)));
        SQSEvent.SQSMessage noAttributes = message("c", null, "{}");
        noAttributes.setMessageAttributes(null);
        assertEquals(MessageKind.BATCH, SqsBatches.kindOf(BatchQueue.Name.INFERENCE, noAttributes));
    }
}
