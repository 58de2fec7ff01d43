package dev.sluice.function.delivery;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.delivery.DeliveryMessage;
import dev.sluice.core.delivery.DeliveryService;
import jakarta.inject.Inject;
import jakarta.inject.Named;

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
        return SqsBatches.together(event, DeliveryMessage.class, messages -> delivery.deliver(messages.stream()
                        .map(m -> new DeliveryService.Received(m.body(), m.message().getReceiptHandle(),
                                SqsBatches.receiveCount(m.message()))).toList())
                .stream().map(result -> result == DeliveryService.Result.DONE).toList());
    }
}
