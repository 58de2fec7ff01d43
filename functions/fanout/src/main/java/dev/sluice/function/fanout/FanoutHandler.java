package dev.sluice.function.fanout;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.execution.ExecutionService;
import dev.sluice.core.execution.ExecutionTask;
import dev.sluice.core.fanout.FanoutMessage;
import dev.sluice.core.fanout.FanoutService;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** SQS-triggered: validates uploaded datasets, fans jobs out into batches, and lists executions' source folders. */
@Named("fanout")
public class FanoutHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final FanoutService fanout;
    private final ExecutionService executions;

    @Inject
    public FanoutHandler(FanoutService fanout, ExecutionService executions) {
        this.fanout = fanout;
        this.executions = executions;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        // the event source's batch size is 1: a fan-out invocation owns its whole time budget
        SQSBatchResponse jobs = SqsBatches.together(SqsBatches.select(event, b -> !ExecutionTask.isOne(b)),
                FanoutMessage.class, messages -> messages.stream().map(m -> {
                    fanout.handle(m.body(), context::getRemainingTimeInMillis);
                    return true;
                }).toList());
        SQSBatchResponse listings = SqsBatches.together(SqsBatches.select(event, ExecutionTask::isOne),
                ExecutionTask.class, tasks -> tasks.stream().map(t -> {
                    executions.listFiles(t.body(), context::getRemainingTimeInMillis);
                    return true;
                }).toList());
        return SqsBatches.merge(jobs, listings);
    }
}
