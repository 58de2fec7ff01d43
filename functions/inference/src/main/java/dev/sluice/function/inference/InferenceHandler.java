package dev.sluice.function.inference;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.inference.BatchMessage;
import dev.sluice.core.inference.BatchProcessor;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * SQS-triggered: one message is one batch of items, predicted as one tensor. The batches of one invocation (the event
 * source mapping's batch size) share one commit and one SendMessageBatch, and the next batch is gathered while the
 * current one is predicted.
 */
@Named("inference")
public class InferenceHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final BatchProcessor processor;

    @Inject
    public InferenceHandler(BatchProcessor processor) {
        this.processor = processor;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return SqsBatches.together(event, BatchMessage.class,
                batches -> processor.process(batches.stream().map(SqsBatches.Parsed::body).toList()));
    }
}
