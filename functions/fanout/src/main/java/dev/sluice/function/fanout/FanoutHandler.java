package dev.sluice.function.fanout;

import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.execution.ExecutionService;
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
        try (var scope = dev.sluice.aws.observe.Invocations.scope(context)) {
            return fanOut(event, context);
        }
    }

    private SQSBatchResponse fanOut(SQSEvent event, Context context) {
        // the event source's batch size is 1: a fan-out invocation owns its whole time budget
        return SqsBatches.route(event, BatchQueue.Name.FANOUT,
                SqsBatches.Route.of(MessageKind.FANOUT, jobs -> SqsBatches.together(jobs, FanoutMessage.class,
                        messages -> messages.stream().map(m -> {
                            try (var ids = LogScope.of(LogKey.PROJECT_ID, m.body().projectId()).and(LogKey.JOB_ID, m.body().jobId())) {
                                fanout.handle(m.body(), context::getRemainingTimeInMillis);
                            }
                            return true;
                        }).toList())),
                SqsBatches.Route.of(MessageKind.EXECUTION_TASK, listings -> SqsBatches.together(listings,
                        ExecutionTask.class, tasks -> tasks.stream().map(t -> {
                            try (var ids = LogScope.of(LogKey.PROJECT_ID, t.body().projectId()).and(LogKey.EXECUTION_ID, t.body().execution())) {
                                executions.listFiles(t.body(), context::getRemainingTimeInMillis);
                            }
                            return true;
                        }).toList())));
    }
}
