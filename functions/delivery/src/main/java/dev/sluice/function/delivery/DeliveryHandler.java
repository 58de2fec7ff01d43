package dev.sluice.function.delivery;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.MessageKind;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.EnumSet;

/**
 * SQS-triggered: signs and POSTs each batch's predictions. A batch waiting for a retry is reported as a batch item
 * failure after its visibility was set to the backoff, so SQS brings it back then.
 */
@Named("delivery")
public class DeliveryHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final DeliveryService delivery;

    @Inject
    public DeliveryHandler(DeliveryService delivery) {
        this.delivery = delivery;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        try (var scope = dev.sluice.aws.observe.Invocations.scope(context)) {
            return deliver(event);
        }
    }

    private SQSBatchResponse deliver(SQSEvent event) {
        // item payloads and job events are both DeliveryMessages, delivered together in one call
        return SqsBatches.route(event, BatchQueue.Name.DELIVERY, new SqsBatches.Route(
                EnumSet.of(MessageKind.DELIVERY, MessageKind.JOB_EVENT), deliveries -> SqsBatches.together(deliveries,
                        DeliveryMessage.class, messages -> delivery.deliver(messages.stream()
                                .map(m -> new DeliveryService.Received(m.body(), m.message().getReceiptHandle(),
                                        SqsBatches.receiveCount(m.message()))).toList())
                        .stream().map(result -> result == DeliveryService.Result.DONE).toList())));
    }
}
