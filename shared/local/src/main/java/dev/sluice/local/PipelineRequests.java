package dev.sluice.local;

import dev.sluice.aws.observe.UsageInterceptor;
import dev.sluice.core.usage.Usage;
import org.slf4j.MDC;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bench's and the tests' own count of the requests the pipeline of a local stack makes, by operation, to check
 * {@code status.usage} against: an SDK interceptor that decides from where a request comes and what it carries, not
 * from the usage meter's accounts, which requests belong to the job that runs (one job at a time while it counts).
 *
 * <p>Counted: every request made by a function serving an SQS invocation (its log scope names one:
 * {@code function_request_id}), and the event sources' requests that carry messages (threads {@code esm-*}: a receive
 * that returned messages, a delete, a visibility change). Not counted, on this side as in {@code status.usage}: the
 * API's (the user's calls: threads {@code api-*}, or a log scope with {@code request_id}), the scheduler's sweeps,
 * empty polls, an event source's visibility-timeout lookup (no message), a project's daily usage sum (an UpdateItem of a
 * {@code usage#} key), and whatever a test or the bench itself calls. Each request's units are what
 * {@link UsageInterceptor} bills for it (its price class, DynamoDB's ConsumedCapacity).
 */
public final class PipelineRequests implements ExecutionInterceptor {
    private final Map<String, Usage> byOperation = new ConcurrentHashMap<>();

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (!counted(operation, context.request(), context.response())) {
            return;
        }
        Usage use = UsageInterceptor.usageOf(service, operation, context.response());
        if (!use.isZero()) {
            byOperation.merge(service + ":" + operation, use, Usage::plus);
        }
    }

    private static boolean counted(String operation, Object request, Object response) {
        String thread = Thread.currentThread().getName();
        if (thread.startsWith("api-") || MDC.get("request_id") != null) {
            return false;
        }
        if (response instanceof ReceiveMessageResponse r && r.messages().isEmpty()) {
            return false;
        }
        if (request instanceof UpdateItemRequest u && u.key().containsKey("jobId")
                && String.valueOf(u.key().get("jobId").s()).startsWith("usage#")) {
            return false;
        }
        if (MDC.get("function_request_id") != null) {
            return true;
        }
        return thread.startsWith("esm-") && (operation.equals("ReceiveMessage")
                || operation.equals("DeleteMessageBatch") || operation.equals("ChangeMessageVisibilityBatch"));
    }

    /** What was counted so far, by {@code Service:Operation}. */
    public Map<String, Usage> snapshot() {
        return new TreeMap<>(byOperation);
    }

    /** What was counted since {@code before} (a {@link #snapshot}), by operation; operations of no change left out. */
    public Map<String, Usage> since(Map<String, Usage> before) {
        Map<String, Usage> d = new TreeMap<>();
        snapshot().forEach((op, u) -> {
            Usage delta = u.minus(before.getOrDefault(op, Usage.ZERO));
            if (!delta.isZero()) {
                d.put(op, delta);
            }
        });
        return d;
    }

    /** The request classes of a job's {@code status.usage} as the API answers it (its JSON object). */
    public static Usage shown(com.fasterxml.jackson.databind.JsonNode usage) {
        return new Usage(0, 0, 0, usage.path("sqsRequests").asLong(),
                Math.round(usage.path("dynamoDbReadUnits").asDouble() * 1000),
                Math.round(usage.path("dynamoDbWriteUnits").asDouble() * 1000),
                usage.path("s3PutRequests").asLong(), usage.path("s3GetRequests").asLong(), 0, 0);
    }

    /** The request classes of a usage (what {@link #shown} keeps), the rest zero. */
    public static Usage requests(Usage u) {
        return new Usage(0, 0, 0, u.sqsRequests(), u.dynamoReadMilliUnits(), u.dynamoWriteMilliUnits(),
                u.s3PutRequests(), u.s3GetRequests(), 0, 0);
    }

    /** The sum of a breakdown's operations. */
    public static Usage total(Map<String, Usage> byOperation) {
        return byOperation.values().stream().reduce(Usage.ZERO, Usage::plus);
    }

    /**
     * The request classes {@code status.usage} shows, compared: each class's count as the job shows it beside this
     * interceptor's, and the gap |shown − seen| / seen (0 when both are 0).
     *
     * @param name  the class: {@code sqsRequests}, {@code s3PutRequests}, {@code s3GetRequests},
     *              {@code dynamoDbWriteUnits}, {@code dynamoDbReadUnits}
     * @param shown the job's figure (units for DynamoDB)
     * @param seen  this interceptor's
     */
    public record ClassCheck(String name, double shown, double seen) {
        public double gap() {
            return seen == 0 ? (shown == 0 ? 0 : 1) : Math.abs(shown - seen) / seen;
        }
    }

    /** The five request classes of a usage, job's against seen (DynamoDB in units, to 0.001). */
    public static java.util.List<ClassCheck> compare(Usage shown, Usage seen) {
        return java.util.List.of(
                new ClassCheck("sqsRequests", shown.sqsRequests(), seen.sqsRequests()),
                new ClassCheck("s3PutRequests", shown.s3PutRequests(), seen.s3PutRequests()),
                new ClassCheck("s3GetRequests", shown.s3GetRequests(), seen.s3GetRequests()),
                new ClassCheck("dynamoDbWriteUnits", shown.dynamoWriteMilliUnits() / 1000.0, seen.dynamoWriteMilliUnits() / 1000.0),
                new ClassCheck("dynamoDbReadUnits", shown.dynamoReadMilliUnits() / 1000.0, seen.dynamoReadMilliUnits() / 1000.0));
    }
}
