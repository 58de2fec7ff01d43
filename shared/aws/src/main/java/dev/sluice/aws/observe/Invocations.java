package dev.sluice.aws.observe;

import com.amazonaws.services.lambda.runtime.Context;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The log scope of one Lambda invocation: {@code function_request_id} (the invocation's AWS request id) and
 * {@code cold_start} (true for the first invocation this JVM handles), as Powertools' logger sets them.
 */
public final class Invocations {
    private static final AtomicBoolean COLD = new AtomicBoolean(true);
    /** The configured memory of the function this thread last served (Lambda's Context; 0 before any). */
    private static final ThreadLocal<Integer> MEMORY_MB = ThreadLocal.withInitial(() -> 0);
    /** Whether the event source of the invocation this thread last served counts its own requests. */
    private static final ThreadLocal<Boolean> SELF_METERED = ThreadLocal.withInitial(() -> false);

    /**
     * A Lambda {@link Context} whose event source counts its own SQS requests into the usage meter, by the jobs of
     * the messages each carries ({@link dev.sluice.core.usage.UsageMeter#recordFor}): {@code sluice local}'s, which
     * plays the event source mapping in this process. Lambda's own mapping is not seen by our code: its requests are
     * estimated ({@link dev.sluice.core.usage.UsageMeter#eventSourceRequests}).
     */
    public interface SelfMeteredEventSource {
    }

    private Invocations() {
    }

    /** Opens the invocation's scope; close it when the invocation ends. A null context (a test) gives no request id. */
    public static LogScope scope(Context context) {
        if (context != null) {
            MEMORY_MB.set(context.getMemoryLimitInMB());
        }
        SELF_METERED.set(context instanceof SelfMeteredEventSource);
        return LogScope.of(LogKey.FUNCTION_REQUEST_ID, context == null ? null : context.getAwsRequestId())
                .and(LogKey.COLD_START, COLD.getAndSet(false));
    }

    /**
     * The compute this thread's invocation is billed as: the function's memory from its Context
     * ({@link #scope}), else {@code AWS_LAMBDA_FUNCTION_MEMORY_SIZE}, else 0 MB (a handler called without a Context
     * in a test counts no Lambda time).
     */
    /**
     * The SQS requests of the event source for this thread's invocation of {@code messages} messages that the meter
     * must add: none when the event source counts its own ({@link SelfMeteredEventSource}), else Lambda's estimate.
     */
    public static long eventSourceRequests(long messages) {
        return SELF_METERED.get() ? 0 : dev.sluice.core.usage.UsageMeter.eventSourceRequests(messages);
    }

    public static dev.sluice.core.usage.UsageMeter.Compute compute() {
        int mb = MEMORY_MB.get();
        if (mb <= 0) {
            String env = System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
            mb = env == null ? 0 : Integer.parseInt(env.trim());
        }
        return new dev.sluice.core.usage.UsageMeter.Compute.Lambda(mb);
    }
}
