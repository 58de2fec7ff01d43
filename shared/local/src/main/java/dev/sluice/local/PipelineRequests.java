package dev.sluice.local;

import dev.sluice.aws.observe.UsageInterceptor;
import dev.sluice.core.usage.Usage;
import org.slf4j.MDC;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequest;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bench's and the tests' own count of the requests the pipeline of a local stack makes, by job and operation, to
 * check {@code status.usage} against: an SDK interceptor that decides from where a request comes and what it carries,
 * not from the usage meter's accounts, which requests were made and which job each one served.
 *
 * <p>Counted: every request made by a function serving an SQS invocation (its log scope names one:
 * {@code function_request_id}), and the event sources' requests that carry messages (threads {@code esm-*}: a receive
 * that returned messages, a delete, a visibility change). Not counted, on this side as in {@code status.usage}: the
 * API's (the user's calls: threads {@code api-*}, or a log scope with {@code request_id}), the scheduler's sweeps,
 * empty polls, an event source's visibility-timeout lookup (no message), a project's daily usage sum (an UpdateItem of a
 * {@code usage#} key), and whatever a test or the bench itself calls. Each request's units are what
 * {@link UsageInterceptor} bills for it (its price class, DynamoDB's ConsumedCapacity).
 *
 * <p>The job a request served: the {@code job_id} (else {@code execution_id}) of its log scope; else the job whose
 * counter item it updates (the end's last update runs outside the invocation's account); else, in a function, the
 * jobs of the invocation's messages ({@link dev.sluice.core.usage.UsageMeter#owners}: the handler's own list, no
 * count of the meter's); an event source's request, the jobs of the messages it received or names by receipt handle.
 * A request of several jobs is split by their messages ({@link Usage#split}, exact). So a job's count holds its own
 * requests whenever they run, and no other job's: the bench's warm-up job ending late, or a second job running beside
 * the one measured, changes nothing ({@code UsageEndToEndTest}).
 */
public final class PipelineRequests implements ExecutionInterceptor {
    /** Requests of no job (a function invocation whose messages name none): never a job's. */
    public static final String NO_JOB = "";
    /** The receipt handles it remembers at most (bench and tests only; one entry per message received). */
    private static final int MAX_RECEIPTS = 100_000;

    private final Map<String, Usage> byOperation = new ConcurrentHashMap<>();
    /** By job, then by {@code Service:Operation}. */
    private final Map<String, Map<String, Usage>> byJob = new ConcurrentHashMap<>();
    /** The job of each message an event source received, by receipt handle (kept after its delete: a visibility
     * change in flight may still name it). Guarded by itself. */
    private final Map<String, String> jobOfReceipt = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_RECEIPTS;
        }
    };

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (!counted(operation, context.request(), context.response())) {
            return;
        }
        Usage use = UsageInterceptor.usageOf(service, operation, context.response());
        if (use.isZero()) {
            return;
        }
        String op = service + ":" + operation;
        byOperation.merge(op, use, Usage::plus);
        Map<String, Long> jobs = jobsOf(context.request(), context.response());
        use.split(jobs.isEmpty() ? Map.of(NO_JOB, 1L) : jobs).forEach((job, part) ->
                byJob.computeIfAbsent(job, j -> new ConcurrentHashMap<>()).merge(op, part, Usage::plus));
    }

    /** The jobs a counted request served, each with its weight (messages); empty when it names none. */
    private Map<String, Long> jobsOf(Object request, Object response) {
        String named = MDC.get("job_id") != null ? MDC.get("job_id") : MDC.get("execution_id");
        if (named != null) {
            return Map.of(named, 1L);
        }
        if (request instanceof UpdateItemRequest u && u.key().containsKey("jobId")
                && String.valueOf(u.key().get("jobId").s()).startsWith(dev.sluice.aws.DynamoJobStore.COUNTER_PREFIX)) {
            // a job's counter item, e.g. the end's last update, which runs outside the invocation's account
            return Map.of(u.key().get("jobId").s().substring(dev.sluice.aws.DynamoJobStore.COUNTER_PREFIX.length()), 1L);
        }
        if (MDC.get("function_request_id") != null) {
            return dev.sluice.core.usage.UsageMeter.process().owners();
        }
        Map<String, Long> jobs = new java.util.LinkedHashMap<>();
        synchronized (jobOfReceipt) {
            switch (response) {
                case ReceiveMessageResponse r -> r.messages().forEach(m -> {
                    var kind = m.messageAttributes().get(dev.sluice.core.pipeline.MessageKind.ATTRIBUTE);
                    String job = dev.sluice.core.pipeline.QueueMessage.usageOwnerOf(
                            kind == null ? null : kind.stringValue(), m.body());
                    if (job != null) {
                        jobOfReceipt.put(m.receiptHandle(), job);
                        jobs.merge(job, 1L, Long::sum);
                    }
                });
                default -> {
                    java.util.List<String> handles = switch (request) {
                        case DeleteMessageBatchRequest d ->
                                d.entries().stream().map(DeleteMessageBatchRequestEntry::receiptHandle).toList();
                        case ChangeMessageVisibilityBatchRequest c ->
                                c.entries().stream().map(ChangeMessageVisibilityBatchRequestEntry::receiptHandle).toList();
                        default -> java.util.List.<String>of();
                    };
                    for (String h : handles) {
                        String job = jobOfReceipt.get(h);
                        if (job != null) {
                            jobs.merge(job, 1L, Long::sum);
                        }
                    }
                }
            }
        }
        return jobs;
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

    /** What was counted so far, every job's, by {@code Service:Operation}. */
    public Map<String, Usage> snapshot() {
        return new TreeMap<>(byOperation);
    }

    /** What was counted for one job (or {@link #NO_JOB}) so far, whenever it ran, by {@code Service:Operation}. */
    public Map<String, Usage> of(String jobId) {
        return new TreeMap<>(byJob.getOrDefault(jobId, Map.of()));
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
