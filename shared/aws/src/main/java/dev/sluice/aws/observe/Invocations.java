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

    private Invocations() {
    }

    /** Opens the invocation's scope; close it when the invocation ends. A null context (a test) gives no request id. */
    public static LogScope scope(Context context) {
        return LogScope.of(LogKey.FUNCTION_REQUEST_ID, context == null ? null : context.getAwsRequestId())
                .and(LogKey.COLD_START, COLD.getAndSet(false));
    }
}
