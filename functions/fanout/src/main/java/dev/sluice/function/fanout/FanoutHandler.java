package dev.sluice.function.fanout;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
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
        // the event source's batch size is 1: a fan-out invocation owns its whole time budget
        return SqsBatches.together(event, FanoutMessage.class, messages -> messages.stream().map(m -> {
            fanout.handle(m.body(), context::getRemainingTimeInMillis);
            return true;
        }).toList());
    }
}
