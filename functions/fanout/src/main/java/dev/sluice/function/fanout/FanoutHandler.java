package dev.sluice.function.fanout;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.Json;
import dev.sluice.core.fanout.FanoutMessage;
import dev.sluice.core.fanout.FanoutService;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** SQS-triggered: validates uploaded datasets and fans jobs out into batches. */
@Named("fanout")
public class FanoutHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final FanoutService fanout;

    @Inject
    public FanoutHandler(FanoutService fanout) {
        this.fanout = fanout;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return SqsBatches.each(event, message -> {
            fanout.handle(Json.read(message.getBody(), FanoutMessage.class), context::getRemainingTimeInMillis);
            return true;
        });
    }
}
