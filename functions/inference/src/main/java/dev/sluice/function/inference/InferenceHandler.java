package dev.sluice.function.inference;

import dev.sluice.core.observe.ContextExecutors;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.aws.lambda.SqsBatches;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.MessageKind;
import dev.sluice.execution.ExecutionRunner;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQS-triggered: one message is one batch of items, predicted as one tensor. The batches of one invocation (the event
 * source mapping's batch size) share one commit and one SendMessageBatch, and the next batch is gathered while the
 * current one is predicted. The same queue carries executions' file tasks: the files of an invocation run side by
 * side, each settled on its own.
 */
@Named("inference")
public class InferenceHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceHandler.class);
    private final BatchProcessor processor;
    private final ExecutionRunner files;

    @Inject
    public InferenceHandler(BatchProcessor processor, ExecutionRunner files) {
        this.processor = processor;
        this.files = files;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        try (var scope = dev.sluice.aws.observe.Invocations.scope(context)) {
            return infer(event, context == null ? dev.sluice.core.pipeline.Deadline.NONE : context::getRemainingTimeInMillis);
        }
    }

    private SQSBatchResponse infer(SQSEvent event, dev.sluice.core.pipeline.Deadline deadline) {
        return SqsBatches.route(event, BatchQueue.Name.INFERENCE,
                SqsBatches.Route.of(MessageKind.BATCH, batches -> SqsBatches.together(batches, BatchMessage.class,
                        parsed -> processor.process(parsed.stream().map(SqsBatches.Parsed::body).toList(), deadline))),
                SqsBatches.Route.of(MessageKind.EXECUTION_TASK, tasks -> SqsBatches.together(tasks,
                        ExecutionTask.class, this::runFiles)));
    }

    private List<Boolean> runFiles(List<SqsBatches.Parsed<ExecutionTask>> tasks) {
        // A file task parses and predicts, CPU-bound: platform threads (one per task of the event, <= 10). On virtual
        // threads it would hold the carriers, which the JDK does not preempt, and starve the I/O of the process's
        // virtual threads (JEP 444: virtual threads are for blocking I/O, https://openjdk.org/jeps/444).
        try (ExecutorService pool = ContextExecutors.carryingContext(Executors.newThreadPerTaskExecutor(
                Thread.ofPlatform().name("file-task-", 1).daemon(true).factory()))) {
            List<Future<Boolean>> running = tasks.stream().map(t -> pool.submit(() -> {
                try (var ids = LogScope.of(LogKey.PROJECT_ID, t.body().projectId()).and(LogKey.EXECUTION_ID, t.body().execution())) {
                    files.run(t.body(), tasks.size()); // the heap shared among the invocation's files
                }
                return true;
            })).toList();
            return running.stream().map(f -> {
                try {
                    f.get();
                    return true;
                } catch (Exception e) {
                    LOG.warn("a file task failed; SQS will redeliver it", e);
                    return false;
                }
            }).toList();
        }
    }
}
